"""Ports of the invoice records (adapters: ``dynamodb.py`` on AWS, ``memory.py`` for unit tests)."""

from __future__ import annotations

from typing import Protocol

from einvoice.invoicing.records import InvoiceRecord, RecordUpdate


class InvoiceRepository(Protocol):
    def create(self, record: InvoiceRecord) -> tuple[InvoiceRecord, bool]:
        """Store a new record (and its invoice JSON); ``(existing, False)`` when the id exists."""
        ...

    def get(self, account_id: str, invoice_id: str, *, with_invoice: bool = True) -> InvoiceRecord | None: ...

    def list(self, account_id: str, *, direction: str, company_id: str | None = None, status: str | None = None,
             limit: int = 50, token: str | None = None) -> tuple[list[InvoiceRecord], str | None]:
        """Newest first within a company; ``token`` continues a previous page (opaque)."""
        ...

    def start_transmission(self, account_id: str, invoice_id: str, *, transmission_id: str,
                           now: str) -> tuple[InvoiceRecord | None, bool]:
        """DRAFT -> ISSUING with this transmission id (execution 1), once; ``(record, started)``."""
        ...

    def apply(self, account_id: str, invoice_id: str, update: RecordUpdate) -> bool:
        """Apply ``update`` once (see ``RecordUpdate``); False when already applied or refused."""
        ...

    def claim_execution(self, account_id: str, invoice_id: str, *, expected_seq: int, now: str) -> bool:
        """Move ``execution_seq`` from ``expected_seq`` to the next one (one redelivery wins)."""
        ...

    def claim_duplicate_key(self, account_id: str, company_id: str, duplicate_key: str, invoice_id: str) -> str:
        """Reserve (seller, number, year) for ``invoice_id``; returns the invoice id owning the key."""
        ...

    def duplicate_owner(self, account_id: str, company_id: str, duplicate_key: str) -> str | None: ...

    def find_by_reference(self, seller_siren: str, number: str, issue_date: str) -> list[InvoiceRecord]:
        """Exchanged records (received, or sent with a transmission) of one invoice, in any account."""
        ...
