"""Ports of the payments domain."""

from __future__ import annotations

from typing import Protocol, Sequence

from einvoice.payments.model import PayableInvoice, PaymentBatch


class PaymentRepository(Protocol):
    def create(self, batch: PaymentBatch) -> None:
        """Store a new batch; raise ``ValueError`` if the id exists."""
        ...

    def get(self, account_id: str, payment_id: str) -> PaymentBatch | None: ...


class InvoiceSource(Protocol):
    """The received invoices of an account, as payments need them (implemented over invoice records)."""

    def get_payable(self, account_id: str, invoice_ids: Sequence[str]) -> dict[str, PayableInvoice]: ...
