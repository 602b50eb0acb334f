"""Malformed and hostile input: always a typed error, never a crash, a hang or a 'valid' verdict."""

from __future__ import annotations

import pytest
from validation_test_support import PdfBuilder, fixture, hybrid_pdf, make_pdf, zeros_stream

from einvoice.errors import BadRequestError, PayloadTooLargeError
from einvoice.validation import detect, validate
from einvoice.validation.inputs import DEFAULT_MAX_BYTES, profile_from_specification_id

CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"


def _rule(exc: pytest.ExceptionInfo) -> str | None:
    return exc.value.details[0].rule if exc.value.details else None


@pytest.mark.parametrize(
    "data",
    [b"hello, this is not an invoice", b'{"json": true}', b"\x00\x01\x02\x03binary", b"   "],
    ids=["text", "json", "binary", "blank"],
)
def test_not_xml_is_bad_request(data):
    with pytest.raises(BadRequestError):
        validate(data)


def test_empty_is_bad_request():
    with pytest.raises(BadRequestError):
        validate(b"")


def test_malformed_xml_is_bad_request():
    with pytest.raises(BadRequestError) as exc:
        validate(b"<rsm:CrossIndustryInvoice xmlns:rsm='%s'><a></b>" % CII_NS.encode())
    assert _rule(exc) == "XML-SYNTAX"
    assert exc.value.details[0].message_fr


def test_xxe_external_entity_is_refused_without_reading_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        f'<rsm:CrossIndustryInvoice xmlns:rsm="{CII_NS}">&x;</rsm:CrossIndustryInvoice>'
    ).encode()
    with pytest.raises(BadRequestError) as exc:
        validate(xml)
    assert _rule(exc) == "XML-DOCTYPE"
    assert "TOP-SECRET-VALUE" not in str(exc.value.message)


def test_external_dtd_is_refused():
    xml = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>'
    with pytest.raises(BadRequestError) as exc:
        validate(xml)
    assert _rule(exc) == "XML-DOCTYPE"


def test_billion_laughs_is_refused_before_any_expansion():
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)
    )
    xml = f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]><lolz>&lol9;</lolz>'.encode()
    with pytest.raises(BadRequestError) as exc:
        validate(xml)
    assert _rule(exc) == "XML-DOCTYPE"  # refused by the DOCTYPE scan, the parser never sees the entities


def test_doctype_in_utf16_document_is_refused():
    xml = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'.encode("utf-16")
    with pytest.raises(BadRequestError):
        validate(xml)


def test_dummy_root_is_refused_not_valid():
    with pytest.raises(BadRequestError) as exc:
        validate(b"<root/>")
    assert _rule(exc) == "XML-ROOT"


def test_unknown_root_element_is_bad_request():
    with pytest.raises(BadRequestError) as exc:
        validate(b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>')
    assert _rule(exc) == "XML-ROOT"
    assert "Order" in exc.value.message


def test_empty_cii_root_is_invalid_not_valid():
    """A bare CII root (the 'dummy passes' trap): no BT-24, XSD errors, BR-01... -> invalid."""
    report = validate(f'<rsm:CrossIndustryInvoice xmlns:rsm="{CII_NS}"/>'.encode())
    assert report.verdict == "invalid"
    assert report.profile is None
    assert "EINV-VAL-PROFILE" in report.rule_ids()
    assert report.rule_ids("fatal", "xsd")


def test_empty_ubl_root_is_invalid_not_valid():
    report = validate(b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>')
    assert report.verdict == "invalid"
    assert "BR-01" in report.rule_ids("fatal", "en16931")


def test_oversized_input_is_payload_too_large():
    with pytest.raises(PayloadTooLargeError) as exc:
        validate(b"<a/>" + b" " * 100, max_bytes=50)
    assert exc.value.details[0].rule == "FileSizeExceeded"


def test_default_size_limit_is_20_mb():
    assert DEFAULT_MAX_BYTES == 20 * 1024 * 1024
    with pytest.raises(PayloadTooLargeError):
        validate(b" " * (DEFAULT_MAX_BYTES + 1))


def test_pdf_without_embedded_invoice_is_bad_request():
    with pytest.raises(BadRequestError) as exc:
        validate(make_pdf())
    assert _rule(exc) == "PDF-NO-INVOICE"


def test_pdf_with_unrelated_xml_attachment_is_bad_request():
    with pytest.raises(BadRequestError) as exc:
        validate(make_pdf({"notes.xml": b"<notes><n>hello</n></notes>"}))
    assert _rule(exc) == "PDF-NO-INVOICE"


@pytest.mark.parametrize("fraction", [0.9, 0.5, 0.1])
def test_truncated_pdf_is_bad_request(fr_cii, fraction):
    pdf = make_pdf({"factur-x.xml": fr_cii})
    with pytest.raises(BadRequestError):
        validate(pdf[: int(len(pdf) * fraction)])


def test_garbage_after_pdf_header_is_bad_request():
    with pytest.raises(BadRequestError):
        validate(b"%PDF-1.7\n" + b"\x00garbage" * 100)


def test_xxe_inside_pdf_attachment_is_refused():
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rsm:CrossIndustryInvoice xmlns:rsm="' + CII_NS.encode() + b'">&x;</rsm:CrossIndustryInvoice>'
    )
    with pytest.raises(BadRequestError) as exc:
        validate(make_pdf({"factur-x.xml": evil}))
    assert _rule(exc) == "XML-DOCTYPE"


def test_embedded_xml_obeys_the_raw_xml_size_limit():
    """The XML inside a PDF is limited like a raw XML body: 413 FileSizeExceeded naming the attachment."""
    xml = fixture("fr-en16931.cii.xml")
    big = xml.replace(b"</rsm:CrossIndustryInvoice>", b"<!--" + b" " * 300_000 + b"--></rsm:CrossIndustryInvoice>")
    pdf = hybrid_pdf(big)
    assert len(pdf) < 100_000  # the PDF itself is small: the limit applies to the decompressed XML
    with pytest.raises(PayloadTooLargeError) as exc:
        validate(pdf, max_bytes=200_000)
    assert exc.value.details[0].rule == "FileSizeExceeded"
    assert "factur-x.xml" in exc.value.message
    assert validate(hybrid_pdf(xml), max_bytes=200_000).verdict == "valid"


def test_embedded_zip_bomb_is_413_not_an_out_of_memory():
    entries, data = zeros_stream(200 * 1024 * 1024)
    b = PdfBuilder()
    ef = b.stream(b"/Type/EmbeddedFile/Subtype/text#2Fxml" + entries, data)
    spec = b.obj(b"<</Type/Filespec/F(factur-x.xml)/UF(factur-x.xml)/AFRelationship/Data/EF<</F %d 0 R>>>>" % ef)
    pages = b.obj(b"<</Type/Pages/Kids[]/Count 0>>")
    root = b.obj(b"<</Type/Catalog/Pages %d 0 R/AF[%d 0 R]>>" % (pages, spec))
    with pytest.raises(PayloadTooLargeError) as exc:
        validate(b.build(root))
    assert exc.value.details[0].rule == "FileSizeExceeded"


def test_unnamed_invoice_attachment_is_found_by_sniffing_and_flagged():
    xml = fixture("fr-en16931.cii.xml")
    report = validate(make_pdf({"notes.txt": b"hello", "facture-123.xml": xml}))
    assert report.embedded_filename == "facture-123.xml"
    assert "FX-FILENAME" in report.rule_ids("fatal", "pdfa")


def test_damaged_invoice_stream_is_bad_request():
    b = PdfBuilder()
    ef = b.stream(b"/Type/EmbeddedFile/Filter/FlateDecode/Length 12", b"not deflate!")
    spec = b.obj(b"<</Type/Filespec/F(factur-x.xml)/UF(factur-x.xml)/EF<</F %d 0 R>>>>" % ef)
    pages = b.obj(b"<</Type/Pages/Kids[]/Count 0>>")
    root = b.obj(b"<</Type/Catalog/Pages %d 0 R/AF[%d 0 R]>>" % (pages, spec))
    with pytest.raises(BadRequestError) as exc:
        validate(b.build(root))
    assert _rule(exc) == "PDF-UNREADABLE"


def test_zugferd1_root_is_refused():
    xml = b'<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"/>'
    with pytest.raises(BadRequestError) as exc:
        validate(xml)
    assert "ZUGFeRD 1.0" in exc.value.message


def test_detect_formats(fr_cii, fr_ubl, fr_pdf):
    assert detect(fr_cii) == ("cii", "en16931")
    assert detect(fr_ubl) == ("ubl", "en16931")
    assert detect(fr_pdf) == ("facturx", "en16931")


def test_detect_profile_comes_from_the_xml_not_the_filename(fr_cii):
    fmt, profile = detect(fr_cii)
    report = validate(fr_cii, filename="something_EXTENDED-CTC-FR.xml")
    assert report.profile == profile == "en16931"


@pytest.mark.parametrize(
    ("syntax", "spec_id", "profile"),
    [
        ("cii", "urn:factur-x.eu:1p0:minimum", "minimum"),
        ("cii", "urn:factur-x.eu:1p0:basicwl", "basicwl"),
        ("cii", "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "basic"),
        ("cii", "urn:cen.eu:en16931:2017", "en16931"),
        ("cii", "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "extended"),
        ("cii", "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr", "extended-ctc-fr"),
        ("cii", "urn:zugferd.de:2p0:minimum", "minimum"),
        ("cii", "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", "en16931"),
        ("cii", "urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic", "basic"),
        ("cii", "urn:ferd:CrossIndustryDocument:invoice:1p0:comfort", None),
        ("cii", None, None),
        ("ubl", "urn:cen.eu:en16931:2017", "en16931"),
        ("ubl", "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0", "en16931"),
        ("ubl", "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr", "extended-ctc-fr"),
        ("ubl", "urn:something:else", None),
    ],
)
def test_profile_from_bt24(syntax, spec_id, profile):
    assert profile_from_specification_id(syntax, spec_id) == profile
