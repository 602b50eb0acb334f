"""Conformance suite against the external corpus (../shared/corpus, never copied into the repo).

Prints "folder: agree/total" at the end of the run (see ``validation_corpus_support.Agreement``).
"""

from __future__ import annotations

import pytest
from validation_corpus_support import AGREEMENT, CORPUS


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    lines = AGREEMENT.summary_lines()
    if lines:
        terminalreporter.section("validation conformance: agreement with corpus expected.json")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def corpus_dir():
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def agreement():
    """Session-wide recorder of per-folder agreement; summary printed at the end of the run."""
    return AGREEMENT


@pytest.fixture(scope="session", autouse=True)
def _warm_validation():
    # Compile once for the whole suite (also exercises warm_up()).
    if CORPUS.is_dir():
        from einvoice.validation import warm_up

        warm_up()
