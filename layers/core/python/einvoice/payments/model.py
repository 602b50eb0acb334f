"""Payment records (domain side; the DynamoDB item layout lives in ``dynamodb.py``)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from einvoice.lifecycle.transitions import StatusRequest

#: pain.001.001.09 (ISO 20022 2019, the EPC SCT rulebook's customer-to-bank version since November 2023;
#: BICFI, structured addresses) by default; pain.001.001.03 (2009) for banks that still only take it.
SCHEMA_DEFAULT = "pain.001.001.09"
SCHEMAS = ("pain.001.001.09", "pain.001.001.03")
MAX_INVOICES = 500  # keeps a batch item far below DynamoDB's 400 KB
MAX_AMOUNT = Decimal("999999999.99")  # EPC SCT limit per transaction


@dataclass(frozen=True)
class PayableInvoice:
    """What paying an invoice needs to know about it (read from the received invoice and its record)."""

    invoice_id: str
    company_id: str  # the buyer company of this platform the invoice was received for
    number: str  # BT-1: the remittance information
    payee_name: str  # BT-59 payee, else BT-27 seller
    iban: str | None  # BT-84 (first BG-17)
    bic: str | None  # BT-86
    currency: str  # BT-5
    amount_due: Decimal | None  # BT-115 (or the approved amount of a 206)
    history: tuple[int, ...] = ()  # lifecycle status codes, oldest first


@dataclass(frozen=True)
class DebtorAccount:
    iban: str
    name: str
    bic: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"iban": self.iban, "name": self.name}
        if self.bic:
            out["bic"] = self.bic
        return out


@dataclass(frozen=True)
class PaymentLine:
    invoice_id: str
    number: str
    payee_name: str
    iban: str
    bic: str | None
    amount: Decimal
    end_to_end_id: str

    def to_public(self) -> dict[str, Any]:
        out = {"invoiceId": self.invoice_id, "number": self.number, "payee": self.payee_name, "iban": self.iban,
               "amount": format(self.amount, "f"), "endToEndId": self.end_to_end_id}
        if self.bic:
            out["bic"] = self.bic
        return out


@dataclass(frozen=True)
class PaymentBatch:
    id: str
    account_id: str
    company_id: str
    debtor: DebtorAccount
    execution_date: _dt.date
    created_at: str  # ISO 8601 UTC, milliseconds
    lines: tuple[PaymentLine, ...]
    schema: str = SCHEMA_DEFAULT
    currency: str = "EUR"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    def status_requests(self) -> list[tuple[str, StatusRequest]]:
        """The 211 (payment sent) to set on each invoice once the file is issued."""
        return [(line.invoice_id, StatusRequest(211, amount=line.amount)) for line in self.lines]

    def to_public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "companyId": self.company_id,
            "debtorAccount": self.debtor.to_dict(),
            "executionDate": self.execution_date.isoformat(),
            "createdAt": self.created_at,
            "schema": self.schema,
            "currency": self.currency,
            "total": format(self.total, "f"),
            "invoices": [line.to_public() for line in self.lines],
            "links": {"file": f"/v1/payments/{self.id}/file"},
        }
