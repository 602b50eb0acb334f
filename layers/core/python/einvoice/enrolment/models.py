"""Enrolment API shapes (camelCase). The request models only check JSON types: the precise rules
(terms, e-mail, eligibility, code format) are the domain's, with their own 422 details."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EnrolmentStateName = Literal["OTP_SENT", "REGISTERING", "DONE", "LOCKED", "EXPIRED", "FAILED"]


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class SignatoryIn(_Camel):
    first_name: str = Field("", alias="firstName")
    last_name: str = Field("", alias="lastName")
    role: str = ""
    email: str = ""
    phone: str | None = None


class EnrolmentCreate(_Camel):
    """``POST /v1/enrolments``: the companies to enrol, the signatory and the terms."""

    company_ids: list[str] = Field(default_factory=list, alias="companyIds",
                                   description="Eligible companies: VAT-liable, purchase invoices option, not enrolled")
    signatory: SignatoryIn | None = None
    accept_terms: bool = Field(False, alias="acceptTerms", description="Must be true")

    def signatory_dict(self) -> dict[str, Any] | None:
        return self.signatory.model_dump(by_alias=True) if self.signatory else None


class OtpIn(_Camel):
    """``POST /v1/enrolments/{id}/otp``: the 6-digit code received by e-mail."""

    code: str = Field("", description="6 digits, as a string")


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
