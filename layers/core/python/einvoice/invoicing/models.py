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


class StatusOut(_Camel):
    code: str = Field(description="Lifecycle status code (MDT-105): 200-213, 220, 221, 501")
    label: str | None = Field(None, description="French label (Déposée, Émise, Reçue, En litige, Approuvée...)")


class ReceivedShareOut(_Camel):
    amount: str
    rate: str | None = None


class StatusEventOut(StatusOut):
    at: str
    reason: str | None = Field(None, description="Reason code (BR-FR-CDV-CL-09), e.g. NON_TRANSMISE, DOUBLON")
    source: str = Field(description="Platform that set the status (0238:<id>)")
    message: str | None = None
    id: str | None = Field(None, description="Id of a lifecycle action (code and position), the same on both sides")
    actor: str | None = Field(None, description="buyer | seller: who set a processing status")
    comment: str | None = Field(None, description="Free text sent with the status")
    amount: str | None = Field(None, description="206 approved amount, 211 amount paid, 212 amount received")
    received: list[ReceivedShareOut] | None = Field(None, description="212: amount received per VAT rate")


class AttemptOut(_Camel):
    attempt: int
    at: str
    outcome: str = Field(description="delivered | duplicate | unavailable | refused | deferred | internal | no_platform")
    platform: str | None = None
    code: str | None = Field(None, description="Short error code of a failed attempt")
    message: str | None = None
    duration_ms: int | None = Field(None, alias="durationMs")


class InvoiceSummary(_Camel):
    id: str
    company_id: str = Field(alias="companyId")
    direction: str = Field(description="sent | received")
    state: str = Field(description="DRAFT, ISSUING (transmission running or waiting for a redelivery), DONE, or RECEIVED (a received invoice, e.g. from OCR)")
    status: StatusOut | None = Field(None, description="Current lifecycle status (none for a draft)")
    number: str
    issue_date: str = Field(alias="issueDate")
    type_code: str = Field(alias="typeCode")
    source: str = Field(description="json (POST /v1/invoices), file (deposited), platform (received) or OCR")
    transmission_id: str | None = Field(None, alias="transmissionId")
    created_at: str = Field(alias="createdAt")
    updated_at: str | None = Field(None, alias="updatedAt")


class InvoiceOut(InvoiceSummary):
    profile: str
    duplicate_key: str = Field(alias="duplicateKey")
    totals: dict[str, Any]
    invoice: dict[str, Any] | None = Field(None, description="The invoice with every derived amount computed")
    checks: list[dict[str, Any]] = Field(description="Warnings kept with the draft (fatal failures are refused with 422)")
    documents: dict[str, str] = Field(description="Links to the generated documents by format")
    status_history: list[StatusEventOut] = Field(default_factory=list, alias="statusHistory")
    delivery_attempts: list[AttemptOut] = Field(default_factory=list, alias="deliveryAttempts")
    next_attempt_at: str | None = Field(None, alias="nextAttemptAt", description="When a redelivery is scheduled")
    rejection: dict[str, Any] | None = Field(None, description="213: reason codes and the rule ids that failed")
    route: dict[str, Any] | None = Field(None, description="The buyer's platform resolved in the directory")
    archive: str | None = Field(None, description="Link to the archive listing (once deposited)")
    counterpart: dict[str, Any] | None = None


class InvoicePage(_Camel):
    items: list[InvoiceSummary]
    next_token: str | None = Field(None, alias="nextToken")


class InvoiceIssued(_Camel):
    """``POST /v1/invoices/{id}/issue`` (202): the transmission started (or the one already started)."""

    id: str
    transmission_id: str = Field(alias="transmissionId")
    state: str
    status: StatusOut | None = Field(None, description="Current status (none until the invoice is deposited)")
