"""Tenancy records in the ``tenancy`` table and API key resolution.

Key design (see ``einvoice.resources``): ``PARTNER#<id>``, ``ACCOUNT#<id>``, ``APIKEY#<apiKeyId>``
and ``KEYHASH#<sha256(value)>`` (lets the local server enforce keys the way API Gateway does).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
import uuid
from typing import Any, Protocol

from einvoice.accounts.models import AccountOut, CreatedKey, MeOut, PartnerOut
from einvoice.errors import ConflictError, ErrorDetail, ForbiddenError, InvalidInputError, NotFoundError
from einvoice.settings import Settings, get_settings
from einvoice.tenancy import Tenant

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_CACHE_TTL_SECONDS = 60.0
_cache: dict[str, tuple[float, Tenant | None]] = {}
_cache_lock = threading.Lock()


class KeyRegistry(Protocol):
    """Where API keys are enforced (API Gateway usage plans in AWS; moto's control plane locally)."""

    def create_key(self, name: str, value: str) -> str: ...


class ApiGatewayKeyRegistry:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    def create_key(self, name: str, value: str) -> str:
        from einvoice.adapters.aws.clients import client

        apigw = client("apigateway", self.settings)
        key = apigw.create_api_key(name=name, value=value, enabled=True)
        if self.settings.usage_plan_id:
            apigw.create_usage_plan_key(usagePlanId=self.settings.usage_plan_id, keyId=key["id"], keyType="API_KEY")
        return key["id"]


def _table(settings: Settings | None = None):
    from einvoice.adapters.aws.clients import table

    s = settings or get_settings()
    return table(s.tenancy_table, s)


def key_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _check_id(field: str, value: str) -> None:
    if not _ID.match(value):
        raise InvalidInputError(
            f"{field} must be 2-63 lowercase letters, digits or dashes",
            [ErrorDetail(f"invalid identifier {value!r}", field=field)],
        )


def create_partner(partner_id: str, name: str, branding: dict[str, str] | None = None, *, settings=None) -> PartnerOut:
    """Create a partner (idempotent: the same id and name again returns the existing partner)."""
    _check_id("partnerId", partner_id)
    t = _table(settings)
    item = {"pk": f"PARTNER#{partner_id}", "sk": "PARTNER", "name": name, "branding": branding or {}}
    existing = t.get_item(Key={"pk": item["pk"], "sk": "PARTNER"}).get("Item")
    if existing:
        if existing.get("name") != name:
            raise ConflictError(f"partner {partner_id} already exists with another name")
    else:
        t.put_item(Item={**item, "createdAt": _now()})
    return PartnerOut(id=partner_id, name=name, branding=branding or {})


def create_account(
    account_id: str, partner_id: str, name: str, parent_account_id: str | None = None, *, settings=None
) -> AccountOut:
    """Create an account under a partner, optionally as a secondary account of a parent account."""
    _check_id("accountId", account_id)
    t = _table(settings)
    if not t.get_item(Key={"pk": f"PARTNER#{partner_id}", "sk": "PARTNER"}).get("Item"):
        raise NotFoundError(f"partner {partner_id} not found")
    if parent_account_id:
        parent = t.get_item(Key={"pk": f"ACCOUNT#{parent_account_id}", "sk": "ACCOUNT"}).get("Item")
        if not parent or parent.get("partnerId") != partner_id:
            raise NotFoundError(f"parent account {parent_account_id} not found")
    existing = t.get_item(Key={"pk": f"ACCOUNT#{account_id}", "sk": "ACCOUNT"}).get("Item")
    if existing:
        if existing.get("partnerId") != partner_id or existing.get("name") != name:
            raise ConflictError(f"account {account_id} already exists")
    else:
        item: dict[str, Any] = {
            "pk": f"ACCOUNT#{account_id}",
            "sk": "ACCOUNT",
            "name": name,
            "partnerId": partner_id,
            "gsi1pk": f"PARTNER#{partner_id}",
            "gsi1sk": f"ACCOUNT#{account_id}",
            "createdAt": _now(),
        }
        if parent_account_id:
            item["parentAccountId"] = parent_account_id
        t.put_item(Item=item)
    return get_account(account_id, settings=settings)


def get_account(account_id: str, *, settings=None) -> AccountOut:
    t = _table(settings)
    item = t.get_item(Key={"pk": f"ACCOUNT#{account_id}", "sk": "ACCOUNT"}).get("Item")
    if not item:
        raise NotFoundError(f"account {account_id} not found")
    children = _secondary_accounts(account_id, item["partnerId"], settings)
    return AccountOut(
        id=account_id,
        name=item["name"],
        partnerId=item["partnerId"],
        parentAccountId=item.get("parentAccountId"),
        secondaryAccountIds=children,
    )


def _secondary_accounts(account_id: str, partner_id: str, settings=None) -> list[str]:
    from boto3.dynamodb.conditions import Key

    t = _table(settings)
    out: list[str] = []
    kwargs: dict[str, Any] = {
        "IndexName": "gsi1",
        "KeyConditionExpression": Key("gsi1pk").eq(f"PARTNER#{partner_id}") & Key("gsi1sk").begins_with("ACCOUNT#"),
    }
    while True:
        page = t.query(**kwargs)
        out += [i["pk"].split("#", 1)[1] for i in page["Items"] if i.get("parentAccountId") == account_id]
        if "LastEvaluatedKey" not in page:
            return sorted(out)
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def create_api_key(
    partner_id: str,
    account_id: str | None = None,
    *,
    value: str | None = None,
    registry: KeyRegistry | None = None,
    settings=None,
) -> CreatedKey:
    """Create an API key for a partner (partner scope) or one of its accounts (account scope).

    Idempotent for a given value: the same value for the same owner returns the same key id.
    """
    t = _table(settings)
    if not t.get_item(Key={"pk": f"PARTNER#{partner_id}", "sk": "PARTNER"}).get("Item"):
        raise NotFoundError(f"partner {partner_id} not found")
    if account_id:
        acc = t.get_item(Key={"pk": f"ACCOUNT#{account_id}", "sk": "ACCOUNT"}).get("Item")
        if not acc or acc.get("partnerId") != partner_id:
            raise NotFoundError(f"account {account_id} not found")
    value = value or "ek_" + secrets.token_urlsafe(30)
    if len(value) < 20:
        raise InvalidInputError("API key values need at least 20 characters", [ErrorDetail("too short", field="value")])
    h = key_hash(value)
    existing = t.get_item(Key={"pk": f"KEYHASH#{h}", "sk": "APIKEY"}).get("Item")
    if existing:
        if existing.get("partnerId") != partner_id or existing.get("accountId") != account_id:
            raise ConflictError("this API key value is already in use")
        return CreatedKey(apiKeyId=existing["apiKeyId"], value=value, partnerId=partner_id, accountId=account_id)
    registry = registry or ApiGatewayKeyRegistry(settings)
    name = f"{partner_id}.{account_id or '*'}.{uuid.uuid4().hex[:8]}"
    api_key_id = registry.create_key(name, value)
    record = {
        "apiKeyId": api_key_id,
        "partnerId": partner_id,
        "scope": "account" if account_id else "partner",
        "enabled": True,
        "createdAt": _now(),
    }
    if account_id:
        record["accountId"] = account_id
    t.put_item(Item={"pk": f"APIKEY#{api_key_id}", "sk": "APIKEY", **record})
    t.put_item(Item={"pk": f"KEYHASH#{h}", "sk": "APIKEY", **record})
    return CreatedKey(apiKeyId=api_key_id, value=value, partnerId=partner_id, accountId=account_id)


def key_id_for_value(value: str, *, settings=None) -> str | None:
    """The API key id of a key value, or None (the local server's stand-in for API Gateway)."""
    item = _table(settings).get_item(Key={"pk": f"KEYHASH#{key_hash(value)}", "sk": "APIKEY"}).get("Item")
    if not item or not item.get("enabled", True):
        return None
    return item["apiKeyId"]


def resolve_tenant(api_key_id: str | None, *, settings=None) -> Tenant:
    """The tenant behind an API key id (cached per container for a minute)."""
    if not api_key_id:
        raise ForbiddenError("Forbidden")
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(api_key_id)
    if hit and now - hit[0] < _CACHE_TTL_SECONDS and hit[1] is not None:
        return hit[1]
    t = _table(settings)
    item = t.get_item(Key={"pk": f"APIKEY#{api_key_id}", "sk": "APIKEY"}).get("Item")
    if not item or not item.get("enabled", True):
        raise ForbiddenError("Forbidden")
    partner = t.get_item(Key={"pk": f"PARTNER#{item['partnerId']}", "sk": "PARTNER"}).get("Item") or {}
    account_id = item.get("accountId")
    secondary: tuple[str, ...] = ()
    account_name = ""
    if account_id:
        acc = get_account(account_id, settings=settings)
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


def me(tenant: Tenant, *, settings=None) -> MeOut:
    t = _table(settings)
    partner = t.get_item(Key={"pk": f"PARTNER#{tenant.partner_id}", "sk": "PARTNER"}).get("Item") or {}
    account = get_account(tenant.account_id, settings=settings) if tenant.account_id else None
    return MeOut(
        apiKeyId=tenant.api_key_id,
        scope=tenant.scope,
        partner=PartnerOut(id=tenant.partner_id, name=partner.get("name", ""), branding=partner.get("branding") or {}),
        account=account,
    )


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")
