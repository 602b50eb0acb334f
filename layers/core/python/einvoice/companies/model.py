"""The company as the domain sees it (no storage format here: adapters in ``dynamodb.py`` / ``memory.py``).

The company id is deterministic: ``co_`` + sha256(accountId:identifier)[:24]. The company record
therefore *is* the per-account uniqueness guard for its identifier (a conditional create cannot
make a second company for the same SIREN/SIRET), and a re-imported file maps every line to the
same id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from einvoice.companies.models import CompanyLinks, CompanyOut, derive_enrolment_state

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def company_id(account_id: str, identifier: str) -> str:
    return "co_" + hashlib.sha256(f"{account_id}:{identifier}".encode()).hexdigest()[:24]


def normalize_name(name: str) -> str:
    """Case- and accent-insensitive form: ``"Électricité  Hérault-SCI"`` -> ``"electricite herault sci"``."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", stripped.casefold().replace("œ", "oe").replace("æ", "ae")).strip()


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def request_hash(identifier_type: str, identifier: str, employees: str, pi: bool, pp: bool, si: bool, dc: bool) -> str:
    canon = f"{identifier_type}|{identifier}|{employees}|{int(pi)}{int(pp)}{int(si)}{int(dc)}"
    return hashlib.sha256(canon.encode()).hexdigest()[:32]


@dataclass
class Company:
    account_id: str
    id: str
    identifier_type: str
    identifier: str
    employees: str
    purchase_invoices: bool
    purchase_payment: bool
    sales_invoices: bool
    duplicate_control: bool
    name: str
    vat_liable: bool
    status: str
    created_at: str
    updated_at: str
    request_hash: str
    reception_platform: str | None = None
    import_id: str | None = None
    import_line: int | None = None
    enrolment_status: str | None = None
    enrolment_id: str | None = None
    certificate_url: str | None = None
    preferred_format: str = "facturx"  # received invoices are offered in it first (facturx | cii | ubl)

    @property
    def siren(self) -> str:
        return self.identifier[:9]

    def to_out(self) -> CompanyOut:
        return CompanyOut(
            id=self.id,
            account_id=self.account_id,
            identifier_type=self.identifier_type,
            identifier=self.identifier,
            siren=self.siren,
            employees=self.employees,
            purchase_invoices=self.purchase_invoices,
            purchase_payment=self.purchase_payment,
            sales_invoices=self.sales_invoices,
            duplicate_control=self.duplicate_control,
            preferred_format=self.preferred_format,
            name=self.name,
            vat_liable=self.vat_liable,
            status=self.status or "active",
            reception_platform=self.reception_platform,
            enrolment_state=derive_enrolment_state(self.vat_liable, self.purchase_invoices, self.enrolment_status),
            links=CompanyLinks(certificate=self.certificate_url),
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


def new_company(
    *,
    account_id: str,
    identifier_type: str,
    identifier: str,
    employees: str,
    purchase_invoices: bool,
    purchase_payment: bool,
    sales_invoices: bool,
    duplicate_control: bool,
    record: Any,
    now: str,
    import_id: str | None = None,
    import_line: int | None = None,
    enrolment_status: str | None = None,
) -> Company:
    """A company to create, with the directory ``record`` (legal unit or establishment) it was checked against."""
    return Company(
        account_id=account_id,
        id=company_id(account_id, identifier),
        identifier_type=identifier_type,
        identifier=identifier,
        employees=employees,
        purchase_invoices=purchase_invoices,
        purchase_payment=purchase_payment,
        sales_invoices=sales_invoices,
        duplicate_control=duplicate_control,
        name=record.name,
        vat_liable=record.vat_liable,
        status=record.status,
        reception_platform=record.reception_platform,
        created_at=now,
        updated_at=now,
        request_hash=request_hash(
            identifier_type,
            identifier,
            employees,
            purchase_invoices,
            purchase_payment,
            sales_invoices,
            duplicate_control,
        ),
        import_id=import_id,
        import_line=import_line if import_id else None,
        enrolment_status=enrolment_status,
        enrolment_id=import_id if enrolment_status and import_id else None,
    )
