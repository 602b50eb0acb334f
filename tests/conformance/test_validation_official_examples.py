"""Verdicts on official examples of ../shared/corpus (skipped, with the reason, when the corpus is absent).

- XP Z12-014 UC1 (FNFE-MPE) is valid in CII, UBL and Factur-X, container included;
- the official Factur-X PDFs (FNFE-MPE examples, XP Z12 use cases) have no fatal container finding
  (their Info dictionaries differ from their XMP in Keywords and in the case of Creator, which PDF/A-3
  allows), and the exit code of ``einvoice validate`` is the report's verdict;
- the XRechnung CII cases of the corpus (CIUS ids, judged by the CEN CII rules) pass with
  ``--french-rules warning``. KoSIT's own test suite (itplr-kosit/xrechnung-testsuite) is not in the
  corpus; these are the XRechnung files it has (ZUGFeRD 2.2 sample package, Mustang).
"""

from __future__ import annotations

import pytest
from validation_corpus_support import CORPUS

from einvoice.validation import validate

X = CORPUS / "xp-z12-french-ctc"
UC1 = X / "XP_Z12-014_Annexe_B_V1.3/UC1/UC1_F202500003_00-INV_20250701"
FACTURX_PDFS = sorted(
    [*X.rglob("*.pdf"), *(CORPUS / "zugferd-corpus/ZUGFeRDv2").rglob("FNFE-factur-x-examples/*.pdf")]
)
XRECHNUNG_CII = [
    "zugferd-corpus/XML-Rechnung/CII/XRECHNUNG_Einfach.cii.xml",
    "zugferd-corpus/XML-Rechnung/FX/XRECHNUNG_Einfach.pdf",
    "zugferd-corpus/XML-Rechnung/FX/XRECHNUNG_Betriebskostenabrechnung.pdf",
    "zugferd-corpus/ZUGFeRDv2/correct/Mustangproject/testout-XR.xml",
]


def _params(paths):
    if not CORPUS.is_dir():
        return [pytest.param(None, id="corpus-absent", marks=pytest.mark.skip(reason=f"corpus not found at {CORPUS}"))]
    return [pytest.param(p, id=str(p.relative_to(CORPUS))) for p in paths]


@pytest.mark.parametrize("suffix", ["_CII_EN16931.xml", "_UBL_EN16931.xml", "_FX_EN16931.pdf"])
def test_uc1_is_valid_in_every_format(corpus_dir, suffix):
    report = validate((UC1.parent / (UC1.name + suffix)).read_bytes())
    assert report.verdict == "valid", sorted(report.rule_ids())
    assert report.profile == "en16931" and report.exit_code == 0


def test_uc10_ubl_extended_ctc_fr_is_not_judged_by_plain_cen_rules(corpus_dir):
    """The official UC10 multi-vendor UBL breaks BR-22/23/26/27 by design of the French extension."""
    path = X / "XP_Z12-014_Annexe_B_V1.3/Facture Sous Ligne et Multi-Vendeur/_Multi-Vendeur"
    report = validate((path / "UC10_F202600004_MULTI-VENDEUR_UBL_Commentee_EXTENDED.xml").read_bytes())
    assert report.profile == "extended-ctc-fr" and report.verdict == "valid"
    assert "CEN EN16931 UBL schematron" not in {rs.name for rs in report.rule_sets}


@pytest.mark.parametrize("path", _params(FACTURX_PDFS))
def test_official_factur_x_container_has_no_fatal_finding(corpus_dir, path):
    from einvoice.cli import main

    report = validate(path.read_bytes(), french_rules_severity="warning")
    assert report.rule_ids("fatal", "pdfa") == set(), [f.message for f in report.findings if f.layer == "pdfa"]
    assert report.exit_code == (0 if report.verdict == "valid" else 1)
    assert main(["validate", "--json", "--french-rules", "warning", str(path)]) == report.exit_code


@pytest.mark.parametrize("path", _params([CORPUS / p for p in XRECHNUNG_CII]))
def test_xrechnung_cii_passes_with_french_rules_as_warnings(corpus_dir, path):
    report = validate(path.read_bytes(), french_rules_severity="warning")
    assert "CEN EN16931 CII schematron" in {rs.name for rs in report.rule_sets}
    assert report.verdict == "valid", sorted(report.rule_ids())


@pytest.mark.parametrize("path", _params(sorted((CORPUS / "zugferd-corpus/ZUGFeRDv2/correct").rglob("*.pdf"))))
def test_extract_xml_from_third_party_hybrids(corpus_dir, path):
    from einvoice.invoicing import facturx

    assert b"CrossIndustryInvoice" in facturx.extract_xml(path.read_bytes())
