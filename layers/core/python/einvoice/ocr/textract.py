"""``OcrEngine`` on Amazon Textract ``AnalyzeExpense`` (the AWS engine).

* one image or a one-page PDF: synchronous ``analyze_expense(Document={"Bytes": ...})``;
* a multi-page PDF: ``start_expense_analysis`` on the S3 object, then ``get_expense_analysis``
  polled by the state machine (Wait/Choice), results paged with ``NextToken``.

The response is turned into the engine-neutral pages (``WORD`` blocks with their geometry and
confidence), and Textract's own typed summary fields (``INVOICE_RECEIPT_ID``, ``TOTAL``...) become
*hints*: extra candidates that go through the same parsers and cross-checks as everything read
from the words, never trusted on their own. moto cannot run AnalyzeExpense: the mapping is tested
with response fixtures of the documented shape (``tests/unit/ocr/fixtures``).
"""

from __future__ import annotations

from typing import Any

from einvoice.ocr.layout import Page, Word, build_lines

# Textract summary field type -> business term
SUMMARY_TYPES = {
    "INVOICE_RECEIPT_ID": "BT-1",
    "INVOICE_RECEIPT_DATE": "BT-2",
    "DUE_DATE": "BT-9",
    "VENDOR_NAME": "BT-27",
    "RECEIVER_NAME": "BT-44",
    "SUBTOTAL": "BT-109",
    "TAX": "BT-110",
    "TOTAL": "BT-112",
    "AMOUNT_DUE": "BT-115",
}
MAX_RESULT_PAGES = 50  # NextToken pages read per job (bounded)


class OcrEngineError(Exception):
    """Textract refused the document or the job failed (Step Functions error name)."""


class TextractEngine:
    name = "textract"

    def __init__(self, textract: Any = None) -> None:
        self._client = textract

    @property
    def client(self) -> Any:
        if self._client is None:
            from einvoice.adapters.aws.clients import client

            self._client = client("textract")
        return self._client

    def recognise(self, data: bytes, kind: str) -> list[Page]:
        from botocore.exceptions import ClientError

        try:
            resp = self.client.analyze_expense(Document={"Bytes": data})
        except ClientError as exc:
            raise _translate(exc) from None
        return pages_from_expense([resp])

    def start(self, bucket: str, key: str, token: str) -> str:
        from botocore.exceptions import ClientError

        try:
            resp = self.client.start_expense_analysis(
                DocumentLocation={"S3Object": {"Bucket": bucket, "Name": key}}, ClientRequestToken=token[:64])
        except ClientError as exc:
            raise _translate(exc) from None
        return resp["JobId"]

    def poll(self, job_id: str) -> tuple[str, list[Page] | None]:
        """("IN_PROGRESS", None) | ("SUCCEEDED", pages); a failed job raises ``OcrEngineError``."""
        from botocore.exceptions import ClientError

        responses = []
        token = None
        for _ in range(MAX_RESULT_PAGES):
            kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": 20}
            if token:
                kwargs["NextToken"] = token
            try:
                resp = self.client.get_expense_analysis(**kwargs)
            except ClientError as exc:
                raise _translate(exc) from None
            status = resp.get("JobStatus")
            if status == "IN_PROGRESS":
                return "IN_PROGRESS", None
            if status not in ("SUCCEEDED", "PARTIAL_SUCCESS"):
                raise OcrEngineError(f"Textract job {status}: {resp.get('StatusMessage', '')}"[:300])
            responses.append(resp)
            token = resp.get("NextToken")
            if not token:
                break
        return "SUCCEEDED", pages_from_expense(responses)


def _translate(exc: Exception) -> Exception:
    from einvoice.adapters.aws.clients import error_code
    from einvoice.errors import TransientError

    code = error_code(exc)
    if code in ("ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError",
                "LimitExceededException", "ServiceUnavailableException"):
        return TransientError(f"Textract: {code}")
    return OcrEngineError(f"Textract refused the document: {code}")


def _box(geometry: dict[str, Any] | None) -> tuple[float, float, float, float]:
    bb = (geometry or {}).get("BoundingBox") or {}
    left, top = float(bb.get("Left", 0)), float(bb.get("Top", 0))
    return (left, top, left + float(bb.get("Width", 0)), top + float(bb.get("Height", 0)))


def pages_from_expense(responses: list[dict[str, Any]]) -> list[Page]:
    """Engine-neutral pages from AnalyzeExpense / GetExpenseAnalysis responses.

    Words come from the ``WORD`` blocks (deduplicated by id: each expense document repeats the
    blocks of its pages); the summary fields are kept on the page they sit on as ``hints``.
    """
    words: dict[int, list[Word]] = {}
    hints: dict[int, list[list[Any]]] = {}
    seen: set[str] = set()
    n_pages = 1
    for resp in responses:
        n_pages = max(n_pages, int((resp.get("DocumentMetadata") or {}).get("Pages") or 1))
        for doc in resp.get("ExpenseDocuments") or []:
            for block in doc.get("Blocks") or []:
                if block.get("BlockType") != "WORD" or block.get("Id") in seen:
                    continue
                seen.add(block.get("Id", ""))
                page = int(block.get("Page") or 1)
                text = str(block.get("Text") or "").strip()
                if text:
                    words.setdefault(page, []).append(
                        Word(text, float(block.get("Confidence", 0)) / 100, page, _box(block.get("Geometry"))))
            for f in doc.get("SummaryFields") or []:
                ftype = ((f.get("Type") or {}).get("Text") or "").upper()
                groups = {t for g in f.get("GroupProperties") or [] for t in g.get("Types") or []}
                bt = SUMMARY_TYPES.get(ftype)
                if ftype == "NAME" and "VENDOR" in groups:
                    bt = "BT-27"
                elif ftype == "NAME" and "RECEIVER" in groups:
                    bt = "BT-44"
                value = f.get("ValueDetection") or {}
                if not bt or not value.get("Text"):
                    continue
                page = int(f.get("PageNumber") or 1)
                conf = min(float(value.get("Confidence", 0)), float((f.get("Type") or {}).get("Confidence", 100))) / 100
                hints.setdefault(page, []).append([bt, str(value["Text"]), round(conf, 3),
                                                   list(_box(value.get("Geometry")))])
    n_pages = max([n_pages, *words.keys(), *hints.keys()])
    out = []
    for number in range(1, n_pages + 1):
        page = Page(number, 1.0, 1.0, words.get(number, []), source="textract")
        page.hints = hints.get(number, [])
        page.rows = build_lines(page.words)
        out.append(page)
    return out
