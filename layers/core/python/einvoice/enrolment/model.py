"""Enrolment records (domain side; the DynamoDB item layout lives in ``repository.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from einvoice.enrolment import otp

# Enrolment states reported by the API.
OTP_SENT = "OTP_SENT"  # request recorded; the code is (being) mailed and awaited
REGISTERING = "REGISTERING"  # code confirmed; directory lines and certificate in progress
DONE = "DONE"
LOCKED = "LOCKED"  # 5 wrong codes
EXPIRED = "EXPIRED"  # the state machine's wait for the code timed out
FAILED = "FAILED"  # technical failure, or no company could be registered
STATES = (OTP_SENT, REGISTERING, DONE, LOCKED, EXPIRED, FAILED)
TERMINAL = (DONE, LOCKED, EXPIRED, FAILED)

# Per-company result.
CO_PENDING = "PENDING"
CO_REGISTERED = "REGISTERED"
CO_FAILED = "FAILED"

# Certificate state shown on a DONE enrolment.
CERTIFICATE_ISSUED = "ISSUED"
CERTIFICATE_PENDING = "PENDING"  # issuance failed after its retries; POST .../certificate issues it again

# Company enrolment state written through the company port (the company list shows it).
COMPANY_IN_PROGRESS = "IN_PROGRESS"
COMPANY_DONE = "DONE"

MAX_COMPANIES = 500
TERMS_VERSION = "2026-09"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z") if dt else None


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Signatory:
    first_name: str
    last_name: str
    role: str
    email: str
    phone: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"firstName": self.first_name, "lastName": self.last_name, "role": self.role, "email": self.email}
        if self.phone:
            out["phone"] = self.phone
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Signatory":
        return cls(d["firstName"], d["lastName"], d["role"], d["email"], d.get("phone") or None)


@dataclass(frozen=True)
class CompanyInfo:
    """What enrolment needs to know about a company (read through ``CompanyPort``)."""

    company_id: str
    name: str
    siren: str
    siret: str | None
    vat_liable: bool
    purchase_invoices: bool
    enrolment_state: str | None = None  # None / IN_PROGRESS / DONE / LOCKED / EXPIRED / FAILED


@dataclass
class CompanyResult:
    company_id: str
    name: str
    siren: str
    siret: str | None
    result: str = CO_PENDING
    attempts: int = 0
    registered_at: str | None = None
    error: dict[str, Any] | None = None

    def to_public(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "companyId": self.company_id,
            "name": self.name,
            "siren": self.siren,
            "siret": self.siret,
            "result": self.result,
        }
        if self.registered_at:
            out["registeredAt"] = self.registered_at
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class Enrolment:
    id: str
    account_id: str
    state: str
    signatory: Signatory
    created_at: str
    request_id: str
    terms_version: str = TERMS_VERSION
    terms_accepted_at: str | None = None
    updated_at: str | None = None
    execution_arn: str | None = None
    otp_hash: str | None = None
    otp_sent_at: str | None = None
    otp_expires_at: str | None = None
    otp_attempts: int = 0
    otp_resends: int = 0
    otp_validated_at: str | None = None
    task_token: str | None = None
    certificate: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    companies: list[CompanyResult] = field(default_factory=list)
    partner_id: str | None = None

    def to_public(self) -> dict[str, Any]:
        """The API view: never the hash, the token or anything derived from the code."""
        out: dict[str, Any] = {
            "id": self.id,
            "state": self.state,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at or self.created_at,
            "requestId": self.request_id,
            "signatory": self.signatory.to_dict(),
            "termsAcceptedAt": self.terms_accepted_at,
            "otp": {
                "sentAt": self.otp_sent_at,
                "expiresAt": self.otp_expires_at,
                "validatedAt": self.otp_validated_at,
                "remainingAttempts": max(0, otp.MAX_WRONG_ATTEMPTS - self.otp_attempts),
                "remainingResends": max(0, otp.MAX_RESENDS - self.otp_resends),
            },
            "companies": [c.to_public() for c in self.companies],
            "errors": list(self.errors),
        }
        if self.certificate and self.certificate.get("key"):
            out["certificate"] = {
                "state": CERTIFICATE_ISSUED,
                "href": certificate_href(self.id),
                "sha256": self.certificate.get("sha256"),
                "issuedAt": self.certificate.get("issuedAt"),
            }
        elif self.certificate:  # issuance failed after its retries: the companies are registered anyway
            out["certificate"] = {
                "state": CERTIFICATE_PENDING,
                "href": certificate_href(self.id),
                "retry": {"method": "POST", "href": certificate_href(self.id)},
                "error": self.certificate.get("error"),
            }
        return out


def certificate_href(enrolment_id: str) -> str:
    return f"/v1/enrolments/{enrolment_id}/certificate"
