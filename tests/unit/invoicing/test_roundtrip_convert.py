"""convert(): JSON / model / XML in, CII or UBL out, through the semantic model."""

from __future__ import annotations

import pytest
from lxml import etree

from einvoice.errors import BadRequestError
from einvoice.invoicing import calc, cii, convert, parse, ubl
from einvoice.invoicing.model import SPECIFICATION_IDS
from tests.unit.invoicing.model_samples import sample_body, sample_invoice


def test_convert_accepts_json_body_model_and_xml():
    inv = calc.compute(sample_invoice())
    from_json = convert.convert(sample_body(), to="cii")
    from_model = convert.convert(inv, to="cii")
    from_ubl_bytes = convert.convert(ubl.to_ubl(inv), to="cii")
    from_ubl_str = convert.convert(ubl.to_ubl(inv).decode("utf-8").split("?>", 1)[1], to="cii")
    assert from_json == from_model == from_ubl_bytes == from_ubl_str
    assert parse.parse_xml(from_model) == inv


def test_cii_to_ubl_credit_note():
    inv = calc.compute(sample_invoice(typeCode="381", precedingInvoices=[{"number": "F1", "issueDate": "2026-09-01"}]))
    out = convert.convert(cii.to_cii(inv), to="ubl")
    assert etree.QName(etree.fromstring(out)).localname == "CreditNote"
    assert parse.parse_xml(out) == inv


def test_extended_ctc_fr_profile_is_kept_across_syntaxes():
    inv = calc.compute(sample_invoice(specificationId=SPECIFICATION_IDS["extended-ctc-fr"]))
    ubl_xml = convert.convert(inv, to="ubl")
    assert etree.fromstring(ubl_xml).findtext("{%s}CustomizationID" % ubl.CBC) == SPECIFICATION_IDS["extended-ctc-fr"]
    assert parse.parse_xml(convert.convert(ubl_xml, to="cii")).specification_id == SPECIFICATION_IDS["extended-ctc-fr"]


def test_factur_x_only_profiles_become_en16931_in_ubl():
    inv = calc.compute(sample_invoice(specificationId=SPECIFICATION_IDS["extended"]))
    ubl_xml = convert.convert(inv, to="ubl")
    assert etree.fromstring(ubl_xml).findtext("{%s}CustomizationID" % ubl.CBC) == "urn:cen.eu:en16931:2017"


def test_profile_override_for_cii():
    out = convert.convert(sample_body(), to="cii", profile="basicwl")
    assert parse.parse_xml(out).specification_id == SPECIFICATION_IDS["basicwl"]


def test_bad_inputs():
    with pytest.raises(ValueError):
        convert.convert(sample_body(), to="pdf")
    with pytest.raises(TypeError):
        convert.convert(42, to="cii")
    with pytest.raises(BadRequestError):
        convert.convert(b"<oops", to="ubl")


def test_extended_ctc_fr_tolerances():
    inv = calc.compute(sample_invoice())
    tol = calc.Tolerances.extended_ctc_fr(inv)
    assert tol.sums == calc.CENT * (len(inv.lines) + len(inv.allowances) + len(inv.charges))
    totals = inv.totals.model_copy(update={"line_total": inv.totals.line_total + calc.CENT * 2})
    off_by_two_cents = inv.model_copy(update={"totals": totals})
    assert "BR-CO-10" in [e.rule for e in calc.check_amounts(off_by_two_cents)]
    assert "BR-CO-10" not in [e.rule for e in calc.check_amounts(off_by_two_cents, tol)]
