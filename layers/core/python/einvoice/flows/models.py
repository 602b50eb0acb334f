"""Boundary models of the Flow API (XP Z12-013 Annex A shapes, camelCase as the standard writes them)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from einvoice.types import line


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class FlowSyntax(str, Enum):
    CII = "CII"
    UBL = "UBL"
    FACTURX = "Factur-X"
    CDAR = "CDAR"
    FRR = "FRR"


class FlowProfile(str, Enum):
    BASIC = "Basic"
    CIUS = "CIUS"
    EXTENDED = "Extended-CTC-FR"
    UNDEFINED = "Undefined"


class ProcessingRule(str, Enum):
    B2B = "B2B"
    B2BINT = "B2BInt"
    B2C = "B2C"
    B2G = "B2G"
    B2GINT = "B2GInt"
    OUTOFSCOPE = "OutOfScope"
    B2GOUTOFSCOPE = "B2GOutOfScope"
    ARCHIVEONLY = "ArchiveOnly"
    NOTAPPLICABLE = "NotApplicable"
    UNDEFINED = "Undefined"


class FlowType(str, Enum):
    CUSTOMER_INVOICE = "CustomerInvoice"
    SUPPLIER_INVOICE = "SupplierInvoice"
    CUSTOMER_INVOICE_LC = "CustomerInvoiceLC"
    SUPPLIER_INVOICE_LC = "SupplierInvoiceLC"


class FlowDirection(str, Enum):
    IN = "In"  # from the platform to the caller
    OUT = "Out"  # from the caller to the platform


class AckStatus(str, Enum):
    PENDING = "Pending"
    OK = "Ok"
    ERROR = "Error"


class DocType(str, Enum):
    METADATA = "Metadata"
    ORIGINAL = "Original"
    CONVERTED = "Converted"
    READABLE = "ReadableView"


class FlowInfoIn(_Model):
    """The ``flowInfo`` part of ``POST /v1/flows``."""

    tracking_id: line(64) | None = Field(None, alias="trackingId", description="The sender's own id of the flow")
    name: line(255) | None = Field(None, description="File name")
    processing_rule: ProcessingRule | None = Field(None, alias="processingRule")
    flow_syntax: FlowSyntax = Field(alias="flowSyntax")
    flow_profile: FlowProfile | None = Field(None, alias="flowProfile")
    sha256: str | None = Field(None, pattern="^[0-9a-fA-F]{64}$",
                               description="SHA-256 of the file (hex); checked: ChecksumMismatch otherwise")


class AckDetail(_Model):
    level: str = Field(description="Error | Warning")
    item: str
    reason_code: str = Field(alias="reasonCode")
    reason_message: str = Field(alias="reasonMessage")


class Acknowledgement(_Model):
    status: AckStatus
    details: list[AckDetail] = Field(default_factory=list)


class FlowOut(_Model):
    """A flow as the standard describes it (``Flow`` / ``FullFlowInfo``)."""

    flow_id: str = Field(alias="flowId")
    tracking_id: str | None = Field(None, alias="trackingId")
    name: str | None = None
    submitted_at: str = Field(alias="submittedAt")
    updated_at: str = Field(alias="updatedAt")
    flow_type: FlowType | None = Field(None, alias="flowType")
    processing_rule: ProcessingRule | None = Field(None, alias="processingRule")
    processing_rule_source: str | None = Field(None, alias="processingRuleSource",
                                               description="Input (given by the sender) or Computed")
    flow_direction: FlowDirection = Field(alias="flowDirection")
    flow_syntax: FlowSyntax = Field(alias="flowSyntax")
    flow_profile: FlowProfile | None = Field(None, alias="flowProfile")
    sha256: str
    acknowledgement: Acknowledgement


class SearchFilters(_Model):
    updated_after: datetime | None = Field(None, alias="updatedAfter", description="Strictly after")
    updated_before: datetime | None = Field(None, alias="updatedBefore", description="Strictly before")

    @field_validator("updated_after", "updated_before", mode="before")
    @classmethod
    def _date_time_text(cls, value: Any) -> Any:
        """An RFC 3339 date-time string (the schema's type), not a number of seconds."""
        if value is not None and not isinstance(value, str | datetime):
            raise ValueError("a date-time string (RFC 3339) is expected")
        return value
    processing_rule: list[ProcessingRule] | None = Field(None, alias="processingRule", max_length=20)
    flow_type: list[FlowType] | None = Field(None, alias="flowType", max_length=20)
    flow_direction: list[FlowDirection] | None = Field(None, alias="flowDirection", max_length=2)
    tracking_id: line(64) | None = Field(None, alias="trackingId")
    ack_status: AckStatus | None = Field(None, alias="ackStatus")


class SearchIn(_Model):
    limit: StrictInt = Field(25, ge=1, le=100, description="Maximum number of results (a JSON integer)")
    where: SearchFilters = Field(default_factory=SearchFilters)
    cursor: line(512) | None = Field(None, description="nextCursor of the previous page")


class SearchOut(_Model):
    limit: int
    filters: dict[str, Any]
    results: list[FlowOut]
    next_cursor: str | None = Field(None, alias="nextCursor",
                                    description="Give it as cursor for the next page (absent on the last page)")


class HealthOut(_Model):
    status: str = Field(description="UP")
    service: str = "flow"
