"""Hardened XML parsing and error mapping."""

from __future__ import annotations

import pytest

from einvoice.errors import BadRequestError, InvalidInputError
from einvoice.invoicing import cii, parse, ubl
from tests.unit.invoicing.model_samples import sample_invoice


def test_malformed_xml_is_a_bad_request():
    for data in (b"", b"   ", b"<not-closed>", b"\xff\xfe garbage", b"{\"json\": true}"):
        with pytest.raises(BadRequestError):
            parse.parse_xml(data)


def test_truncated_invoice_is_a_bad_request():
    xml = cii.to_cii(sample_invoice())
    with pytest.raises(BadRequestError):
        parse.parse_xml(xml[: len(xml) // 2])


def test_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
           '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">'
           '&e;</rsm:CrossIndustryInvoice>').encode()
    with pytest.raises(BadRequestError) as err:
        parse.parse_xml(xxe)
    assert "TOPSECRET" not in err.value.message


def test_entity_expansion_bomb_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    ) + b']><lolz>&lol9;</lolz>'
    with pytest.raises(BadRequestError):
        parse.parse_xml(bomb)


def test_unknown_root_is_a_bad_request():
    with pytest.raises(BadRequestError, match="Not a CII or UBL invoice"):
        parse.parse_xml(b"<Invoice/>")  # no UBL namespace


def test_zugferd_1_is_a_bad_request():
    xml = b'<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"/>'
    with pytest.raises(BadRequestError, match="ZUGFeRD 1.0"):
        parse.parse_xml(xml)


def test_unreadable_values_are_invalid_input_with_the_field():
    xml = cii.to_cii(sample_invoice()).replace(b"<ram:ChargeAmount>19.99<", b"<ram:ChargeAmount>19,99<")
    with pytest.raises(InvalidInputError) as err:
        parse.parse_xml(xml)
    assert err.value.details[0].field == "lines[0].netPrice"
    xml = ubl.to_ubl(sample_invoice()).replace(b"<cbc:IssueDate>2026-09-15<", b"<cbc:IssueDate>2026-02-30<")
    with pytest.raises(InvalidInputError) as err:
        parse.parse_xml(xml)
    assert err.value.details[0].field == "issueDate"


def test_detect_format():
    inv = sample_invoice()
    assert parse.detect_format(cii.to_cii(inv)) == "cii"
    assert parse.detect_format(ubl.to_ubl(inv)) == "ubl-invoice"
    credit = sample_invoice(typeCode="381", precedingInvoices=[{"number": "F1", "issueDate": "2026-01-01"}])
    assert parse.detect_format(ubl.to_ubl(credit)) == "ubl-creditnote"


def test_str_input_is_accepted():
    xml = cii.to_cii(sample_invoice()).decode("utf-8")
    assert parse.parse_xml(xml.split("?>", 1)[1].encode()).number == "F2026-0001"


def test_ubl_concatenated_notes_are_split():
    notes = parse._ubl_notes(["#PMT#forty euros", "#AAB#no discount#PMD#penalties", "plain", "#BAR#B2B"])
    assert [(n.subject_code, n.text) for n in notes] == [
        ("PMT", "forty euros"), ("AAB", "no discount"), ("PMD", "penalties"), (None, "plain"), ("BAR", "B2B")]
