"""Lazy, cached boto3 clients/resources configured from ``Settings``.

Locally ``endpoint_url`` points at the moto server; in AWS it is unset.
"""

from __future__ import annotations

import threading
from typing import Any

from einvoice.settings import Settings, get_settings

_lock = threading.Lock()
_cache: dict[tuple[str, str, str | None, str], Any] = {}


def _config():
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "max_attempts": 4},
        account_id_endpoint_mode="disabled",
        connect_timeout=3,
        read_timeout=20,
    )


_session: Any = None


def _boto_session() -> Any:
    """One boto3 session per process: its loader caches the service models and endpoint data,
    which otherwise costs a large JSON parse for every new client."""
    global _session
    if _session is None:
        import boto3

        _session = boto3.session.Session()
    return _session


def client(service: str, settings: Settings | None = None) -> Any:
    s = settings or get_settings()
    key = ("client", service, s.endpoint_url, s.region)
    found = _cache.get(key)
    if found is not None:
        return found
    with _lock:
        if key not in _cache:
            session = _boto_session()
            _cache[key] = session.client(
                service, region_name=s.region, endpoint_url=s.endpoint_url, config=_config()
            )
        return _cache[key]


def table(name: str, settings: Settings | None = None) -> Any:
    s = settings or get_settings()
    key = ("table", name, s.endpoint_url, s.region)
    found = _cache.get(key)
    if found is not None:
        return found
    with _lock:
        if key not in _cache:
            session = _boto_session()
            res = session.resource("dynamodb", region_name=s.region, endpoint_url=s.endpoint_url, config=_config())
            _cache[key] = res.Table(name)
        return _cache[key]


def reset_clients() -> None:
    with _lock:
        _cache.clear()


CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` ("" for any other exception)."""
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code", "") or ""


class BucketAdapter:
    """Base of the adapters on one S3 bucket: the bucket name, and the client made on first use (one per
    container, lazily imported) unless one is given (tests)."""

    def __init__(self, bucket: str, s3: Any = None) -> None:
        self.bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = client("s3")
        return self._s3

