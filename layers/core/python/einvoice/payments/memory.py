"""In-memory adapters of the payment ports (unit tests)."""

from __future__ import annotations

from typing import Sequence

from einvoice.payments.model import PayableInvoice, PaymentBatch


class MemoryPaymentRepository:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], PaymentBatch] = {}

    def create(self, batch: PaymentBatch) -> None:
        key = (batch.account_id, batch.id)
        if key in self.items:
            raise ValueError("exists")
        self.items[key] = batch

    def get(self, account_id: str, payment_id: str) -> PaymentBatch | None:
        return self.items.get((account_id, payment_id))


class MemoryInvoiceSource:
    def __init__(self) -> None:
        self.invoices: dict[tuple[str, str], PayableInvoice] = {}

    def add(self, account_id: str, invoice: PayableInvoice) -> None:
        self.invoices[(account_id, invoice.invoice_id)] = invoice

    def get_payable(self, account_id: str, invoice_ids: Sequence[str]) -> dict[str, PayableInvoice]:
        return {i: self.invoices[(account_id, i)] for i in invoice_ids if (account_id, i) in self.invoices}
