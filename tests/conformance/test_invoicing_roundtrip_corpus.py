"""Real corpus invoices: parse -> CII / UBL -> parse keeps every business term; outputs are XSD-valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from einvoice.invoicing import calc, cii, convert, parse
from einvoice.invoicing.model import CREDIT_NOTE_TYPE_CODES, Invoice
from tests.unit.invoicing.xsd_helpers import assert_xsd_valid

CORPUS = Path(__file__).resolve().parents[2] / "../shared/corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def _files():
    out = []
    if not CORPUS.is_dir():
        return out
    for src in ("en16931-cen", "xp-z12-french-ctc", "akretion-factur-x", "zugferd-corpus"):
        exp = CORPUS / src / "expected.json"
        if exp.is_file():
            for f in json.loads(exp.read_text(encoding="utf-8"))["files"]:
                if f.get("kind") == "xml" and f.get("syntax") in ("CII-D16B", "UBL-Invoice", "UBL-CreditNote"):
                    out.append(pytest.param(src + "/" + f["file"], id=f"{src}/{f['file']}"))
    return out


def _normalise(inv: Invoice, like: Invoice) -> Invoice:
    """Known, documented asymmetries: party identifier order (CII writes ram:ID before ram:GlobalID),
    BT-148 derived as BT-146 + BT-147 in CII when only the discount is given, BT-24 for UBL."""
    def ids(p):
        return p.model_copy(update={"identifiers": sorted(p.identifiers, key=lambda i: (i.scheme or "", i.value))})
    lines = [
        x.model_copy(update={"gross_price": None}) if orig.gross_price is None else x
        for x, orig in zip(inv.lines, like.lines, strict=True)
    ]
    return inv.model_copy(update={"seller": ids(inv.seller), "buyer": ids(inv.buyer), "lines": lines,
                                  "specification_id": like.specification_id})


@pytest.mark.parametrize("path", _files())
def test_corpus_invoice_converts_both_ways_without_losing_terms(path):
    original = calc.compute(parse.parse_xml((CORPUS / path).read_bytes()))
    profile = cii.profile_of(original.specification_id)
    if profile in ("minimum", "basicwl") or not original.lines:
        pytest.skip("MINIMUM / BASIC WL carry no lines: not convertible to UBL without loss")
    cii_xml = convert.convert(original, to="cii")
    assert_xsd_valid(cii_xml, profile)
    from_cii = parse.parse_xml(cii_xml)
    if profile != "basic":  # BASIC drops EN 16931 line details by design
        assert _normalise(from_cii, original) == _normalise(original, original)

    ubl_xml = convert.convert(original, to="ubl")
    assert_xsd_valid(ubl_xml, "ubl-creditnote" if original.type_code in CREDIT_NOTE_TYPE_CODES else "ubl-invoice")
    from_ubl = parse.parse_xml(ubl_xml)
    assert _normalise(from_ubl, original) == _normalise(original, original)
