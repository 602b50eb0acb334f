from __future__ import annotations

import pytest
from validation_test_support import UC1, corpus_file


@pytest.fixture
def uc1_cii() -> bytes:
    """Official XP Z12-014 UC1 invoice, CII EN16931: valid under XSD, Factur-X EN16931 and BR-FR."""
    return corpus_file(f"{UC1}_CII_EN16931.xml")


@pytest.fixture
def uc1_ubl() -> bytes:
    return corpus_file(f"{UC1}_UBL_EN16931.xml")


@pytest.fixture
def uc1_pdf() -> bytes:
    return corpus_file(f"{UC1}_FX_EN16931.pdf")


@pytest.fixture
def cen_cii_example1() -> bytes:
    """CEN CII example 1: passes the EN 16931 rules, fails the French BR-FR rules (not a French invoice)."""
    return corpus_file("en16931-cen/cii/examples/CII_example1.xml")


@pytest.fixture
def fresh_caches():
    """Isolate the process caches for a test that patches artefact paths.

    The compiled stylesheets / loaded XSDs are snapshotted and restored afterwards, so a test that
    breaks one artefact does not force the next tests to recompile everything.
    """
    from einvoice.validation import saxon, xsd

    saved_xslt, saved_xsd = dict(saxon._compiled), dict(xsd._schemas)

    def drop(key: str) -> None:
        saxon._compiled.pop(key, None)
        xsd._schemas.pop(key, None)

    yield drop
    saxon._compiled.clear()
    saxon._compiled.update(saved_xslt)
    xsd._schemas.clear()
    xsd._schemas.update(saved_xsd)
