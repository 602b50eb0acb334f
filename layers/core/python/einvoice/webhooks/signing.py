"""Webhook signatures (the scheme Stripe popularised).

Every delivery is a ``POST`` with ``Content-Type: application/json`` and the header::

    X-Einvoice-Signature: t=1764666000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

``t`` is the Unix time of the attempt (seconds) and ``v1`` the lowercase hex HMAC-SHA256, keyed with the
subscription's secret (``whsec_...``, shown once at creation), of the bytes ``f"{t}.".encode() + body``:
the timestamp, a dot and the raw request body exactly as received (do not re-serialise the JSON).
During a secret rotation the header may carry several ``v1=`` values; one match is enough.

To verify (``verify_signature`` below does exactly this): split the header on ``,`` then ``=``, recompute
the HMAC for ``t`` with the secret, compare it in constant time with each ``v1`` and refuse a ``t`` more
than 5 minutes away from your clock (replays). Deduplicate on ``X-Einvoice-Event-Id``: an event may be
delivered more than once (at-least-once delivery; a replay sends it again). Other headers:
``X-Einvoice-Event-Type``, ``X-Einvoice-Delivery-Id``, ``User-Agent: einvoice-webhooks/1``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "X-Einvoice-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The request is not a genuine, fresh delivery (``reason`` says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes | str, timestamp: int | None = None) -> str:
    """The ``X-Einvoice-Signature`` header value for a body."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},{SCHEME}={_digest(secret, t, raw)}"


def verify_signature(secret: str, body: bytes | str, header: str | None, *,
                     tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS, now: float | None = None) -> int:
    """Check a delivery; return its timestamp or raise ``SignatureError``.

    ``body`` must be the raw request body; ``header`` the ``X-Einvoice-Signature`` value.
    """
    if not header:
        raise SignatureError("missing signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed signature header")
        if key == "t":
            if not value.isdigit():
                raise SignatureError("malformed timestamp")
            timestamp = int(value)
        elif key == SCHEME:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("malformed signature header")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise SignatureError("timestamp outside the tolerance window")
    raw = body.encode("utf-8") if isinstance(body, str) else body
    expected = _digest(secret, timestamp, raw)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("no matching signature")
    return timestamp
