"""The semantic model: JSON shape (camelCase), Decimal everywhere, strictness."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from einvoice.invoicing.model import (
    ALLOWED_TYPE_CODES,
    CREDIT_NOTE_TYPE_CODES,
    SPECIFICATION_IDS,
    Invoice,
    InvoiceLine,
)
from tests.unit.invoicing.model_samples import sample_body, sample_invoice


def test_api_body_is_camel_case_and_loads_into_typed_model():
    # Given the POST /v1/invoices body
    inv = sample_invoice()
    # Then every amount / quantity / rate is a Decimal and dates are dates
    assert isinstance(inv.issue_date, dt.date)
    line = inv.lines[1]
    assert isinstance(line.quantity, Decimal) and line.quantity == Decimal("2.5")
    assert isinstance(line.net_price, Decimal) and isinstance(line.vat_rate, Decimal)
    assert inv.seller.electronic_address.scheme == "0225"
    assert inv.note("PMT") is not None and inv.expected_processing == "B2B"


def test_json_dump_uses_aliases_and_strings_for_decimals():
    data = sample_invoice().to_json_dict()
    assert data["issueDate"] == "2026-09-15"
    assert data["seller"]["electronicAddress"] == {"value": "732829320", "scheme": "0225"}
    assert data["lines"][0]["netPrice"] == "19.99"  # exact, no float rounding
    # and it loads back to the same model
    assert Invoice.model_validate(json.loads(json.dumps(data))) == sample_invoice()


def test_population_by_field_name_is_allowed():
    body = sample_body()
    line = body["lines"][0]
    obj = InvoiceLine(id="9", quantity=Decimal(1), net_price=Decimal("2.50"), vat_category="S",
                      vat_rate=Decimal(20), name="x")
    assert obj.unit_code == "C62"
    assert InvoiceLine.model_validate(line).net_price == Decimal("19.99")


def test_float_json_numbers_become_exact_decimals():
    body = sample_body()
    body["lines"][0]["netPrice"] = 0.1
    inv = Invoice.model_validate_json(json.dumps(body))
    assert inv.lines[0].net_price == Decimal("0.1")


def test_unknown_keys_are_refused():
    body = sample_body()
    body["sellr"] = {}
    with pytest.raises(ValidationError):
        Invoice.model_validate(body)


def test_missing_mandatory_terms_are_refused():
    body = sample_body()
    del body["seller"]["name"]
    with pytest.raises(ValidationError) as err:
        Invoice.model_validate(body)
    assert ("seller", "name") in [e["loc"] for e in err.value.errors()]


def test_code_lists_and_defaults():
    assert {"380", "389", "381", "384", "386"} <= ALLOWED_TYPE_CODES
    assert "383" not in ALLOWED_TYPE_CODES
    assert "381" in CREDIT_NOTE_TYPE_CODES
    inv = sample_invoice()
    assert inv.specification_id == SPECIFICATION_IDS["en16931"] == "urn:cen.eu:en16931:2017"
    assert not inv.is_credit_note and not inv.is_self_billed
    assert sample_invoice(typeCode="389").is_self_billed


def test_group_and_information_sub_lines_are_not_counted():
    body = sample_body()
    body["lines"][0]["lineStatus"] = "GROUP"
    body["lines"][1]["parentLineId"] = "1"
    body["lines"][1]["lineStatus"] = "DETAIL"
    inv = Invoice.model_validate(body)
    assert [x.id for x in inv.counted_lines] == ["2", "3"]


def test_json_schema_carries_bt_numbers():
    schema = Invoice.model_json_schema(by_alias=True)
    assert "BT-1" in schema["properties"]["number"]["description"]
    assert "BT-23" in schema["properties"]["businessProcess"]["description"]
