"""OCR API shapes (camelCase). The document itself is the raw request body (not JSON)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OcrState = Literal["RUNNING", "NEEDS_REVIEW", "SUCCEEDED", "FAILED"]


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class OcrAccepted(_Camel):
    id: str
    state: OcrState


class FieldOut(_Camel):
    value: Any = Field(description="Normalised: ISO dates, amounts as decimal strings, identifiers without spaces")
    confidence: float = Field(description="0..1; below 0.9 the field needs a review")
    page: int | None = None
    box: list[float] | None = Field(None, description="x0, y0, x1, y1 as fractions of the page (origin top-left)")
    source: str | None = Field(None, description="label, pattern, table, engine, company, directory, derived, user...")


class OcrOut(_Camel):
    id: str
    state: OcrState
    company_id: str = Field(alias="companyId")
    content_type: str = Field(alias="contentType")
    pages: int | None = None
    reader: str | None = Field(None, description="text (PDF text layer, no OCR), tesseract or textract")
    fields: dict[str, FieldOut] = Field(default_factory=dict, description="Keyed by EN 16931 business term (BT-1...)")
    vat_breakdown: list[dict[str, FieldOut]] = Field(default_factory=list, alias="vatBreakdown")
    lines: list[dict[str, FieldOut]] = Field(default_factory=list)
    findings: list[dict[str, Any]] = Field(default_factory=list,
                                           description="Cross-check results: rule, fields, severity, message(Fr)")
    invoice_id: str | None = Field(None, alias="invoiceId", description="The received invoice, once accepted")
    documents: dict[str, Any] | None = Field(None, description="Archived original and Factur-X, once accepted")
    error: dict[str, Any] | None = None
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")


class OcrCorrection(_Camel):
    """``PATCH /v1/invoices/ocr/{id}``: corrected values; the checks run again."""

    fields: dict[str, str | None] = Field(default_factory=dict,
                                          description="BT -> corrected value as text (null removes the field)")
    vat_breakdown: list[dict[str, Any]] | None = Field(None, alias="vatBreakdown",
                                                       description="Replaces the breakdown: [{rate, base, amount}]")
    lines: list[dict[str, Any]] | None = Field(None, description="Replaces the lines: [{name, quantity, unitPrice, "
                                                                 "vatRate, netAmount}]")
    business_process: str | None = Field(None, alias="businessProcess", pattern="^[BSM][1-9]$",
                                         description="BT-23 of the generated invoice (default M1)")
