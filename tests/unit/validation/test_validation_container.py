"""PDF/A-3 + Factur-X container rules (layer ``pdfa``), one verdict policy, and bounded PDF reading."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from validation_test_support import fixture, flate, hybrid_pdf, icc_header, make_pdf, zeros_stream

from einvoice.validation import validate
from einvoice.validation.container import RULES
from einvoice.validation.engine import verdict_of

HERE = Path(__file__).resolve().parent


def _pdfa(report) -> set[tuple[str, str]]:
    return {(f.rule_id, f.severity) for f in report.findings if f.layer == "pdfa"}


@pytest.fixture
def fr_xml() -> bytes:
    return fixture("fr-en16931.cii.xml")


def test_minimal_conforming_hybrid_has_no_container_finding(fr_xml):
    report = validate(hybrid_pdf(fr_xml))
    assert report.verdict == "valid"
    assert _pdfa(report) == set()
    assert any(rs.layer == "pdfa" and "not veraPDF" in rs.name for rs in report.rule_sets)


def test_info_dictionary_differing_from_xmp_is_not_a_pdfa3_defect(fr_pdf):
    """ISO 19005-1 6.7.3 (Info = XMP) does not exist in ISO 19005-3: Keywords / Creator case differ."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(fr_pdf)))
    writer.add_metadata({"/Keywords": "Facture, Factur-X", "/Creator": "FACTUR-X PYTHON LIB"})
    buf = io.BytesIO()
    writer.write(buf)
    report = validate(buf.getvalue())
    assert report.verdict == "valid"
    assert _pdfa(report) == set()


def test_plain_pdf_carrying_a_valid_cii_is_not_valid(fr_xml):
    """The rebuilt-plain-PDF trap: the XML rules pass, the container is not PDF/A-3 at all."""
    report = validate(hybrid_pdf(fr_xml, output_intent=False, xmp=False, embedded_font=False, in_af=False))
    assert report.rule_ids("fatal", "en16931") == set() and report.rule_ids("fatal", "br-fr") == set()
    assert report.verdict == "invalid" and report.exit_code == 1
    assert _pdfa(report) == {
        ("PDFA-OUTPUTINTENT", "fatal"),
        ("PDFA-XMP", "fatal"),
        ("PDFA-FONT-EMBEDDED", "fatal"),
        ("PDFA-AF", "fatal"),
        ("FX-AF", "fatal"),
    }
    font = next(f for f in report.findings if f.rule_id == "PDFA-FONT-EMBEDDED")
    assert "Helvetica" in font.message and "6.2.11.4.1" in font.message


def test_pypdf_written_pdf_with_attachment_is_reported(fr_xml):
    report = validate(make_pdf({"factur-x.xml": fr_xml}))
    assert report.verdict == "invalid"
    assert {"PDFA-TRAILER-ID", "PDFA-OUTPUTINTENT", "PDFA-XMP", "PDFA-AFRELATIONSHIP", "PDFA-AF", "FX-AF"} <= {
        r for r, _ in _pdfa(report)
    }


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"level": "BASIC WL"}, {("FX-XMP-CONFORMANCE", "fatal")}),
        ({"level": "FANCY"}, {("FX-XMP-CONFORMANCE", "fatal")}),
        ({"name": "zugferd-invoice.xml"}, {("FX-FILENAME", "warning")}),
        ({"name": "xrechnung.xml"}, {("FX-FILENAME", "warning")}),
        ({"relationship": "/Supplement"}, {("FX-AFRELATIONSHIP", "fatal")}),
        ({"relationship": "/Alternative"}, set()),
        ({"relationship": "/Source"}, set()),
        ({"icc": icc_header(b"scnr")}, {("PDFA-OUTPUTINTENT-ICC", "fatal")}),
        ({"icc": icc_header(b"mntr", b"Lab ")}, {("PDFA-OUTPUTINTENT-ICC", "fatal")}),
        ({"icc": icc_header(major=5)}, {("PDFA-OUTPUTINTENT-ICC", "fatal")}),
        ({"xmp": False}, {("PDFA-XMP", "fatal")}),
    ],
)
def test_each_container_rule(fr_xml, kwargs, expected):
    report = validate(hybrid_pdf(fr_xml, **kwargs))
    assert _pdfa(report) == expected
    assert report.verdict == ("invalid" if any(s == "fatal" for _, s in expected) else "valid")


def test_basic_wl_must_be_attached_as_data(fr_xml):
    xml = fr_xml.replace(b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>", b"<ram:ID>urn:factur-x.eu:1p0:basicwl</ram:ID>")
    report = validate(hybrid_pdf(xml, level="BASIC WL", relationship="/Alternative"))
    assert report.profile == "basicwl"
    assert _pdfa(report) == {("FX-AFRELATIONSHIP", "fatal")}
    assert _pdfa(validate(hybrid_pdf(xml, level="BASIC WL", relationship="/Data"))) == set()


def test_xrechnung_hybrid_may_declare_the_xrechnung_level():
    xml = fixture("fr-xrechnung-cius.cii.xml")
    report = validate(hybrid_pdf(xml, name="xrechnung.xml", level="XRECHNUNG", relationship="/Source"))
    assert report.verdict == "valid"
    assert _pdfa(report) == {("FX-FILENAME", "warning")}


def test_pages_with_default_colour_spaces_need_no_output_intent(fr_xml):
    """ISO 19005-3 6.2.4.3: device colour is allowed when a Default colour space is set (ZUGFeRD 2.0 samples)."""
    pdf = hybrid_pdf(fr_xml, output_intent=False)
    assert ("PDFA-OUTPUTINTENT", "fatal") in _pdfa(validate(pdf))
    with_default = pdf.replace(b"/Resources<</Font", b"/Resources<</ColorSpace<</DefaultRGB/DeviceRGB>>/Font", 1)
    with_default = _fix_xref(with_default)
    assert _pdfa(validate(with_default)) == set()


def _fix_xref(pdf: bytes) -> bytes:
    """Rewrite the xref offsets after an in-place edit (test helper for small hand-made files)."""
    import re

    offsets = [m.start() for m in re.finditer(rb"(?m)^\d+ 0 obj\n", pdf)]
    head, _, tail = pdf.partition(b"xref\n")
    count = len(offsets) + 1
    table = b"xref\n0 %d\n0000000000 65535 f \n" % count + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = tail[tail.index(b"trailer") :]
    trailer = re.sub(rb"startxref\n\d+", b"startxref\n%d" % len(head), trailer)
    return head + table + trailer


def test_every_rule_has_a_source_and_a_severity():
    assert all(r.severity in ("fatal", "warning") and r.source for r in RULES.values())
    assert {r.rule_id for r in RULES.values() if r.severity == "warning"} == {
        "FX-EF-MIME",
        "FX-XMP-VERSION",
    }  # FX-FILENAME is fatal except for the ZUGFeRD 2.x names


def test_one_verdict_policy_for_every_layer():
    from einvoice.validation.models import Finding

    def f(layer, severity, rule="R"):
        return Finding(rule_id=rule, severity=severity, layer=layer, message="m")

    assert verdict_of([f("pdfa", "warning"), f("br-fr", "warning")]) == "valid"
    assert verdict_of([f("pdfa", "fatal")]) == "invalid"
    assert verdict_of([f("xsd", "fatal")]) == "invalid"
    assert verdict_of([f("pdfa", "fatal", "EINV-VAL-ENGINE")]) == "error"
    assert verdict_of([f("pdfa", "fatal", "EINV-VAL-ENGINE"), f("en16931", "fatal")]) == "invalid"


def test_api_and_cli_give_the_engine_verdict(fr_xml, tmp_path):
    """POST /v1/validations (service) and `einvoice validate` report the same verdict and exit code."""
    from einvoice.cli import main
    from einvoice.invoicing.service import validate_document
    from einvoice.settings import Settings

    bad = hybrid_pdf(fr_xml, output_intent=False)
    api = validate_document(bad, settings=Settings.from_env({}))
    assert api["verdict"] == "invalid"
    assert {(f["ruleId"], f["layer"]) for f in api["findings"]} == {("PDFA-OUTPUTINTENT", "pdfa")}
    path = tmp_path / "bad.pdf"
    path.write_bytes(bad)
    assert main(["validate", str(path)]) == 1
    good = tmp_path / "good.pdf"
    good.write_bytes(hybrid_pdf(fr_xml))
    assert main(["validate", str(good)]) == 0


def test_container_check_that_crashes_fails_closed(fr_xml, monkeypatch):
    from einvoice.validation import container

    def boom(*args, **kwargs):
        raise RuntimeError("simulated damaged structure")

    monkeypatch.setattr(container, "check", boom)
    report = validate(hybrid_pdf(fr_xml))
    assert report.verdict == "error"
    engine = [f for f in report.findings if f.rule_id == "EINV-VAL-ENGINE"]
    assert engine and engine[0].layer == "pdfa"


def test_no_container_option_skips_the_pdfa_layer(fr_xml):
    report = validate(hybrid_pdf(fr_xml, output_intent=False), check_container=False)
    assert report.verdict == "valid"
    assert all(rs.layer != "pdfa" for rs in report.rule_sets)


# ----------------------------------------------------------------------------- bounded reading
_MEASURE = r"""
import json, sys, tracemalloc
sys.path[:0] = {paths!r}
from validation_test_support import fixture, hybrid_pdf, zeros_stream, flate
from einvoice.validation import validate
xml = fixture("fr-en16931.cii.xml")
validate(hybrid_pdf(xml))  # imports, stylesheet compilation: not measured
hostile = {build}
tracemalloc.start()
report = {call}
current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
pdfa = sorted(f.rule_id for f in getattr(report, "findings", []) if f.layer == "pdfa")
print(json.dumps({{"peak_kib": (peak - len(hostile)) // 1024, "size": len(hostile),
                  "verdict": getattr(report, "verdict", None), "pdfa": pdfa}}))
"""


def _measure(build: str, call: str = "validate(hostile)") -> dict:
    """Peak Python allocations (tracemalloc, beyond the input itself) while ``call`` reads the PDF built by
    ``build``, in a fresh interpreter: decompressed bytes are Python objects, so an inflated attachment or
    content stream would show up in full."""
    repo = HERE.parents[2]
    code = _MEASURE.format(paths=[str(HERE), str(repo / "layers/core/python")], build=build, call=call)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


_ANNEXES = 'hybrid_pdf(xml, attachments={f"annex-{i}.bin": zeros_stream(70 * 1024 * 1024) for i in range(3)})'


def test_memory_measure_sees_an_inflated_attachment():
    """The measure is sensitive: reading the attachments the way pypdf's attachment list does costs >200 MB."""
    call = "[a.content for a in __import__('pypdf').PdfReader(__import__('io').BytesIO(hostile)).attachment_list]"
    assert _measure(_ANNEXES, call)["peak_kib"] > 200 * 1024


def test_attachments_that_are_not_the_invoice_are_never_decompressed():
    """Three 70 MB zero-filled attachments (~70 KB each compressed) next to the invoice: validating the PDF
    allocates a few MB (the invoice XML, the XMP, the rule layers), never an attachment."""
    result = _measure(_ANNEXES)
    assert result["size"] < 1_000_000
    assert result["peak_kib"] < 16 * 1024, result
    assert result["verdict"] == "valid" and result["pdfa"] == []


def test_page_content_streams_are_never_decompressed():
    """A 300 MB zero-filled page content stream: the container rules read dictionaries only."""
    result = _measure("hybrid_pdf(xml, content=zeros_stream(300 * 1024 * 1024))")
    assert result["peak_kib"] < 16 * 1024, result
    assert result["verdict"] == "valid" and result["pdfa"] == []


def test_xmp_bomb_is_a_finding_within_the_budget():
    import zlib

    from einvoice.validation import pdf as vpdf

    packet = zlib.compress(b" " * (vpdf.XMP_MAX_BYTES + 10), 9)
    xml = fixture("fr-en16931.cii.xml")
    base = hybrid_pdf(xml)
    # point the catalog at a compressed XMP larger than XMP_MAX_BYTES
    from validation_test_support import PdfBuilder

    b = PdfBuilder()
    meta = b.stream(b"/Type/Metadata/Subtype/XML/Filter/FlateDecode/Length %d" % len(packet), packet)
    ef = b.stream(*flate(xml, b"/Type/EmbeddedFile/Subtype/text#2Fxml"))
    spec = b.obj(b"<</Type/Filespec/F(factur-x.xml)/UF(factur-x.xml)/AFRelationship/Data/EF<</F %d 0 R>>>>" % ef)
    pages = b.obj(b"<</Type/Pages/Kids[]/Count 0>>")
    root = b.obj(b"<</Type/Catalog/Pages %d 0 R/Metadata %d 0 R/AF[%d 0 R]/Names<</EmbeddedFiles<</Names["
                 b"(factur-x.xml)%d 0 R]>>>>>>" % (pages, meta, spec, spec))
    report = validate(b.build(root))
    xmp = [f for f in report.findings if f.rule_id == "PDFA-XMP"]
    assert xmp and "larger than" in xmp[0].message
    assert base  # the well-formed variant is covered above


def test_budget_bounds_every_decompression_of_a_request():
    from einvoice.errors import PayloadTooLargeError
    from einvoice.validation.pdf import Budget, decode_stream

    class Stream(dict):
        pass

    entries, data = zeros_stream(10 * 1024 * 1024)
    s = Stream({"/Filter": "/FlateDecode"})
    s._data = data
    budget = Budget(3 * 1024 * 1024)
    with pytest.raises(PayloadTooLargeError) as exc:
        decode_stream(s, 50 * 1024 * 1024, budget, "test stream")
    assert exc.value.details[0].rule == "PDF-DECOMPRESSION-BUDGET"
    assert budget.used <= 3 * 1024 * 1024 + 256 * 1024  # stopped within one inflate chunk of the budget


def test_memory_is_released_when_the_validation_returns(fr_xml):
    """No reference cycle keeps the PDF's objects (or pypdf's copy of the input) after the call."""
    import gc
    import os
    import tracemalloc

    pdf = hybrid_pdf(fr_xml, attachments={f"scan-{i}.bin": (b"/Length %d" % (1 << 20), os.urandom(1 << 20))
                                          for i in range(3)})
    validate(pdf)  # warm caches
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        report = validate(pdf)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        gc.enable()
    assert report.verdict == "valid"
    assert peak > len(pdf)  # the raw streams were read...
    assert current < 512 * 1024, current  # ...and released by reference counting alone
