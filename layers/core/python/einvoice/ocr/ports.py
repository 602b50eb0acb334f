"""Ports of the OCR area (small Protocols; AWS adapters in ``adapters.py`` / ``textract.py``,
in-memory fakes in ``memory.py``)."""

from __future__ import annotations

from typing import Any, Protocol

from einvoice.archive import ArchivePort  # noqa: F401  (re-exported)
from einvoice.ocr.layout import Page


class OcrEngine(Protocol):
    """Recognises the words of a scanned document (Tesseract locally, Textract on AWS)."""

    name: str

    def recognise(self, data: bytes, kind: str) -> list[Page]: ...


class AsyncOcrEngine(OcrEngine, Protocol):
    """An engine that reads multi-page documents as a job on a stored object (Textract)."""

    def start(self, bucket: str, key: str, token: str) -> str: ...
    def poll(self, job_id: str) -> tuple[str, list[Page] | None]: ...


class OcrRepository(Protocol):
    def create(self, job: dict[str, Any]) -> bool:
        """Store a new job; False when the id exists (idempotent retry)."""
        ...
    def get(self, account_id: str, ocr_id: str) -> dict[str, Any] | None: ...
    def update(self, account_id: str, ocr_id: str, changes: dict[str, Any], *,
               only_from: tuple[str, ...] | None = None) -> bool:
        """Set attributes; with ``only_from`` only while the state is one of them (atomic)."""
        ...


class DocumentStore(Protocol):
    """Working copies (the submitted document, the recognised pages) with a bounded lifetime."""

    bucket: str

    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...


class ReceivedInvoices(Protocol):
    """Where an accepted result goes: today an invoice record of the company in the invoicing area
    (direction ``received``, source ``OCR``); later the reception flow."""

    def create_received(self, *, account_id: str, company_id: str, invoice: Any, documents: dict[str, Any],
                        source: str, reference: str) -> str: ...


class CompanyLookup(Protocol):
    def get_companies(self, account_id: str, company_ids: list[str]) -> dict[str, Any]: ...


class DirectoryNames(Protocol):
    def __call__(self, siren: str) -> str | None:
        """The legal name of a SIREN, None when the directory does not know it (raises on outage)."""
        ...
