"""OAuth2 clients of the Flow API (client credentials) and the caller they stand for.

One record per client in the tenancy table::

    pk = OAUTHCLIENT#<clientId>   sk = CLIENT
       kind = platform | account, platformId (0238:PA-xxxx) | accountId (+ partnerId), name, scopes
       secretHash (local token endpoint only: on AWS Cognito holds the secret of its app client)

On AWS the client id is the Cognito app client id and API Gateway's Cognito authorizer checks the
token and its scope before the handler runs; locally ``local/oauth.py`` issues and checks tokens over
these same records. In both, the handler reads ``requestContext.authorizer.claims`` and resolves
``client_id`` here, so the code path below the authorizer is the same.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from einvoice.errors import DomainError

SCOPE_WRITE = "einvoice/flows.write"
SCOPE_READ = "einvoice/flows.read"
SCOPES = (SCOPE_WRITE, SCOPE_READ)
PLATFORM = "platform"
ACCOUNT = "account"
_ITERATIONS = 60_000


class UnauthorizedError(DomainError):
    code = "Unauthorized"
    http_status = 401


@dataclass(frozen=True)
class FlowApiClient:
    client_id: str
    kind: str  # platform | account
    name: str
    platform_id: str | None = None
    account_id: str | None = None
    partner_id: str | None = None
    scopes: tuple[str, ...] = SCOPES
    secret_hash: str | None = None

    @property
    def principal(self) -> str:
        """Who the flows of this client belong to (flows are visible to their sender and recipient)."""
        return f"platform:{self.platform_id}" if self.kind == PLATFORM else f"account:{self.account_id}"


def hash_secret(secret: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt.encode(), _ITERATIONS).hex()
    return f"pbkdf2-sha256${_ITERATIONS}${salt}${digest}"


def secret_matches(secret: str, stored: str | None) -> bool:
    if not stored or stored.count("$") != 3:
        return False
    _, iterations, salt, digest = stored.split("$")
    computed = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(computed, digest)


def to_item(c: FlowApiClient) -> dict[str, Any]:
    item = {"pk": f"OAUTHCLIENT#{c.client_id}", "sk": "CLIENT", "type": "OAUTHCLIENT", "clientId": c.client_id,
            "kind": c.kind, "name": c.name, "scopes": list(c.scopes), "platformId": c.platform_id,
            "accountId": c.account_id, "partnerId": c.partner_id, "secretHash": c.secret_hash}
    return {k: v for k, v in item.items() if v is not None}


def from_item(item: dict[str, Any]) -> FlowApiClient:
    return FlowApiClient(client_id=item["clientId"], kind=item["kind"], name=item.get("name", ""),
                         platform_id=item.get("platformId"), account_id=item.get("accountId"),
                         partner_id=item.get("partnerId"), scopes=tuple(item.get("scopes") or SCOPES),
                         secret_hash=item.get("secretHash"))


class TableClients:
    """Client records in the tenancy table, cached per container for ``ttl`` seconds."""

    def __init__(self, table: Any, *, ttl: float = 60.0) -> None:
        self.table = table
        self.ttl = ttl
        self._cache: dict[str, tuple[float, FlowApiClient | None]] = {}
        self._lock = threading.Lock()

    def get(self, client_id: str) -> FlowApiClient | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(client_id)
            if hit and hit[0] > now:
                return hit[1]
        item = self.table.get_item(Key={"pk": f"OAUTHCLIENT#{client_id}", "sk": "CLIENT"}).get("Item")
        found = from_item(item) if item else None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[client_id] = (now + self.ttl, found)
        return found

    def put(self, client: FlowApiClient) -> None:
        self.table.put_item(Item=to_item(client))
        with self._lock:
            self._cache.pop(client.client_id, None)


class MemoryClients:
    def __init__(self, clients: list[FlowApiClient] | None = None) -> None:
        self.clients = {c.client_id: c for c in clients or []}

    def get(self, client_id: str) -> FlowApiClient | None:
        return self.clients.get(client_id)

    def put(self, client: FlowApiClient) -> None:
        self.clients[client.client_id] = client


def new_client(kind: str, name: str, *, platform_id: str | None = None, account_id: str | None = None,
               partner_id: str | None = None, client_id: str | None = None,
               secret: str | None = None) -> tuple[FlowApiClient, str]:
    """A client record and its secret (generated unless given); the record keeps only the secret's hash."""
    if kind not in (PLATFORM, ACCOUNT) or (kind == PLATFORM and not platform_id) or (kind == ACCOUNT and not account_id):
        raise ValueError("a platform client needs a platform id, an account client an account id")
    secret = secret or secrets.token_urlsafe(32)
    client = FlowApiClient(client_id=client_id or "flows-" + secrets.token_hex(10), kind=kind, name=name,
                           platform_id=platform_id, account_id=account_id, partner_id=partner_id,
                           secret_hash=hash_secret(secret))
    return client, secret


def caller_from_claims(claims: dict[str, Any] | None, clients: Any) -> FlowApiClient:
    """The client of a token checked by the authorizer (Cognito's ``client_id`` claim), or 401."""
    client_id = str((claims or {}).get("client_id") or "")
    client = clients.get(client_id) if client_id else None
    if client is None:
        raise UnauthorizedError("The access token does not belong to a registered Flow API client")
    return client


def register_client(kind: str, name: str, *, platform_id: str | None = None, account_id: str | None = None,
                    partner_id: str | None = None, user_pool_id: str | None = None,
                    settings: Any = None) -> dict[str, Any]:
    """Create a Flow API client: on AWS (``user_pool_id``) a Cognito app client with the client-credentials
    flow and the Flow API scopes (Cognito keeps the secret), locally a generated secret kept as a hash;
    then its record in the tenancy table. Returns the id and the secret (shown once)."""
    from einvoice.adapters.aws.clients import client as aws_client
    from einvoice.adapters.aws.clients import table

    if settings is None:
        from einvoice.settings import get_settings

        settings = get_settings()
    record, secret = new_client(kind, name, platform_id=platform_id, account_id=account_id, partner_id=partner_id)
    if user_pool_id:
        created = aws_client("cognito-idp", settings).create_user_pool_client(
            UserPoolId=user_pool_id, ClientName=name[:128], GenerateSecret=True,
            AllowedOAuthFlows=["client_credentials"], AllowedOAuthScopes=list(SCOPES),
            AllowedOAuthFlowsUserPoolClient=True)["UserPoolClient"]
        record = FlowApiClient(client_id=created["ClientId"], kind=kind, name=name, platform_id=platform_id,
                               account_id=account_id, partner_id=partner_id)
        secret = created["ClientSecret"]
    TableClients(table(settings.tenancy_table, settings)).put(record)
    return {"clientId": record.client_id, "clientSecret": secret, "principal": record.principal,
            "scopes": list(record.scopes), "tokenUrl": settings.oauth_token_url or None}
