"""Payments API shapes (camelCase). Types and bounds only: the rules are the domain's (``service``)."""

from __future__ import annotations

import datetime as _dt

from pydantic import BaseModel, ConfigDict, Field

from einvoice.payments.model import MAX_INVOICES, SCHEMA_DEFAULT
from einvoice.types import line


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class DebtorAccountIn(_Camel):
    iban: line(42) = Field(description="The account debited (IBAN, checked with schwifty, SEPA zone)")
    bic: line(11) | None = Field(None, description="Its bank's BIC (optional within the SEPA zone)")
    name: line(70) = Field(description="The account holder (the paying company)")


class PaymentCreate(_Camel):
    """``POST /v1/payments``: pay approved received invoices of one company by SEPA credit transfer."""

    company_id: line(64) = Field(alias="companyId", description="The paying company (purchase-payment option)")
    invoice_ids: list[line(64)] = Field(alias="invoiceIds", min_length=1, max_length=MAX_INVOICES,
                                        description="Received invoices of that company, approved (205, 206)")
    debtor_account: DebtorAccountIn = Field(alias="debtorAccount")
    execution_date: _dt.date = Field(alias="executionDate", description="Requested execution date (not in the past)")
    schema_: str = Field(SCHEMA_DEFAULT, alias="schema", pattern="^pain\\.001\\.001\\.(09|03)$",
                         description="pain.001 version of the file")


class PaymentLineOut(_Camel):
    invoice_id: str = Field(alias="invoiceId")
    number: str
    payee: str
    iban: str
    bic: str | None = None
    amount: str
    end_to_end_id: str = Field(alias="endToEndId")


class PaymentOut(_Camel):
    id: str
    company_id: str = Field(alias="companyId")
    debtor_account: dict[str, str] = Field(alias="debtorAccount")
    execution_date: str = Field(alias="executionDate")
    created_at: str = Field(alias="createdAt")
    schema_: str = Field(alias="schema")
    currency: str
    total: str
    invoices: list[PaymentLineOut]
    links: dict[str, str] = Field(description="file: the SEPA credit transfer file (pain.001 XML)")
