from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from einvoice.invoicing.model import Invoice
from einvoice.types import line


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class InvoiceCreate(_Camel):
    """``POST /v1/invoices``: an EN 16931 invoice (JSON, see the Invoice schema) for one of your companies."""

    company_id: line(64) = Field(alias="companyId",
                             description="The company issuing the invoice (or receiving it, for self-billing)")
    invoice: Invoice = Field(description="The invoice: EN 16931 model in camelCase (BT/BG numbers in the schema)")
    profile: str = Field("en16931", pattern="^(en16931|basicwl|extended|extended-ctc-fr)$",
                         description="Factur-X / CII profile of the generated documents")


class InvoiceOut(_Camel):
    id: str
    company_id: str = Field(alias="companyId")
    state: str = Field(description="DRAFT (stored with its check report) or RECEIVED (a received invoice, e.g. from OCR)")
    number: str
    issue_date: str = Field(alias="issueDate")
    type_code: str = Field(alias="typeCode")
    profile: str
    duplicate_key: str = Field(alias="duplicateKey")
    totals: dict[str, Any]
    invoice: dict[str, Any] = Field(description="The invoice with every derived amount computed")
    checks: list[dict[str, Any]] = Field(description="Warnings kept with the draft (fatal failures are refused with 422)")
    documents: dict[str, str] = Field(description="Links to the generated documents by format")
    created_at: str = Field(alias="createdAt")
