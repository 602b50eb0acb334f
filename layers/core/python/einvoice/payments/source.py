"""``InvoiceSource`` over the invoice records: what paying a received invoice needs to know about it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Sequence

from einvoice.invoicing.records import RECEIVED_DIRECTION
from einvoice.payments.model import PayableInvoice


def _approved_amount(record: Any) -> Decimal | None:
    """The amount of the latest approval when it was partial (206), else None (the invoice's amount due)."""
    for event in reversed(record.status_history):
        if event.code == "205":
            return None
        if event.code == "206":
            return Decimal(event.amount) if event.amount else None
    return None


class RecordInvoiceSource:
    def __init__(self, repository: Any) -> None:
        self.repository = repository

    def get_payable(self, account_id: str, invoice_ids: Sequence[str]) -> dict[str, PayableInvoice]:
        from einvoice.invoicing.model import Invoice
        from einvoice.payments.service import payable_from_invoice

        out = {}
        for invoice_id in invoice_ids:
            record = self.repository.get(account_id, invoice_id)
            if record is None or record.direction != RECEIVED_DIRECTION or record.invoice is None:
                continue  # PAY-NOT-FOUND: only received invoices of the account are payable
            out[invoice_id] = payable_from_invoice(
                Invoice.model_validate(record.invoice), invoice_id=record.id, company_id=record.company_id,
                history=[int(s.code) for s in record.status_history], amount_due=_approved_amount(record))
        return out
