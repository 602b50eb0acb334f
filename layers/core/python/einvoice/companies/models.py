"""Company API shapes (camelCase, like the AFNOR XP Z12-013 APIs) and the enrolment-state rule."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from einvoice.types import Flag, line

EMPLOYEE_RANGES: tuple[str, ...] = ("1-10", "11-20", "21-50", "51-250", "250-+")
Employees = Literal["1-10", "11-20", "21-50", "51-250", "250-+"]


class IdentifierType(str, Enum):
    SIREN = "SIREN"  # receive every invoice of the legal unit
    SIRET = "SIRET"  # limit to one establishment


class EnrolmentState(str, Enum):
    NOT_APPLICABLE = "NOT_APPLICABLE"  # not VAT-liable
    NOT_REQUIRED = "NOT_REQUIRED"  # no purchase invoices option
    TO_DO = "TO_DO"  # one company to enrol
    TO_DO_MULTIPLE = "TO_DO_MULTIPLE"  # selected for a mass enrolment that is not finished
    DONE = "DONE"  # enrolled, certificate available


# Stored enrolment progress (``enrolmentStatus`` of the company): ``MASS_PENDING`` is set by a bulk
# import with ``enrol=true``; ``DONE`` by the enrolment flow (``einvoice.enrolment.adapters``).
ENROLMENT_MASS_PENDING = "MASS_PENDING"
ENROLMENT_DONE = "DONE"


def derive_enrolment_state(vat_liable: bool, purchase_invoices: bool, enrolment_status: str | None) -> EnrolmentState:
    """The derived enrolment state.

    Precedence: not VAT-liable -> NOT_APPLICABLE; an enrolment already DONE stays DONE (its
    certificate remains the evidence even if the purchase-invoices option is later switched off);
    no purchase invoices -> NOT_REQUIRED; selected for a mass enrolment -> TO_DO_MULTIPLE; else TO_DO.
    """
    if not vat_liable:
        return EnrolmentState.NOT_APPLICABLE
    if enrolment_status == ENROLMENT_DONE:
        return EnrolmentState.DONE
    if not purchase_invoices:
        return EnrolmentState.NOT_REQUIRED
    if enrolment_status == ENROLMENT_MASS_PENDING:
        return EnrolmentState.TO_DO_MULTIPLE
    return EnrolmentState.TO_DO


PreferredFormat = Literal["facturx", "cii", "ubl"]


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class CompanyIn(_Camel):
    """Body of ``POST /v1/companies``."""

    identifier_type: IdentifierType = Field(alias="identifierType")
    identifier: line(40) = Field(min_length=1, description="SIREN (9 digits) or SIRET (14 digits)")
    employees: Employees
    purchase_invoices: Flag = Field(
        alias="purchaseInvoices", description="Retrieve received invoices (implies enrolment)"
    )
    purchase_payment: Flag = Field(alias="purchasePayment")
    sales_invoices: Flag = Field(alias="salesInvoices")
    duplicate_control: Flag = Field(alias="duplicateControl")
    preferred_format: PreferredFormat = Field(
        "facturx", alias="preferredFormat",
        description="Format its received invoices are offered in first: facturx (default), cii or ubl")


class CompanyUpdate(_Camel):
    """Body of ``PATCH /v1/companies/{id}``: options and number of employees only (omitted = unchanged)."""

    employees: Employees | None = None
    purchase_invoices: Flag | None = Field(None, alias="purchaseInvoices")
    purchase_payment: Flag | None = Field(None, alias="purchasePayment")
    sales_invoices: Flag | None = Field(None, alias="salesInvoices")
    duplicate_control: Flag | None = Field(None, alias="duplicateControl")
    preferred_format: PreferredFormat | None = Field(None, alias="preferredFormat")


class CompanyLinks(_Camel):
    certificate: str | None = None


class CompanyOut(_Camel):
    id: str
    account_id: str = Field(alias="accountId")
    identifier_type: IdentifierType = Field(alias="identifierType")
    identifier: str
    siren: str
    employees: str
    purchase_invoices: bool = Field(alias="purchaseInvoices")
    purchase_payment: bool = Field(alias="purchasePayment")
    sales_invoices: bool = Field(alias="salesInvoices")
    duplicate_control: bool = Field(alias="duplicateControl")
    preferred_format: str = Field("facturx", alias="preferredFormat",
                                  description="Format its received invoices are offered in first")
    name: str
    vat_liable: bool = Field(alias="vatLiable")
    status: str = Field(description="Directory status when last checked: active | closed")
    reception_platform: str | None = Field(None, alias="receptionPlatform")
    enrolment_state: EnrolmentState = Field(alias="enrolmentState")
    links: CompanyLinks = Field(default_factory=CompanyLinks)
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class CompanyPage(_Camel):
    items: list[CompanyOut]
    next_token: str | None = Field(None, alias="nextToken")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
