"""Company items in the ``data`` table (low-level client, hand-built attribute values).

Item (``einvoice.resources`` key design)::

    pk     = ACC#<accountId>          sk     = COMPANY#<companyId>
    gsi1pk = ACC#<accountId>#COMPANY  gsi1sk = <identifier digits>   (list/search order, prefix search)
    gsi2pk = IDENT#<siren>            gsi2sk = ACC#<accountId>#<identifier>  (platform-wide: accounts of a SIREN)
    nameNorm = lower-case, accent-free name (partial name search)

The company id is deterministic: ``co_`` + sha256(accountId:identifier)[:24]. The company item
therefore *is* the per-account uniqueness guard for its identifier (a conditional put on it
cannot create a second company for the same SIREN/SIRET), and a re-imported file maps every line
to the same key. That replaces the separate ``IDENT#`` guard item of the key design: one item per
company keeps the bulk import at 1 write per line (25 per BatchWriteItem).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
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


def account_pk(account_id: str) -> str:
    return f"ACC#{account_id}"


def gsi1pk(account_id: str) -> str:
    return f"ACC#{account_id}#COMPANY"


def key(account_id: str, cid: str) -> dict[str, dict]:
    return {"pk": {"S": account_pk(account_id)}, "sk": {"S": "COMPANY#" + cid}}


def build_item(
    *,
    account_id: str,
    identifier_type: str,
    identifier: str,
    employees: str,
    purchase_invoices: bool,
    purchase_payment: bool,
    sales_invoices: bool,
    duplicate_control: bool,
    name: str,
    vat_liable: bool,
    status: str,
    reception_platform: str | None,
    now: str,
    idempotency_key: str | None = None,
    import_id: str | None = None,
    import_line: int | None = None,
    enrolment_status: str | None = None,
) -> dict[str, dict]:
    cid = company_id(account_id, identifier)
    item: dict[str, dict] = {
        "pk": {"S": account_pk(account_id)},
        "sk": {"S": "COMPANY#" + cid},
        "gsi1pk": {"S": gsi1pk(account_id)},
        "gsi1sk": {"S": identifier},
        # platform-wide (not tenant-visible): which accounts manage this SIREN (routing, enrolment)
        "gsi2pk": {"S": "IDENT#" + identifier[:9]},
        "gsi2sk": {"S": f"ACC#{account_id}#{identifier}"},
        "type": {"S": "COMPANY"},
        "id": {"S": cid},
        "accountId": {"S": account_id},
        "identifierType": {"S": identifier_type},
        "identifier": {"S": identifier},
        "siren": {"S": identifier[:9]},
        "employees": {"S": employees},
        "purchaseInvoices": {"BOOL": purchase_invoices},
        "purchasePayment": {"BOOL": purchase_payment},
        "salesInvoices": {"BOOL": sales_invoices},
        "duplicateControl": {"BOOL": duplicate_control},
        "name": {"S": name},
        "nameNorm": {"S": normalize_name(name) or "-"},
        "vatLiable": {"BOOL": vat_liable},
        "status": {"S": status},
        "createdAt": {"S": now},
        "updatedAt": {"S": now},
        "requestHash": {
            "S": request_hash(
                identifier_type,
                identifier,
                employees,
                purchase_invoices,
                purchase_payment,
                sales_invoices,
                duplicate_control,
            )
        },
    }
    if reception_platform:
        item["receptionPlatform"] = {"S": reception_platform}
    if idempotency_key:
        item["idempotencyKey"] = {"S": hashlib.sha256(idempotency_key.encode()).hexdigest()}
    if import_id:
        item["importId"] = {"S": import_id}
        item["importLine"] = {"N": str(import_line or 0)}
    if enrolment_status:
        item["enrolmentStatus"] = {"S": enrolment_status}
        if import_id:
            item["enrolmentId"] = {"S": import_id}
    return item


def _s(item: dict, name: str, default: str = "") -> str:
    v = item.get(name)
    return v["S"] if v and "S" in v else default


def _b(item: dict, name: str) -> bool:
    v = item.get(name)
    return bool(v and v.get("BOOL"))


def to_out(item: dict) -> CompanyOut:
    vat = _b(item, "vatLiable")
    pi = _b(item, "purchaseInvoices")
    enrolment_status = _s(item, "enrolmentStatus") or None
    cert = _s(item, "certificateUrl") or None
    return CompanyOut(
        id=_s(item, "id"),
        account_id=_s(item, "accountId"),
        identifier_type=_s(item, "identifierType"),
        identifier=_s(item, "identifier"),
        siren=_s(item, "siren"),
        employees=_s(item, "employees"),
        purchase_invoices=pi,
        purchase_payment=_b(item, "purchasePayment"),
        sales_invoices=_b(item, "salesInvoices"),
        duplicate_control=_b(item, "duplicateControl"),
        name=_s(item, "name"),
        vat_liable=vat,
        status=_s(item, "status", "active"),
        reception_platform=_s(item, "receptionPlatform") or None,
        enrolment_state=derive_enrolment_state(vat, pi, enrolment_status),
        links=CompanyLinks(certificate=cert),
        created_at=_s(item, "createdAt"),
        updated_at=_s(item, "updatedAt"),
    )


def data_client(settings: Any) -> Any:
    from einvoice.adapters.aws.clients import client

    return client("dynamodb", settings)
