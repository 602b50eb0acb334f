"""Webhook records: events, subscriptions, deliveries, and the retry schedule."""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any


class EventType(str, Enum):
    INVOICE_RECEIVED = "invoice.received"  # a supplier invoice arrived for one of the account's companies
    INVOICE_STATUS_CHANGED = "invoice.status_changed"  # a lifecycle status was set (by a party or a platform)
    IMPORT_FINISHED = "import.finished"  # a company CSV import ended (succeeded or failed)
    ENROLMENT_FINISHED = "enrolment.finished"  # an enrolment reached DONE, FAILED, LOCKED or EXPIRED
    PAYMENT_CREATED = "payment.created"  # a SEPA payment file was created for supplier invoices


EVENT_TYPES = tuple(t.value for t in EventType)

PENDING = "PENDING"
DELIVERED = "DELIVERED"
DEAD = "DEAD"

#: Wait before attempt n+1 after a failed attempt n (seconds): 11 attempts over about 52 hours, then
#: the delivery is dead-lettered (replayable).
BACKOFF_SECONDS = (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
LEASE_SECONDS = 60  # a claimed delivery is not picked again by another sender before this
MAX_BODY_BYTES = 64 * 1024
MAX_SUBSCRIPTIONS = 20  # per account
RETENTION_DAYS = 30  # delivered and dead deliveries are kept this long (TTL)


def iso(value: _dt.datetime) -> str:
    return value.astimezone(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    account_id: str
    occurred_at: str
    data: dict[str, Any] = field(default_factory=dict)

    def body(self) -> str:
        """The JSON body sent (and signed): compact, keys in a fixed order."""
        return json.dumps({"id": self.id, "type": self.type, "occurredAt": self.occurred_at,
                           "accountId": self.account_id, "data": self.data},
                          separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class Subscription:
    id: str
    account_id: str
    url: str
    event_types: tuple[str, ...]
    secret: str
    created_at: str
    description: str | None = None
    active: bool = True

    def to_public(self, *, with_secret: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "url": self.url, "eventTypes": list(self.event_types),
                               "active": self.active, "createdAt": self.created_at}
        if self.description:
            out["description"] = self.description
        out["secret"] = self.secret if with_secret else f"{self.secret[:10]}…"
        return out


@dataclass(frozen=True)
class Delivery:
    id: str
    account_id: str
    subscription_id: str
    event_id: str
    event_type: str
    body: str
    created_at: str
    status: str = PENDING
    attempts: int = 0
    next_attempt_at: str | None = None
    last_attempt_at: str | None = None
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: str | None = None
    dead_at: str | None = None

    def after_attempt(self, *, now: _dt.datetime, status: int | None, error: str | None) -> "Delivery":
        """The delivery after one attempt: delivered on 2xx, else rescheduled or dead-lettered."""
        attempts = self.attempts + 1
        base = replace(self, attempts=attempts, last_attempt_at=iso(now), last_status=status, last_error=error)
        if status is not None and 200 <= status < 300:
            return replace(base, status=DELIVERED, delivered_at=iso(now), next_attempt_at=None, last_error=None)
        if attempts >= MAX_ATTEMPTS:
            return replace(base, status=DEAD, dead_at=iso(now), next_attempt_at=None)
        return replace(base, next_attempt_at=iso(now + _dt.timedelta(seconds=BACKOFF_SECONDS[attempts - 1])))

    def to_public(self) -> dict[str, Any]:
        out = {"id": self.id, "subscriptionId": self.subscription_id, "eventId": self.event_id,
               "eventType": self.event_type, "status": self.status, "attempts": self.attempts,
               "createdAt": self.created_at}
        for key, value in (("nextAttemptAt", self.next_attempt_at), ("lastAttemptAt", self.last_attempt_at),
                           ("lastStatus", self.last_status), ("lastError", self.last_error),
                           ("deliveredAt", self.delivered_at), ("deadAt", self.dead_at)):
            if value is not None:
                out[key] = value
        return out
