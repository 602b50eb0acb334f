"""Enrolment API shapes (camelCase). The request models check JSON types, lengths, control
characters, booleans (JSON ``true``/``false`` only) and the code's syntax (exactly six ASCII digits);
the precise rules (terms, e-mail, eligibility) are the domain's, with their own 422 details."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from einvoice.enrolment.model import MAX_COMPANIES
from einvoice.types import Flag, line

#: exactly six ASCII digits (``\A[0-9]{6}\Z``: no sign, no space, no trailing newline)
OTP_PATTERN = "^[0-9]{6}$"

EnrolmentStateName = Literal["OTP_SENT", "REGISTERING", "DONE", "LOCKED", "EXPIRED", "FAILED"]


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class _Strict(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class SignatoryIn(_Strict):
    first_name: line(100) = Field("", alias="firstName")
    last_name: line(100) = Field("", alias="lastName")
    role: line(100) = ""
    email: line(254) = ""
    phone: line(24) | None = None


class EnrolmentCreate(_Strict):
    """``POST /v1/enrolments``: the companies to enrol, the signatory and the terms."""

    company_ids: list[line(64)] = Field(
        default_factory=list, alias="companyIds", max_length=MAX_COMPANIES,
        description="Eligible companies: VAT-liable, purchase invoices option, not enrolled")
    signatory: SignatoryIn | None = None
    accept_terms: Flag = Field(False, alias="acceptTerms", description="Must be JSON true")

    def signatory_dict(self) -> dict[str, Any] | None:
        return self.signatory.model_dump(by_alias=True) if self.signatory else None


class OtpIn(_Strict):
    """``POST /v1/enrolments/{id}/otp``: the 6-digit code received by e-mail.

    A malformed code is refused here (422 naming ``body.code``) and never counts as an attempt."""

    code: str = Field(pattern=OTP_PATTERN, min_length=6, max_length=6,
                      description="Exactly 6 ASCII digits, as a string")


class EnrolmentAccepted(_Camel):
    id: str
    state: EnrolmentStateName


class EnrolmentCompanyOut(_Camel):
    company_id: str = Field(alias="companyId")
    name: str
    siren: str
    siret: str | None = None
    result: Literal["PENDING", "REGISTERED", "FAILED"]
    registered_at: str | None = Field(None, alias="registeredAt")
    error: dict[str, Any] | None = None


class OtpStatusOut(_Camel):
    sent_at: str | None = Field(None, alias="sentAt")
    expires_at: str | None = Field(None, alias="expiresAt")
    validated_at: str | None = Field(None, alias="validatedAt")
    remaining_attempts: int = Field(alias="remainingAttempts")
    remaining_resends: int = Field(alias="remainingResends")


class CertificateRetryOut(_Camel):
    method: str
    href: str


class CertificateLinkOut(_Camel):
    state: Literal["ISSUED", "PENDING"] = Field(
        description="PENDING: the companies are registered but the certificate could not be issued yet; "
                    "POST the href to issue it again")
    href: str
    sha256: str | None = None
    issued_at: str | None = Field(None, alias="issuedAt")
    retry: CertificateRetryOut | None = None
    error: dict[str, Any] | None = None


class EnrolmentOut(_Camel):
    id: str
    state: EnrolmentStateName
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")
    request_id: str = Field(alias="requestId")
    signatory: dict[str, Any]
    terms_accepted_at: str | None = Field(None, alias="termsAcceptedAt")
    otp: OtpStatusOut
    companies: list[EnrolmentCompanyOut]
    errors: list[dict[str, Any]]
    certificate: CertificateLinkOut | None = None
