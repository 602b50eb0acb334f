"""OCR extraction on the invoice2data text PDFs (../shared/corpus, read by relative path, never copied):
fields against the upstream ground truth, and every wrong field flagged for review."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

# invoice2data key -> business term (bench/ocr_bench.py prints the same comparison)
FIELDS = {"invoice_number": "BT-1", "date": "BT-2", "currency": "BT-5", "date_due": "BT-9", "issuer": "BT-27",
          "siren": "BT-30", "vat": "BT-31", "amount_untaxed": "BT-109", "amount_tax": "BT-110", "amount": "BT-112"}


def _same(bt, got, want) -> bool:
    from einvoice.identifiers import normalize_identifier
    from einvoice.ocr.normalize import fold

    if got is None:
        return False
    if bt in ("BT-109", "BT-110", "BT-112"):
        return Decimal(str(got)) == Decimal(str(want)).quantize(Decimal("0.01"))
    if bt in ("BT-30", "BT-31"):
        return normalize_identifier(str(got)) == normalize_identifier(str(want))
    if bt == "BT-27":
        g, w = fold(str(got)).strip(), fold(str(want)).strip()
        return g == w or g.startswith(w) or w.startswith(g)
    return str(got).lstrip("#") == str(want).lstrip("#")


@pytest.fixture(scope="module")
def results(corpus_dir):
    from einvoice.ocr import pipeline

    folder = corpus_dir / "invoice2data" / "tests" / "compare"
    out = []
    for pdf in sorted(folder.glob("*.pdf")):
        truth = json.loads(pdf.with_suffix(".json").read_text())[0]
        read = pipeline.read_document(pdf.read_bytes(), "application/pdf")
        assert read.source == "text", f"{pdf.name} has a text layer: no OCR expected"
        out.append((pdf.name, truth, pipeline.analyse(read.pages)))
    assert len(out) == 9
    return out


def test_every_wrong_field_is_flagged(results):
    for name, truth, result in results:
        fields = result.to_json()["fields"]
        flagged = result.flagged()
        for key, bt in FIELDS.items():
            if key in truth and not _same(bt, fields.get(bt, {}).get("value"), truth[key]):
                assert bt in flagged or bt not in fields, f"{name}: wrong {bt} {fields.get(bt)} accepted as sure"


def test_field_accuracy_floor(results):
    right = total = 0
    for _, truth, result in results:
        fields = result.to_json()["fields"]
        for key, bt in FIELDS.items():
            if key in truth:
                total += 1
                right += _same(bt, fields.get(bt, {}).get("value"), truth[key])
    # measured 57/58 (98.3 %) on 2026-12-02 (54/58, then 55/58 before the embedded-XML and heading fixes); the
    # miss is Flipkart's marketplace brand where the document names the legal seller (docs/ocr.md)
    assert right / total >= 0.98, f"{right}/{total}"


def test_french_invoices_are_complete_and_consistent(results):
    by_name = {name: result for name, _, result in results}
    free = by_name["free_fiber.pdf"].to_json()["fields"]
    assert (free["BT-109"]["value"], free["BT-110"]["value"], free["BT-112"]["value"]) == ("24.99", "5.00", "29.99")
    assert free["BT-30"]["value"] == "421938861" and free["BT-31"]["value"] == "FR60421938861"
    net = by_name["NetpresseInvoice.pdf"].to_json()
    assert net["fields"]["BT-84"]["value"] == "FR7610107002450061705231739"
    assert [(r["rate"]["value"], r["amount"]["value"]) for r in net["vatBreakdown"]] == [("20", "9.34")]
