"""Tenancy use cases: partners, accounts (with secondary accounts), API keys, tenant resolution.

Storage and key enforcement are ports (``ports.py``): the tenancy table and API Gateway in AWS and
locally (``dynamodb.py``), in-memory fakes in unit tests (``memory.py``). Every function takes an
optional ``repo`` / ``registry``; by default the DynamoDB adapters of ``settings`` are used.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
import uuid
from typing import Any

from einvoice.accounts.models import AccountOut, CreatedKey, MeOut, PartnerOut
from einvoice.accounts.ports import KeyRegistry, TenancyRepository
from einvoice.errors import ConflictError, ErrorDetail, ForbiddenError, InvalidInputError, NotFoundError
from einvoice.tenancy import Tenant

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_CACHE_TTL_SECONDS = 60.0
_cache: dict[str, tuple[float, Tenant | None]] = {}
_cache_lock = threading.Lock()


def _repo(repo: TenancyRepository | None, settings) -> TenancyRepository:
    if repo is not None:
        return repo
    from einvoice.accounts.dynamodb import DynamoTenancyRepository

    return DynamoTenancyRepository(settings)


def key_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _check_id(field: str, value: str) -> None:
    if not _ID.match(value):
        raise InvalidInputError(
            f"{field} must be 2-63 lowercase letters, digits or dashes",
            [ErrorDetail(f"invalid identifier {value!r}", field=field)],
        )


def create_partner(partner_id: str, name: str, branding: dict[str, str] | None = None, *, settings=None,
                   repo: TenancyRepository | None = None) -> PartnerOut:
    """Create a partner (idempotent: the same id and name again returns the existing partner)."""
    _check_id("partnerId", partner_id)
    r = _repo(repo, settings)
    if not r.put_partner(partner_id, {"name": name, "branding": branding or {}, "createdAt": _now()}):
        existing = r.get_partner(partner_id) or {}
        if existing.get("name") != name:
            raise ConflictError(f"partner {partner_id} already exists with another name")
        branding = existing.get("branding") or {}
    return PartnerOut(id=partner_id, name=name, branding=branding or {})


def create_account(
    account_id: str, partner_id: str, name: str, parent_account_id: str | None = None, *, settings=None,
    repo: TenancyRepository | None = None,
) -> AccountOut:
    """Create an account under a partner, optionally as a secondary account of a parent account."""
    _check_id("accountId", account_id)
    r = _repo(repo, settings)
    if not r.get_partner(partner_id):
        raise NotFoundError(f"partner {partner_id} not found")
    if parent_account_id:
        parent = r.get_account(parent_account_id)
        if not parent or parent.get("partnerId") != partner_id:
            raise NotFoundError(f"parent account {parent_account_id} not found")
    record: dict[str, Any] = {"name": name, "partnerId": partner_id, "createdAt": _now()}
    if parent_account_id:
        record["parentAccountId"] = parent_account_id
    if not r.put_account(account_id, record):
        existing = r.get_account(account_id) or {}
        if (existing.get("partnerId"), existing.get("name"), existing.get("parentAccountId")) != (
            partner_id, name, parent_account_id
        ):
            raise ConflictError(f"account {account_id} already exists")
    return get_account(account_id, settings=settings, repo=r)


def get_account(account_id: str, *, settings=None, repo: TenancyRepository | None = None) -> AccountOut:
    r = _repo(repo, settings)
    item = r.get_account(account_id)
    if not item:
        raise NotFoundError(f"account {account_id} not found")
    children = sorted(a["id"] for a in r.partner_accounts(item["partnerId"]) if a.get("parentAccountId") == account_id)
    return AccountOut(
        id=account_id,
        name=item["name"],
        partnerId=item["partnerId"],
        parentAccountId=item.get("parentAccountId"),
        secondaryAccountIds=children,
    )


def create_api_key(
    partner_id: str,
    account_id: str | None = None,
    *,
    value: str | None = None,
    registry: KeyRegistry | None = None,
    settings=None,
    repo: TenancyRepository | None = None,
) -> CreatedKey:
    """Create an API key for a partner (partner scope) or one of its accounts (account scope).

    Idempotent for a given value: the same value for the same owner returns the same key id.
    """
    r = _repo(repo, settings)
    if not r.get_partner(partner_id):
        raise NotFoundError(f"partner {partner_id} not found")
    if account_id:
        acc = r.get_account(account_id)
        if not acc or acc.get("partnerId") != partner_id:
            raise NotFoundError(f"account {account_id} not found")
    value = value or "ek_" + secrets.token_urlsafe(30)
    if len(value) < 20:
        raise InvalidInputError("API key values need at least 20 characters", [ErrorDetail("too short", field="value")])
    h = key_hash(value)
    existing = r.get_key_by_hash(h)
    if existing:
        if existing.get("partnerId") != partner_id or existing.get("accountId") != account_id:
            raise ConflictError("this API key value is already in use")
        return CreatedKey(apiKeyId=existing["apiKeyId"], value=value, partnerId=partner_id, accountId=account_id)
    if registry is None:
        from einvoice.accounts.dynamodb import ApiGatewayKeyRegistry

        registry = ApiGatewayKeyRegistry(settings)
    name = f"{partner_id}.{account_id or '*'}.{uuid.uuid4().hex[:8]}"
    api_key_id = registry.create_key(name, value)
    record: dict[str, Any] = {
        "apiKeyId": api_key_id,
        "partnerId": partner_id,
        "scope": "account" if account_id else "partner",
        "enabled": True,
        "createdAt": _now(),
    }
    if account_id:
        record["accountId"] = account_id
    r.put_key(api_key_id, h, record)
    return CreatedKey(apiKeyId=api_key_id, value=value, partnerId=partner_id, accountId=account_id)


def key_id_for_value(value: str, *, settings=None, repo: TenancyRepository | None = None) -> str | None:
    """The API key id of a key value, or None (the local server's stand-in for API Gateway)."""
    item = _repo(repo, settings).get_key_by_hash(key_hash(value))
    if not item or not item.get("enabled", True):
        return None
    return item["apiKeyId"]


def resolve_tenant(api_key_id: str | None, *, settings=None, repo: TenancyRepository | None = None) -> Tenant:
    """The tenant behind an API key id (cached per container for a minute)."""
    if not api_key_id:
        raise ForbiddenError("Forbidden")
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(api_key_id)
    if hit and now - hit[0] < _CACHE_TTL_SECONDS and hit[1] is not None:
        return hit[1]
    r = _repo(repo, settings)
    item = r.get_key(api_key_id)
    if not item or not item.get("enabled", True):
        raise ForbiddenError("Forbidden")
    partner = r.get_partner(item["partnerId"]) or {}
    account_id = item.get("accountId")
    secondary: tuple[str, ...] = ()
    account_name = ""
    if account_id:
        acc = get_account(account_id, repo=r)
        secondary = tuple(acc.secondary_account_ids)
        account_name = acc.name
    tenant = Tenant(
        partner_id=item["partnerId"],
        account_id=account_id,
        api_key_id=api_key_id,
        scope=item.get("scope", "account"),
        secondary_account_ids=secondary,
        partner_name=partner.get("name", ""),
        account_name=account_name,
    )
    with _cache_lock:
        _cache[api_key_id] = (now, tenant)
    return tenant


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def me(tenant: Tenant, *, settings=None, repo: TenancyRepository | None = None) -> MeOut:
    r = _repo(repo, settings)
    partner = r.get_partner(tenant.partner_id) or {}
    account = get_account(tenant.account_id, repo=r) if tenant.account_id else None
    return MeOut(
        apiKeyId=tenant.api_key_id,
        scope=tenant.scope,
        partner=PartnerOut(id=tenant.partner_id, name=partner.get("name", ""), branding=partner.get("branding") or {}),
        account=account,
    )


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")
