"""French legal checks and EN 16931 core rules: one failing example per rule id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from einvoice.errors import InvalidInputError
from einvoice.invoicing import calc, checks
from einvoice.invoicing.model import Invoice
from tests.unit.invoicing.model_samples import BUYER_SIREN, SELLER_SIREN, sample_body


def _run(mutate: Callable[[dict[str, Any]], Any] | None = None) -> list:
    body = sample_body()
    if mutate:
        mutate(body)
    return checks.check(calc.compute(Invoice.model_validate(body)))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(body: dict[str, Any]) -> None:
        node: Any = body
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        for k in keys[:-1]:
            node = node[k]
        if value is _DEL:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return apply


_DEL = object()


def _all(*fns: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def apply(body: dict[str, Any]) -> None:
        for f in fns:
            f(body)
    return apply


def _line(**kw: Any) -> dict[str, Any]:
    base = {"id": "9", "quantity": "1", "netPrice": "10", "vatCategory": "S", "vatRate": "20", "name": "x"}
    base.update(kw)
    return base


def _notes_without(code: str) -> Callable[[dict[str, Any]], None]:
    def apply(body: dict[str, Any]) -> None:
        body["notes"] = [n for n in body["notes"] if n["subjectCode"] != code]
    return apply


def _add(path: str, item: Any) -> Callable[[dict[str, Any]], None]:
    def apply(body: dict[str, Any]) -> None:
        node: Any = body
        for k in path.split("."):
            node = node[int(k)] if k.isdigit() else node.setdefault(k, [])
        node.append(item)
    return apply


def test_the_sample_invoice_passes_every_check():
    assert _run() == []


CASES = [
    # EN 16931 core
    ("BR-01", "specificationId", _set("specificationId", "")),
    ("BR-02", "number", _set("number", " ")),
    ("BR-05", "currency", _set("currency", "EURO")),
    ("BR-06", "seller.name", _set("seller.name", " ")),
    ("BR-07", "buyer.name", _set("buyer.name", "")),
    ("BR-09", "seller.address.countryCode", _set("seller.address.countryCode", "France")),
    ("BR-11", "buyer.address.countryCode", _set("buyer.address.countryCode", "")),
    ("BR-16", "lines", _set("lines", [])),
    ("BR-27", "lines[0].netPrice", _set("lines.0.netPrice", "-1")),
    ("BR-28", "lines[0].grossPrice", _set("lines.0.grossPrice", "-1")),
    ("BR-33", "allowances[0].reason", _all(_set("allowances.0.reason", None), _set("allowances.0.reasonCode", None))),
    ("BR-38", "charges[0].reason", _set("charges.0.reason", None)),
    ("BR-42", "lines[1].allowances[0].reason", _set("lines.1.allowances.0.reason", None)),
    ("BR-44", "lines[0].charges[0].reason", _set("lines.0.charges", [{"amount": "1.00"}])),
    ("BR-48", "vatBreakdown[0].rate", _set("vatBreakdown", [{"category": "S"}])),
    ("BR-55", "precedingInvoices[0].number", _set("precedingInvoices", [{"number": " "}])),
    ("BR-61", "paymentInstructions.creditTransfers", _set("paymentInstructions.creditTransfers", [])),
    ("BR-CL-06", "vatDueDateCode", _set("vatDueDateCode", "5")),
    ("BR-CL-18", "lines[0].vatCategory", _set("lines.0.vatCategory", "X")),
    ("BR-CO-03", "vatDueDateCode", _set("taxPointDate", "2026-09-15")),
    ("BR-CO-09", "seller.vatId", _set("seller.vatId", "44" + SELLER_SIREN)),
    ("BR-FR-MENTION-07", "seller.vatId", _set("seller.vatId", "FR00" + SELLER_SIREN)),
    ("BR-FR-MENTION-07", "buyer.vatId", _set("buyer.vatId", "DE123456789")),
    ("BR-CO-25", "dueDate", _all(_set("dueDate", None), _set("paymentTerms", None))),
    ("BR-CO-26", "seller", _all(_set("seller.identifiers", []), _set("seller.siren", None), _set("seller.vatId", None))),
    # VAT categories
    ("BR-S-02", "seller.vatId", _set("seller.vatId", None)),
    ("BR-S-05", "lines[0].vatRate", _set("lines.0.vatRate", "0")),
    ("BR-E-05", "lines[0].vatRate", _set("lines.0.vatCategory", "E")),
    ("BR-E-10", "vatBreakdown[2].exemptionReason", _add("lines", _line(vatCategory="E", vatRate="0"))),
    ("BR-S-10", "vatBreakdown[0].exemptionReason",
     _set("vatBreakdown", [{"category": "S", "rate": "20", "exemptionReason": "exonéré"}])),
    ("BR-AE-02", "buyer.vatId", _all(_add("lines", _line(vatCategory="AE", vatRate="0")),
                                    _set("buyer.vatId", None), _set("buyer.siren", None))),
    ("BR-IC-02", "buyer.vatId", _all(_add("lines", _line(vatCategory="K", vatRate="0")), _set("buyer.vatId", None))),
    ("BR-IC-11", "delivery.date", _all(_add("lines", _line(vatCategory="K", vatRate="0")), _set("delivery", None))),
    ("BR-IC-12", "delivery.address", _all(_add("lines", _line(vatCategory="K", vatRate="0")),
                                          _set("delivery.address", None))),
    ("BR-O-05", "lines[3].vatRate", _add("lines", _line(vatCategory="O", vatRate="0"))),
    ("BR-O-11", "lines", _add("lines", _line(vatCategory="O", vatRate=None))),
    ("BR-O-02", "seller.vatId", _add("lines", _line(vatCategory="O", vatRate=None))),
    ("BR-O-03", "seller.vatId", _set("allowances.0.vatCategory", "O")),
    ("BR-O-04", "seller.vatId", _set("charges.0.vatCategory", "O")),
    # French rules
    ("BR-FR-02", "number", _set("number", "F 2026 1")),
    ("BR-FR-01", "number", _set("number", "F" * 36)),
    ("BR-FR-02", "precedingInvoices[0].number", _set("precedingInvoices", [{"number": "F#1", "issueDate": "2026-01-02"}])),
    ("BR-FR-01", "precedingInvoices[0].number", _set("precedingInvoices", [{"number": "F" * 36, "issueDate": "2026-01-02"}])),
    ("BR-FR-03", "issueDate", _set("issueDate", "1999-12-31")),
    ("BR-FR-03", "delivery.date", _set("delivery.date", "2100-01-01")),
    ("BR-FR-04", "typeCode", _set("typeCode", "383")),
    ("BR-FR-05", "notes", _notes_without("PMT")),
    ("BR-FR-05", "notes", _notes_without("PMD")),
    ("BR-FR-05", "notes", _notes_without("AAB")),
    ("BR-FR-06", "notes", _add("notes", {"subjectCode": "PMD", "text": "again"})),
    ("BR-FR-06", "notes", _all(_add("notes", {"subjectCode": "TXD", "text": "a"}),
                               _add("notes", {"subjectCode": "TXD", "text": "b"}))),
    ("BR-FR-08", "businessProcess", _set("businessProcess", None)),
    ("BR-FR-08", "businessProcess", _set("businessProcess", "B3")),
    ("BR-FR-09", "seller.identifiers[0].value", _set("seller.identifiers.0.value", SELLER_SIREN + "00075")),
    ("BR-FR-09", "seller.identifiers[0].value", _set("seller.identifiers.0.value", "55210055400013")),
    ("BR-FR-10", "seller.siren", _set("seller.siren", None)),
    ("BR-FR-10", "seller.siren", _set("seller.siren", "732829321")),
    ("BR-FR-10", "seller.sirenScheme", _set("seller.sirenScheme", "0009")),
    ("BR-FR-11", "buyer.siren", _set("buyer.siren", None)),
    ("BR-FR-11", "buyer.siren", _set("buyer.siren", "55210055")),
    ("BR-FR-32", "buyer.siren", _all(_notes_without("BAR"), _set("buyer.siren", "552100555"))),
    ("BR-FR-MENTION-06", "buyer.siren", _all(_notes_without("BAR"), _set("buyer.siren", None))),
    ("BR-FR-12", "buyer.electronicAddress", _set("buyer.electronicAddress", None)),
    ("BR-FR-13", "seller.electronicAddress", _set("seller.electronicAddress", None)),
    ("BR-FR-15", "lines[0].vatCategory", _set("lines.0.vatCategory", "L")),
    ("BR-FR-16", "lines[0].vatRate", _set("lines.0.vatRate", "19")),
    ("BR-FR-17", "additionalDocuments[0].description", _set("additionalDocuments", [{"id": "A1", "description": "FOO"}])),
    ("BR-FR-18", "additionalDocuments", _set("additionalDocuments", [{"id": "A1", "description": "LISIBLE"},
                                                                     {"id": "A2", "description": "LISIBLE"}])),
    ("BR-FR-20", "notes", _set("notes.3.text", "B2X")),
    ("BR-FR-21", "buyer.electronicAddress", _set("buyer.electronicAddress.value", "999999999")),
    ("BR-FR-21", "buyer.electronicAddress", _set("buyer.electronicAddress.scheme", "0009")),
    ("BR-FR-22", "seller.electronicAddress", _all(_set("typeCode", "389"),
                                                  _set("seller.electronicAddress.value", BUYER_SIREN))),
    ("BR-FR-23", "seller.electronicAddress.value", _set("seller.electronicAddress.value", SELLER_SIREN + "@x")),
    ("BR-FR-25", "buyer.electronicAddress.value", _set("buyer.electronicAddress.value", BUYER_SIREN + "_" + "a" * 120)),
    ("BR-FR-32", "seller.identifiers[1].value", _add("seller.identifiers", {"value": "12345", "scheme": "0002"})),
    ("BR-FR-CO-03", "contractReference", _all(_set("typeCode", "262"),
                                               _set("precedingInvoices", [{"number": "F1", "issueDate": "2026-01-01"}]))),
    ("BR-FR-CO-04", "precedingInvoices", _set("typeCode", "384")),
    ("BR-FR-CO-04", "precedingInvoices", _all(_set("typeCode", "384"), _set("precedingInvoices", [
        {"number": "F1", "issueDate": "2026-01-01"}, {"number": "F2", "issueDate": "2026-01-02"}]))),
    ("BR-FR-CO-04", "precedingInvoices[0].issueDate", _all(_set("typeCode", "384"),
                                                            _set("precedingInvoices", [{"number": "F1"}]))),
    ("BR-FR-CO-05", "precedingInvoices", _set("typeCode", "381")),
    ("BR-FR-CO-05", "precedingInvoices", _set("typeCode", "261")),
    ("BR-FR-CO-07", "dueDate", _set("dueDate", "2026-09-14")),
    ("BR-FR-CO-08", "businessProcess", _all(_set("businessProcess", "B4"), _set("typeCode", "386"))),
    ("BR-FR-CO-09", "totals.prepaid", _set("businessProcess", "M2")),
    ("BR-FR-CO-09", "dueDate", _all(_set("businessProcess", "S2"), _set("dueDate", None))),
    ("BR-FR-CO-12", "taxCurrency", _set("currency", "USD")),
    ("BR-FR-CO-14", "notes", _add("seller.identifiers", {"value": "552100554", "scheme": "0231"})),
    ("BR-FR-CO-15", "taxRepresentative", _add("seller.identifiers", {"value": "552100554", "scheme": "0231"})),
    ("BR-FR-DEC-01", "charges[0].amount", _set("charges.0.amount", "15.001")),
    ("BR-FR-DEC-02", "lines[0].quantity", _set("lines.0.quantity", "1.00001")),
    ("BR-FR-DEC-03", "lines[0].netPrice", _set("lines.0.netPrice", "1.1234567")),
    ("BR-FR-DEC-04", "lines[0].vatRate", _set("lines.0.vatRate", "20.000")),
    ("BR-FR-MENTION-01", "seller.address", _set("seller.address.city", None)),
    ("BR-FR-MENTION-01", "buyer.address", _all(_set("buyer.address.line1", None), _set("buyer.address.postcode", None))),
    ("BR-FR-MENTION-02", "delivery.address", _set("delivery.address.city", None)),
    ("BR-FR-MENTION-03", "seller.vatId", _set("seller.vatId", None)),
    ("BR-FR-MENTION-04", "dueDate", _set("dueDate", None)),
]


@pytest.mark.parametrize("rule, field, mutate", CASES, ids=[f"{c[0]}:{c[1]}:{i}" for i, c in enumerate(CASES)])
def test_rule_fails_with_field_and_bilingual_message(rule, field, mutate):
    errors = _run(mutate)
    hits = [e for e in errors if e.rule == rule]
    assert hits, f"{rule} not reported; got {[(e.rule, e.field) for e in errors]}"
    assert field in [e.field for e in hits]
    for e in hits:
        assert e.message and e.message_fr and e.message != e.message_fr


def test_ubl_needs_schemes_on_party_identifiers():
    body = sample_body()
    body["seller"]["identifiers"].append({"value": "PRIV-1"})
    inv = calc.compute(Invoice.model_validate(body))
    assert checks.check(inv) == []  # fine in CII (private ram:ID)
    errors = checks.check(inv, syntax="ubl")
    assert [(e.rule, e.field) for e in errors] == [("BR-FR-CO-10", "seller.identifiers[1].scheme")]


def test_vat_on_debits_option_mention():
    inv = calc.compute(Invoice.model_validate(sample_body()))  # M1 with BT-8 = 3
    assert checks.check(inv, vat_on_debits=True) == []
    errors = checks.check(inv, vat_on_debits=False)
    assert [(e.rule, e.field) for e in errors] == [("BR-FR-MENTION-05", "vatDueDateCode")]
    body = sample_body()
    body["vatDueDateCode"] = "432"
    errors = checks.check(calc.compute(Invoice.model_validate(body)), vat_on_debits=True)
    assert [(e.rule, e.field) for e in errors] == [("BR-FR-MENTION-05", "vatDueDateCode")]


def test_every_rule_id_in_checks_has_a_failing_example():
    import re
    from pathlib import Path

    source = Path(checks.__file__).read_text(encoding="utf-8")
    ids = set(re.findall(r'"(BR-[A-Z0-9-]+)"', source))
    covered = {c[0] for c in CASES} | {"BR-FR-CO-10", "BR-FR-MENTION-05"}
    assert ids - covered == set()


def test_b2c_invoice_needs_no_buyer_siren():
    def mutate(body):
        body["notes"][3]["text"] = "B2C"
        body["buyer"]["siren"] = None
        body["buyer"]["vatId"] = None
    assert _run(mutate) == []


def test_foreign_buyer_legal_id_is_not_checked_as_a_siren():
    def mutate(body):
        body["notes"] = [n for n in body["notes"] if n["subjectCode"] != "BAR"]
        body["buyer"].update({"siren": "HRB 12345", "sirenScheme": None, "vatId": "DE136695976",
                              "address": {"line1": "Hauptstr. 1", "city": "Berlin", "postcode": "10115",
                                          "countryCode": "DE"}})
    assert _run(mutate) == []


def test_self_billed_invoice_is_checked_from_the_buyer_side():
    # 389: the buyer issues; BT-34 must start with the seller SIREN, BT-49 needs not carry the buyer SIREN
    def mutate(body):
        body["typeCode"] = "389"
        body["buyer"]["electronicAddress"] = {"value": BUYER_SIREN + "_FACTURES", "scheme": "0225"}
        body["seller"]["electronicAddress"] = {"value": SELLER_SIREN + "_AUTOFACT", "scheme": "0225"}
    assert _run(mutate) == []


def test_self_billed_invoice_does_not_apply_br_fr_21():
    def mutate(body):
        body["typeCode"] = "389"
        body["buyer"]["electronicAddress"] = {"value": "ANYADDRESS", "scheme": "0225"}
    assert [e.rule for e in _run(mutate)] == []


def test_credit_note_and_corrective_with_their_reference_pass():
    ref = [{"number": "F2026-0000", "issueDate": "2026-09-01"}]
    assert _run(_all(_set("typeCode", "381"), _set("precedingInvoices", ref))) == []
    assert _run(_all(_set("typeCode", "384"), _set("precedingInvoices", ref))) == []


def test_already_paid_invoice_passes_when_paid_in_full():
    def mutate(body):
        body["businessProcess"] = "M2"
        body["totals"] = {"prepaid": "325.15"}
    assert _run(mutate) == []


def test_foreign_currency_with_eur_vat_total_passes():
    def mutate(body):
        body["currency"] = "USD"
        body["taxCurrency"] = "EUR"
        body["totals"] = {"taxAmountAccounting": "45.12"}
    assert _run(mutate) == []


def test_la_poste_siret_is_accepted():
    def mutate(body):
        body["seller"]["siren"] = "356000000"
        body["seller"]["vatId"] = "FR39356000000"
        body["seller"]["identifiers"] = [{"value": "35600000049837", "scheme": "0009"}]
        body["seller"]["electronicAddress"]["value"] = "356000000"
    assert _run(mutate) == []


def test_french_rules_only_for_french_sellers_unless_forced():
    def foreign(body):
        body["seller"] = {"name": "Seller GmbH", "vatId": "DE136695976",
                          "address": {"line1": "Hauptstr. 1", "city": "Berlin", "postcode": "10115", "countryCode": "DE"}}
        body["notes"] = []
    errors = _run(foreign)
    assert not [e for e in errors if e.rule and e.rule.startswith("BR-FR")]
    body = sample_body()
    foreign(body)
    forced = checks.check(calc.compute(Invoice.model_validate(body)), french=True)
    assert "BR-FR-10" in [e.rule for e in forced]


def test_amount_checks_can_be_skipped():
    body = sample_body()
    body["lines"][0]["netAmount"] = "1.00"
    inv = calc.compute(Invoice.model_validate(body))
    assert "CALC-BT-131" in [e.rule for e in checks.check(inv)]
    assert checks.check(inv, amounts=False) == []


def test_ensure_valid_raises_invalid_input_with_every_detail():
    body = sample_body()
    body["number"] = "F 1"
    body["businessProcess"] = None
    inv = calc.compute(Invoice.model_validate(body))
    with pytest.raises(InvalidInputError) as err:
        checks.ensure_valid(inv)
    rules = {d.rule for d in err.value.details}
    assert {"BR-FR-02", "BR-FR-08"} <= rules
    assert err.value.http_status == 422
    assert err.value.details[0].to_dict()["messageFr"]
    assert checks.ensure_valid(calc.compute(Invoice.model_validate(sample_body()))) is not None


def test_duplicate_key_is_seller_siren_number_and_year():
    body = sample_body()
    k1 = checks.duplicate_key(Invoice.model_validate(body))
    assert k1 == f"{SELLER_SIREN}#F2026-0001#2026"
    body["issueDate"] = "2026-12-31"
    assert checks.duplicate_key(Invoice.model_validate(body)) == k1  # same year: duplicate
    body["issueDate"] = "2027-01-01"
    assert checks.duplicate_key(Invoice.model_validate(body)) != k1
    body["seller"]["siren"] = "732 829 320"
    body["issueDate"] = "2026-01-01"
    assert checks.duplicate_key(Invoice.model_validate(body)) == k1  # spaces normalised
