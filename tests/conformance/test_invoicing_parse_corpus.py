"""Parsing the external corpus (CEN examples, XP Z12 French CTC use cases, akretion, ZUGFeRD corpus)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from einvoice.errors import BadRequestError
from einvoice.invoicing import checks, parse

CORPUS = Path(__file__).resolve().parents[2] / "../shared/corpus"
SOURCES = ["en16931-cen", "xp-z12-french-ctc", "akretion-factur-x", "zugferd-corpus", "invoice2data"]
INVOICE_SYNTAXES = {"CII-D16B", "UBL-Invoice", "UBL-CreditNote"}

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def _entries(kind_filter=None):
    out = []
    if not CORPUS.is_dir():
        return out
    for src in SOURCES:
        exp = CORPUS / src / "expected.json"
        if not exp.is_file():
            continue
        for f in json.loads(exp.read_text(encoding="utf-8"))["files"]:
            if f.get("kind") == "xml" and (kind_filter is None or kind_filter(f)):
                out.append(pytest.param(src, f, id=f"{src}/{f['file']}"))
    return out


def _amount(v):
    return None if v is None else Decimal(v)


FIELD_GETTERS = {
    "BT-24_specification_id": lambda i: i.specification_id,
    "BT-23_process_id": lambda i: i.business_process,
    "BT-1_invoice_number": lambda i: i.number,
    "BT-3_type_code": lambda i: i.type_code,
    "BT-2_issue_date": lambda i: i.issue_date.strftime("%Y%m%d"),
    "BT-5_currency": lambda i: i.currency,
    "BT-27_seller_name": lambda i: i.seller.name,
    "BT-30_seller_legal_id": lambda i: i.seller.siren,
    "BT-31_seller_vat_id": lambda i: i.seller.vat_id,
    "BT-44_buyer_name": lambda i: i.buyer.name,
    "BT-106_sum_line_net": lambda i: i.totals and i.totals.line_total,
    "BT-109_total_without_vat": lambda i: i.totals and i.totals.tax_exclusive,
    "BT-110_total_vat": lambda i: i.totals and i.totals.tax_amount,
    "BT-112_total_with_vat": lambda i: i.totals and i.totals.tax_inclusive,
    "BT-115_amount_due": lambda i: i.totals and i.totals.payable,
    "line_count": lambda i: len(i.lines),
}


@pytest.mark.parametrize("src, entry", _entries(lambda f: f.get("syntax") in INVOICE_SYNTAXES))
def test_corpus_invoice_parses_with_key_fields_right(src, entry):
    data = (CORPUS / src / entry["file"]).read_bytes()
    inv = parse.parse_xml(data)
    expected = entry.get("fields") or {}
    assert expected, "corpus entry without expected fields"
    for key, want in expected.items():
        getter = FIELD_GETTERS.get(key)
        if getter is None:
            continue
        got = getter(inv)
        if key.startswith(("BT-106", "BT-109", "BT-110", "BT-112", "BT-115")):
            assert _amount(want) == got, key
        elif key == "BT-2_issue_date":
            assert want.replace("-", "") == got, key
        else:
            assert got == want, key
    fmt = parse.detect_format(data)
    assert fmt == {"CII-D16B": "cii", "UBL-Invoice": "ubl-invoice", "UBL-CreditNote": "ubl-creditnote"}[entry["syntax"]]
    checks.check(inv)  # the checks never crash on real data


@pytest.mark.parametrize("src, entry", _entries(lambda f: f.get("syntax") not in INVOICE_SYNTAXES))
def test_non_invoice_xml_is_refused_as_bad_request(src, entry):
    # CDAR lifecycle messages, Order-X, ZUGFeRD 1.0
    with pytest.raises(BadRequestError):
        parse.parse_xml((CORPUS / src / entry["file"]).read_bytes())


def test_french_use_case_uc1_maps_french_terms():
    path = CORPUS / "xp-z12-french-ctc/XP_Z12-014_Annexe_B_V1.3"
    files = sorted(path.glob("UC1/*CII*.xml")) if path.is_dir() else []
    if not files:
        pytest.skip("UC1 CII example not in corpus")
    inv = parse.parse_xml(files[0].read_bytes())
    assert inv.business_process and inv.business_process[0] in "BSM"
    assert inv.seller.siren and inv.seller.siren_scheme == "0002"
    assert inv.buyer.siren
    assert inv.seller.electronic_address and inv.seller.electronic_address.scheme == "0225"
    assert {"PMT", "PMD", "AAB"} <= {n.subject_code for n in inv.notes}
