"""The Textract adapter on recorded-shape AnalyzeExpense / GetExpenseAnalysis responses (moto cannot run
AnalyzeExpense), and the same extraction and cross-checks after it."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest

from einvoice.ocr import pipeline, textract

FIXTURES = Path(__file__).parent / "fixtures"


class StubTextract:
    """A boto3-like client returning the recorded responses."""

    def __init__(self, sync=None, pages=None, error=None):
        self.sync, self.pages, self.error = sync, list(pages or []), error
        self.calls = []

    def analyze_expense(self, **kwargs):
        self.calls.append(("analyze_expense", kwargs))
        if self.error:
            raise self.error
        return self.sync

    def start_expense_analysis(self, **kwargs):
        self.calls.append(("start_expense_analysis", kwargs))
        return {"JobId": "job-1"}

    def get_expense_analysis(self, **kwargs):
        self.calls.append(("get_expense_analysis", kwargs))
        return self.pages.pop(0)


def _client_error(code):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": "x"}}, "AnalyzeExpense")


def test_sync_analysis_words_hints_and_checked_fields():
    resp = json.loads((FIXTURES / "analyze_expense_fr.json").read_text())
    stub = StubTextract(sync=resp)
    pages = textract.TextractEngine(stub).recognise(b"\xff\xd8\xff fake", "jpeg")
    assert stub.calls[0][1] == {"Document": {"Bytes": b"\xff\xd8\xff fake"}}
    assert len(pages) == 1 and pages[0].source == "textract"
    assert any(w.text == "FA-2026-0117" and 0.98 < w.conf < 0.99 for w in pages[0].words)
    assert {h[0] for h in pages[0].hints} >= {"BT-1", "BT-2", "BT-9", "BT-27", "BT-44", "BT-109", "BT-110", "BT-112"}
    ctx = pipeline.Context(company_name="Atelier Martin SAS", today=_dt.date(2026, 12, 2))
    out = pipeline.analyse(pages, ctx).to_json()["fields"]
    assert out["BT-1"]["value"] == "FA-2026-0117" and "engine" in out["BT-1"]["source"]
    assert out["BT-2"]["value"] == "2026-11-03" and out["BT-9"]["value"] == "2026-12-03"
    assert out["BT-30"]["value"] == "552100554" and out["BT-31"]["value"] == "FR96552100554"
    assert out["BT-84"]["value"] == "FR7630006000011234567890189"
    assert (out["BT-109"]["value"], out["BT-110"]["value"], out["BT-112"]["value"]) == ("1250.00", "250.00", "1500.00")
    # the VAT row was read at 62 %, but HT + VAT = TTC holds: the totals are trusted
    assert out["BT-110"]["confidence"] >= 0.97
    assert out["BT-27"]["value"] == "Menuiserie Durand SARL"


def test_async_job_is_paged_and_deduplicated():
    first, second = json.loads((FIXTURES / "get_expense_analysis_pages.json").read_text())
    stub = StubTextract(pages=[{"JobStatus": "IN_PROGRESS"}, first, second])
    engine = textract.TextractEngine(stub)
    assert engine.start("bucket", "uploads/ocr/a/x/document", "x" * 80) == "job-1"
    assert stub.calls[0][1]["DocumentLocation"] == {"S3Object": {"Bucket": "bucket", "Name": "uploads/ocr/a/x/document"}}
    assert len(stub.calls[0][1]["ClientRequestToken"]) <= 64
    assert engine.poll("job-1") == ("IN_PROGRESS", None)
    status, pages = engine.poll("job-1")
    assert status == "SUCCEEDED" and len(pages) == 2
    assert stub.calls[-1][1]["NextToken"] == "t2"
    texts = [w.text for w in pages[0].words]
    assert len(texts) == len(set(zip(texts, (w.box for w in pages[0].words), strict=True)))  # repeated blocks counted once
    assert len(pages[1].words) == 5
    assert {h[0] for h in pages[0].hints} >= {"BT-1", "BT-112"}


def test_failed_job_and_refusals_are_typed_errors():
    from einvoice.errors import TransientError

    with pytest.raises(textract.OcrEngineError):
        textract.TextractEngine(StubTextract(pages=[{"JobStatus": "FAILED", "StatusMessage": "bad"}])).poll("j")
    with pytest.raises(TransientError):
        textract.TextractEngine(StubTextract(error=_client_error("ThrottlingException"))).recognise(b"x", "png")
    with pytest.raises(textract.OcrEngineError):
        textract.TextractEngine(StubTextract(error=_client_error("UnsupportedDocumentException"))).recognise(b"x", "png")
