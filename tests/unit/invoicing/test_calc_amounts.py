"""Exact decimal computation (BT-131, BG-23, BG-22) and BR-CO consistency checks."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from einvoice.invoicing import calc
from einvoice.invoicing.model import Invoice, InvoiceLine
from tests.unit.invoicing.model_samples import sample_body, sample_invoice


def _line(**kw):
    base = {"id": "1", "quantity": "1", "netPrice": "0", "vatCategory": "S", "vatRate": "20", "name": "x"}
    base.update(kw)
    return InvoiceLine.model_validate(base)


def _invoice(lines, **kw):
    body = sample_body()
    body["lines"] = lines
    body["allowances"] = kw.pop("allowances", [])
    body["charges"] = kw.pop("charges", [])
    body.update(kw)
    return Invoice.model_validate(body)


@pytest.mark.parametrize(
    "qty, price, base, expected",
    [
        ("3", "0.335", None, "1.01"),  # 1.005 -> half-up 1.01 (a float would give 1.00)
        ("1", "2.675", None, "2.68"),  # classic float trap (2.675 -> 2.67 in binary)
        ("-3", "0.335", None, "-1.01"),  # negative ties round away from zero, like round(abs())
        ("10", "12.3456", "100", "1.23"),  # price per base quantity 100
        ("7", "1.4285714", None, "10.00"),
        ("0.0001", "999999.999999", None, "100.00"),
    ],
)
def test_line_net_amount_rounding(qty, price, base, expected):
    line = _line(quantity=qty, netPrice=price, **({"baseQuantity": base} if base else {}))
    assert calc.line_net_amount(line) == D(expected)


def test_line_allowances_and_charges_apply_before_rounding_result():
    line = _line(quantity="2.5", netPrice="80", allowances=[{"amount": "10.00", "reason": "r"}],
                 charges=[{"amount": "1.25", "reason": "c"}])
    assert calc.line_net_amount(line) == D("191.25")


def test_round2_half_up():
    assert calc.round2(D("0.005")) == D("0.01")
    assert calc.round2(D("0.0049999")) == D("0.00")
    assert calc.round2(D("-0.005")) == D("-0.01")


def test_vat_breakdown_multiple_rates_and_document_allowance_charge():
    inv = calc.compute(sample_invoice())
    by = {(v.category, v.rate): v for v in inv.vat_breakdown}
    s20 = by[("S", D("20"))]
    s55 = by[("S", D("5.5"))]
    # lines 59.97 + 190.00 (net of the line allowance) + charge 15 - allowance 5
    assert s20.taxable_amount == D("259.97") and s20.tax_amount == D("51.99")
    assert s55.taxable_amount == D("12.50") and s55.tax_amount == D("0.69")  # 0.6875 -> 0.69
    t = inv.totals
    assert (t.line_total, t.allowance_total, t.charge_total) == (D("262.47"), D("5.00"), D("15.00"))
    assert t.tax_exclusive == D("272.47")  # BR-CO-13
    assert t.tax_amount == D("52.68")  # BR-CO-14
    assert t.tax_inclusive == D("325.15")  # BR-CO-15
    assert t.payable == D("325.15")  # BR-CO-16
    assert calc.check_amounts(inv) == []


def test_vat_is_rounded_per_breakdown_not_per_line():
    # 3 lines of 0.05 at 20 %: per-line VAT 0.01 x 3 = 0.03, BR-CO-17 gives round(0.15 x 0.2) = 0.03
    # 3 lines of 0.07 at 5.5 %: per line 0.00 x 3 = 0, per breakdown round(0.21 x 0.055)=0.01
    lines = [_line(id=str(i), netPrice="0.07", vatRate="5.5").model_dump(by_alias=True) for i in range(3)]
    inv = calc.compute(_invoice(lines))
    assert inv.vat_breakdown[0].tax_amount == D("0.01")


@pytest.mark.parametrize(
    "category, reason_code",
    [("AE", "VATEX-EU-AE"), ("K", "VATEX-EU-IC"), ("G", "VATEX-EU-G"), ("O", "VATEX-EU-O")],
)
def test_untaxed_categories_get_zero_vat_and_default_exemption_reason(category, reason_code):
    rate = None if category == "O" else "0"
    line = {"id": "1", "quantity": "2", "netPrice": "50", "vatCategory": category, "vatRate": rate, "name": "x"}
    inv = calc.compute(_invoice([line]))
    (v,) = inv.vat_breakdown
    assert v.category == category and v.taxable_amount == D("100.00") and v.tax_amount == D("0.00")
    assert v.exemption_reason_code == reason_code and v.exemption_reason  # BT-120 / BT-121
    assert inv.totals.tax_inclusive == D("100.00")


def test_exempt_category_e_keeps_the_given_reason_and_fills_amounts():
    line = {"id": "1", "quantity": "1", "netPrice": "100", "vatCategory": "E", "vatRate": "0", "name": "x"}
    inv = calc.compute(_invoice([line], vatBreakdown=[
        {"category": "E", "rate": "0", "exemptionReason": "TVA non applicable, art. 293 B du CGI"}]))
    (v,) = inv.vat_breakdown
    assert v.exemption_reason == "TVA non applicable, art. 293 B du CGI"
    assert v.taxable_amount == D("100.00") and v.tax_amount == D("0.00")


def test_exempt_category_e_without_reason_gets_none():
    line = {"id": "1", "quantity": "1", "netPrice": "100", "vatCategory": "E", "vatRate": "0", "name": "x"}
    (v,) = calc.compute(_invoice([line])).vat_breakdown
    assert v.exemption_reason is None and v.exemption_reason_code is None


def test_mixed_categories_group_by_category_and_rate():
    lines = [
        {"id": "1", "quantity": "1", "netPrice": "100", "vatCategory": "S", "vatRate": "20", "name": "a"},
        {"id": "2", "quantity": "1", "netPrice": "100", "vatCategory": "S", "vatRate": "20.00", "name": "b"},
        {"id": "3", "quantity": "1", "netPrice": "40", "vatCategory": "K", "vatRate": "0", "name": "c"},
        {"id": "4", "quantity": "1", "netPrice": "10", "vatCategory": "S", "vatRate": "10", "name": "d"},
    ]
    inv = calc.compute(_invoice(lines))
    got = [(v.category, v.rate, v.taxable_amount, v.tax_amount) for v in inv.vat_breakdown]
    assert got == [("S", D("20"), D("200.00"), D("40.00")), ("K", D("0"), D("40.00"), D("0.00")),
                   ("S", D("10"), D("10.00"), D("1.00"))]


def test_prepaid_and_rounding_amounts_feed_the_amount_due():
    inv = calc.compute(sample_invoice(totals={"prepaid": "100.00", "rounding": "-0.15"}))
    assert inv.totals.payable == D("225.00")  # 325.15 - 100 - 0.15
    assert calc.check_amounts(inv) == []


def test_compute_keeps_provided_amounts_and_overwrite_recomputes():
    body = sample_body()
    body["lines"][0]["netAmount"] = "60.00"  # should be 59.97
    inv = calc.compute(Invoice.model_validate(body))
    assert inv.lines[0].net_amount == D("60.00")
    errors = calc.check_amounts(inv)
    assert [e.rule for e in errors] == ["CALC-BT-131"]
    assert errors[0].field == "lines[0].netAmount" and errors[0].message_fr
    fixed = calc.compute(inv, overwrite=True)
    assert fixed.lines[0].net_amount == D("59.97") and calc.check_amounts(fixed) == []


def test_compute_is_idempotent():
    once = calc.compute(sample_invoice())
    assert calc.compute(once) == once


def _tamper(path, value):
    inv = calc.compute(sample_invoice())
    data = inv.to_json_dict()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return Invoice.model_validate(data)


@pytest.mark.parametrize(
    "path, value, rule, field",
    [
        (("totals", "lineTotal"), "262.48", "BR-CO-10", "totals.lineTotal"),
        (("totals", "allowanceTotal"), "6.00", "BR-CO-11", "totals.allowanceTotal"),
        (("totals", "chargeTotal"), "16.00", "BR-CO-12", "totals.chargeTotal"),
        (("totals", "taxExclusive"), "272.46", "BR-CO-13", "totals.taxExclusive"),
        (("totals", "taxAmount"), "52.69", "BR-CO-14", "totals.taxAmount"),
        (("totals", "taxInclusive"), "325.16", "BR-CO-15", "totals.taxInclusive"),
        (("totals", "payable"), "325.14", "BR-CO-16", "totals.payable"),
        (("vatBreakdown", 0, "taxAmount"), "52.00", "BR-CO-17", "vatBreakdown[0].taxAmount"),
        (("vatBreakdown", 0, "taxableAmount"), "260.00", "BR-S-08", "vatBreakdown[0].taxableAmount"),
    ],
)
def test_each_inconsistency_reports_its_rule(path, value, rule, field):
    errors = calc.check_amounts(_tamper(path, value))
    assert rule in [e.rule for e in errors]
    hit = next(e for e in errors if e.rule == rule)
    assert hit.field == field and hit.message and hit.message_fr


def test_missing_breakdown_for_a_used_category_is_reported():
    inv = calc.compute(sample_invoice())
    inv = inv.model_copy(update={"vat_breakdown": inv.vat_breakdown[:1]})
    assert "BR-S-01" in [e.rule for e in calc.check_amounts(inv)]
    empty = inv.model_copy(update={"vat_breakdown": []})
    assert "BR-CO-18" in [e.rule for e in calc.check_amounts(empty)]


def test_tax_on_zero_rated_category_reports_br_x_09():
    line = {"id": "1", "quantity": "1", "netPrice": "100", "vatCategory": "K", "vatRate": "0", "name": "x"}
    inv = calc.compute(_invoice([line]))
    bad = inv.model_copy(update={"vat_breakdown": [inv.vat_breakdown[0].model_copy(update={"tax_amount": D("1")})]})
    assert "BR-IC-09" in [e.rule for e in calc.check_amounts(bad)]


def test_cen_cii_tolerance_accepts_one_unit_on_br_co_17():
    bad = _tamper(("vatBreakdown", 0, "taxAmount"), "52.50")
    assert "BR-CO-17" in [e.rule for e in calc.check_amounts(bad)]
    assert "BR-CO-17" not in [e.rule for e in calc.check_amounts(bad, calc.Tolerances.cen_cii())]


def test_group_sub_lines_are_excluded_from_totals():
    lines = [
        {"id": "1", "quantity": "1", "netPrice": "300", "vatCategory": "S", "vatRate": "20", "name": "group",
         "lineStatus": "GROUP"},
        {"id": "2", "parentLineId": "1", "lineStatus": "DETAIL", "quantity": "1", "netPrice": "100",
         "vatCategory": "S", "vatRate": "20", "name": "a"},
        {"id": "3", "parentLineId": "1", "lineStatus": "DETAIL", "quantity": "1", "netPrice": "200",
         "vatCategory": "S", "vatRate": "20", "name": "b"},
    ]
    inv = calc.compute(_invoice(lines))
    assert inv.totals.line_total == D("300.00") and inv.vat_breakdown[0].taxable_amount == D("300.00")
    assert calc.check_amounts(inv) == []
