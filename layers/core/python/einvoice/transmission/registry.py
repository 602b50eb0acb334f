"""The platform registry: each approved platform's Flow API base URL and OAuth2 client-credentials
settings, in the directory table (platform-wide reference data)::

    pk = PLATFORM#<platform id>   sk = REGISTRY

Secrets are not stored here: ``clientSecretRef`` names an SSM SecureString read by ``SsmSecrets``.
Lookups are cached per container (``ttl`` seconds); an outage raises ``DirectoryUnavailableError``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from einvoice.transmission.errors import DirectoryUnavailableError
from einvoice.transmission.ports import Platform

_FIELDS = {"name": "name", "flow_api_url": "flowApiUrl", "token_url": "tokenUrl", "client_id": "clientId",
           "client_secret_ref": "clientSecretRef", "preferred_syntax": "preferredSyntax", "status": "status"}
SYNTAXES = ("Factur-X", "CII", "UBL")


def platform_item(p: Platform) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": f"PLATFORM#{p.id}", "sk": "REGISTRY", "type": "PLATFORM", "id": p.id}
    for attr, name in _FIELDS.items():
        value = getattr(p, attr)
        if value:
            item[name] = value
    return item


def platform_from_item(item: dict[str, Any]) -> Platform:
    values = {attr: item.get(name) for attr, name in _FIELDS.items() if item.get(name)}
    values.setdefault("name", item["id"])
    values.setdefault("flow_api_url", "")
    return Platform(id=item["id"], **values)


class TablePlatformRegistry:
    def __init__(self, table: Any, *, ttl: float = 60.0) -> None:
        self.table = table
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Platform | None]] = {}
        self._lock = threading.Lock()

    def get(self, platform_id: str) -> Platform | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(platform_id)
            if hit and hit[0] > now:
                return hit[1]
        try:
            item = self.table.get_item(Key={"pk": f"PLATFORM#{platform_id}", "sk": "REGISTRY"}).get("Item")
        except Exception as exc:  # noqa: BLE001 - any AWS failure is an outage here, never "unknown"
            raise DirectoryUnavailableError(f"platform registry unavailable ({type(exc).__name__})") from None
        found = platform_from_item(item) if item else None
        with self._lock:
            self._cache[platform_id] = (now + self.ttl, found)
        return found

    def put(self, platform: Platform) -> None:
        if platform.preferred_syntax and platform.preferred_syntax not in SYNTAXES:
            raise ValueError(f"preferred syntax must be one of {SYNTAXES}")
        self.table.put_item(Item=platform_item(platform))
        with self._lock:
            self._cache.pop(platform.id, None)


class SsmSecrets:
    """``SecretStore`` on SSM Parameter Store SecureStrings, cached per container."""

    def __init__(self, ssm: Any = None, *, ttl: float = 300.0) -> None:
        self._ssm = ssm
        self.ttl = ttl
        self._cache: dict[str, tuple[float, str]] = {}

    @property
    def ssm(self) -> Any:
        if self._ssm is None:
            from einvoice.adapters.aws.clients import client

            self._ssm = client("ssm")
        return self._ssm

    def get(self, name: str) -> str:
        hit = self._cache.get(name)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        value = self.ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        self._cache[name] = (time.monotonic() + self.ttl, value)
        return value
