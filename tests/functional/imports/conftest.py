"""The whole local platform (moto, the import state machine executed from its ASL, Lambdas dispatched
in-process) with a generated directory; imports go through the REST API and the S3 drop."""

from __future__ import annotations

import pytest


@pytest.fixture
def directory(aws):
    """A generated directory in the table; yields the cached directory the Lambdas use."""
    from einvoice.directory.cache import get_directory, reset_directory_cache
    from einvoice.directory.loader import load_csv
    from einvoice.directory.seed import seed_bytes

    reset_directory_cache()
    load_csv(seed_bytes(400, seed=5))
    yield get_directory()
    reset_directory_cache()


@pytest.fixture
def valid_sirens(directory) -> list[str]:
    """Active SIRENs of the generated directory, in a stable order."""
    from einvoice.directory.seed import generate_seed

    sirens = list(dict.fromkeys(r[0] for r in generate_seed(400, seed=5)))
    units, _ = directory.get_many(sirens, [])
    return [s for s in sirens if s in units and units[s].active]


@pytest.fixture
def chunk_lines(monkeypatch, aws):
    """Lines per chunk for the Lambdas (the setting the deployed functions read)."""
    from einvoice.settings import reset_settings

    def set_lines(n: int) -> None:
        monkeypatch.setenv("EINVOICE_IMPORT_CHUNK_LINES", str(n))
        reset_settings()

    yield set_lines
    reset_settings()
