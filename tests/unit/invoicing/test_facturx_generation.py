"""Factur-X generation: PDF/A-3 container structure, embedded CII, extraction and re-parsing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from einvoice.errors import BadRequestError, InvalidInputError
from einvoice.invoicing import calc, render
from einvoice.invoicing import facturx as fx
from einvoice.invoicing.model import Invoice

DATA = Path(__file__).resolve().parent / "test_render_data"


def load(name: str, **updates) -> Invoice:
    body = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    body.update(updates)
    return Invoice.model_validate(body)


@pytest.fixture(scope="module")
def generated() -> dict[tuple[str, str], bytes]:
    out = {}
    for name in ("invoice_full", "credit_note", "exempt_intracom"):
        for profile in fx.PROFILES:
            out[(name, profile)] = fx.to_facturx(load(name), profile)
    return out


@pytest.mark.parametrize("name", ["invoice_full", "credit_note", "exempt_intracom"])
@pytest.mark.parametrize(("profile", "level"), [("en16931", "EN 16931"), ("basicwl", "BASIC WL"),
                                                 ("extended", "EXTENDED")])
def test_facturx_container_structure(generated, name: str, profile: str, level: str) -> None:
    s = fx.pdfa3_structure(generated[(name, profile)])
    assert s["problems"] == [] and s["ok"]
    assert s["output_intents"] == ["/GTS_PDFA1"]
    assert s["fonts_embedded"]
    assert (s["pdfaid_part"], s["pdfaid_conformance"]) == ("3", "B")
    assert s["fx_document_file_name"] == "factur-x.xml"
    assert s["fx_document_type"] == "INVOICE"
    assert s["fx_version"] == "1.0"
    assert s["fx_conformance_level"] == level
    assert s["fx_extension_schema"]
    assert s["af"] == [{"name": "factur-x.xml", "relationship": "/Data"}]
    assert [(e["name"], e["subtype"]) for e in s["embedded_files"]] == [("factur-x.xml", "/text/xml")]
    assert s["findings"] == []  # not even a warning


@pytest.mark.parametrize("profile", ["en16931", "basicwl", "extended"])
def test_embedded_xml_is_the_cii_writer_output(generated, profile: str) -> None:
    from einvoice.invoicing import cii

    inv = load("invoice_full")
    expected = cii.to_cii(calc.compute(inv), profile)
    embedded = fx.extract_xml(generated[("invoice_full", profile)])
    assert embedded == expected
    s = fx.pdfa3_structure(generated[("invoice_full", profile)])
    assert s["embedded_files"][0]["size"] == len(expected)


@pytest.mark.parametrize("name", ["invoice_full", "credit_note", "exempt_intracom"])
def test_factur_x_reparses_to_the_same_model(generated, name: str) -> None:
    from einvoice.invoicing import cii, parse

    inv = calc.compute(load(name))
    parsed = fx.parse_pdf(generated[(name, "en16931")])
    assert parsed == parse.parse_xml(cii.to_cii(inv, "en16931"))
    # the business content survives the round trip
    assert parsed.number == inv.number and parsed.type_code == inv.type_code
    assert parsed.seller.siren == inv.seller.siren and parsed.buyer.siren == inv.buyer.siren
    assert parsed.totals.payable == inv.totals.payable
    assert parsed.totals.tax_amount == inv.totals.tax_amount
    assert [(line.id, line.net_amount) for line in parsed.lines] == [(line.id, line.net_amount) for line in inv.lines]
    assert [p.number for p in parsed.preceding_invoices] == [p.number for p in inv.preceding_invoices]


@pytest.mark.parametrize("tagged", [False, True])
def test_incremental_update_keeps_the_rendered_pdf_intact(tagged: bool) -> None:
    """The default path appends an incremental update: the Typst PDF/A bytes stay a prefix."""
    import io

    from pypdf import PdfReader

    from einvoice.invoicing import cii

    inv = calc.compute(load("invoice_full"))
    pdf = render.render_pdf(inv, tagged=tagged)
    out = fx.embed_xml(pdf, cii.to_cii(inv, "en16931"))
    assert out.startswith(pdf) and len(out) > len(pdf)
    assert out.count(b"%%EOF") == 2 and out.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(out), strict=True)
    catalog = reader.trailer["/Root"]
    assert len(reader.pages) == 1
    assert ("/StructTreeRoot" in catalog) is tagged  # a tagged rendering stays tagged
    assert catalog["/PageMode"] == "/UseAttachments" and catalog["/Lang"] == "fr-FR"
    assert fx.pdfa3_structure(out)["ok"]


def test_factur_x_is_readable_by_poppler(generated, tmp_path: Path) -> None:
    if not shutil.which("pdfdetach"):
        pytest.skip("poppler-utils not installed")
    path = tmp_path / "fx.pdf"
    path.write_bytes(generated[("credit_note", "en16931")])
    listing = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True)
    assert "factur-x.xml" in listing.stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "AV-2026-0007" in text


def test_facturx_library_path_is_also_structurally_sound() -> None:
    from einvoice.invoicing import cii

    inv = calc.compute(load("invoice_full"))
    pdf = render.render_pdf(inv)
    out = fx.embed_xml(pdf, cii.to_cii(inv, "extended"), profile="extended", method="facturx",
                       pdf_metadata=fx._pdf_metadata(inv))
    s = fx.pdfa3_structure(out)
    assert s["problems"] == []
    assert s["fx_conformance_level"] == "EXTENDED"
    assert fx.extract_xml(out) == cii.to_cii(inv, "extended")


def test_generated_facturx_passes_the_validation_pipeline(generated) -> None:
    from einvoice.validation import validate

    report = validate(generated[("invoice_full", "en16931")])
    assert report.format == "facturx" and report.profile == "en16931"
    assert report.verdict == "valid", [(f.rule_id, f.message) for f in report.findings if f.severity == "fatal"]


# --------------------------------------------------------------------------- errors


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(InvalidInputError) as exc:
        fx.to_facturx(load("invoice_full"), "minimum")
    assert exc.value.details[0].field == "profile"


def test_extract_xml_from_non_pdf_is_a_bad_request() -> None:
    with pytest.raises(BadRequestError):
        fx.extract_xml(b"<Invoice/>")
    with pytest.raises(BadRequestError):
        fx.extract_xml(b"%PDF-1.7\ngarbage")


def test_extract_xml_from_plain_pdf_says_it_is_not_a_facturx() -> None:
    with pytest.raises(InvalidInputError) as exc:
        fx.extract_xml(render.render_pdf(load("credit_note")))
    assert "factur-x.xml" in exc.value.message


def test_embed_refuses_xml_invalid_against_the_profile_xsd() -> None:
    pdf = render.render_pdf(load("credit_note"))
    bogus = (b'<?xml version="1.0"?><rsm:CrossIndustryInvoice '
             b'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>')
    with pytest.raises(InvalidInputError) as exc:
        fx.embed_xml(pdf, bogus, profile="en16931")
    assert exc.value.details[0].rule == "XSD"


def test_embed_refuses_malformed_xml() -> None:
    pdf = render.render_pdf(load("credit_note"))
    with pytest.raises(BadRequestError):
        fx.embed_xml(pdf, b"<not-closed", check_xsd=False)


def test_structure_check_flags_a_plain_pdf() -> None:
    s = fx.pdfa3_structure(render.render_pdf(load("credit_note")))
    assert not s["ok"]
    assert any("factur-x.xml" in p for p in s["problems"])
    assert any("ConformanceLevel" in p for p in s["problems"])


def test_structure_check_flags_a_non_pdfa_file() -> None:
    """A minimal PDF without OutputIntents, XMP or embedded fonts is reported, not accepted."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    buf = io.BytesIO()
    writer.write(buf)
    s = fx.pdfa3_structure(buf.getvalue())
    assert not s["ok"]
    assert {f.rule_id for f in s["findings"] if f.severity == "fatal"} == {
        "PDFA-TRAILER-ID", "PDFA-OUTPUTINTENT", "PDFA-XMP", "FX-FILENAME"
    }
    assert any(p.startswith("PDFA-XMP: the catalog has no /Metadata") for p in s["problems"])


def test_extract_xml_reads_only_the_invoice_attachment() -> None:
    """ZUGFeRD 2.x names are found too; other attachments are not decompressed (a zip bomb next to it)."""
    import sys
    import zlib

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "validation"))
    from validation_test_support import fixture, hybrid_pdf

    xml = fixture("fr-en16931.cii.xml")
    bomb = zlib.compress(b"\0" * (64 * 1024 * 1024), 9)
    annex = {"annex.bin": (b"/Filter/FlateDecode/Length %d" % len(bomb), bomb)}
    for name in ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"):
        assert fx.extract_xml(hybrid_pdf(xml, name=name, attachments=annex)) == xml


def test_warm_up_prepares_the_compiler_and_schemas() -> None:
    fx.warm_up(("en16931", "basicwl"))
    assert render._compiler is not None
    with pytest.raises(InvalidInputError):
        fx.warm_up(("minimum",))




def test_non_pdfa_input_falls_back_to_the_facturx_rewrite() -> None:
    """No XMP / not PDF/A-3: ``auto`` uses factur-x's rewrite, ``incremental`` refuses."""
    import io

    from pypdf import PdfWriter

    from einvoice.invoicing import cii

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buf = io.BytesIO()
    writer.write(buf)
    xml = cii.to_cii(calc.compute(load("credit_note")), "en16931")
    out = fx.embed_xml(buf.getvalue(), xml)
    assert fx.extract_xml(out) == xml
    s = fx.pdfa3_structure(out)
    assert s["af"] == [{"name": "factur-x.xml", "relationship": "/Data"}]
    # garbage in, flagged out: factur-x writes the XMP, but the page has device colour and no OutputIntent
    assert {f.rule_id for f in s["findings"]} == {"PDFA-TRAILER-ID", "PDFA-OUTPUTINTENT"}
    with pytest.raises(BadRequestError):
        fx.embed_xml(buf.getvalue(), xml, method="incremental")
