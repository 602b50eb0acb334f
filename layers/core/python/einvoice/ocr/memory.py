"""In-memory adapters of the OCR ports (unit and handler tests). Same conditional semantics as
the DynamoDB repository: a refused condition returns False and changes nothing."""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

from einvoice.ocr.layout import Page


class MemoryOcrRepository:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.RLock()

    def create(self, job: dict[str, Any]) -> bool:
        with self._lock:
            key = (job["accountId"], job["id"])
            if key in self.items:
                return False
            self.items[key] = copy.deepcopy(job)
            return True

    def get(self, account_id: str, ocr_id: str) -> dict[str, Any] | None:
        with self._lock:
            item = self.items.get((account_id, ocr_id))
            return copy.deepcopy(item) if item else None

    def update(self, account_id: str, ocr_id: str, changes: dict[str, Any], *,
               only_from: tuple[str, ...] | None = None) -> bool:
        with self._lock:
            item = self.items.get((account_id, ocr_id))
            if item is None or (only_from and item.get("state") not in only_from):
                return False
            item.update(copy.deepcopy(changes))
            return True


class MemoryDocumentStore:
    bucket = "memory-uploads"

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    def get(self, key: str) -> bytes:
        return self.objects[key][0]


class FakeEngine:
    """An ``OcrEngine`` returning prepared pages (and, as async engine, a job finishing on the
    ``rounds``-th poll)."""

    def __init__(self, pages: list[Page] | None = None, name: str = "fake", rounds: int = 1,
                 fail: Exception | None = None) -> None:
        self.pages = pages or []
        self.name = name
        self.rounds = rounds
        self.fail = fail
        self.calls: list[tuple[str, Any]] = []

    def recognise(self, data: bytes, kind: str) -> list[Page]:
        self.calls.append(("recognise", kind))
        if self.fail:
            raise self.fail
        return self.pages

    def start(self, bucket: str, key: str, token: str) -> str:
        self.calls.append(("start", key))
        return f"job-{uuid.uuid4().hex[:8]}"

    def poll(self, job_id: str) -> tuple[str, list[Page] | None]:
        self.calls.append(("poll", job_id))
        if self.fail:
            raise self.fail
        if sum(1 for c in self.calls if c[0] == "poll") < self.rounds:
            return "IN_PROGRESS", None
        return "SUCCEEDED", self.pages


class MemoryReceivedInvoices:
    def __init__(self) -> None:
        self.created: dict[str, dict[str, Any]] = {}

    def create_received(self, *, account_id: str, company_id: str, invoice: Any, documents: dict[str, Any],
                        source: str, reference: str) -> str:
        invoice_id = f"rcv-{reference}"
        self.created.setdefault(invoice_id, {"accountId": account_id, "companyId": company_id, "invoice": invoice,
                                             "documents": documents, "source": source})
        return invoice_id
