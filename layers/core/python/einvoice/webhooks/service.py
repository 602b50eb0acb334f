"""Webhook use cases: subscriptions, publishing, delivery with retries, dead letters, replay.

Delivery is at least once: ``publish`` stores one PENDING delivery per matching active subscription
(the event body is frozen then, so every attempt signs the same bytes); ``deliver_due`` (run on a
schedule) claims each due delivery with a conditional write (one sender per attempt), POSTs it signed,
and records the outcome: 2xx delivered; anything else (no answer, timeout, 3xx since redirects are
not followed, 4xx, 5xx) retried after ``BACKOFF_SECONDS``; after ``MAX_ATTEMPTS`` the delivery is
DEAD and listed in the account's dead-letter list until replayed (``replay`` one, ``replay_dead``
all of them, e.g. once the endpoint is back). Events of one subscription may arrive out of order.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

from einvoice.errors import ConflictError, ErrorDetail, InvalidInputError, NotFoundError
from einvoice.webhooks import signing
from einvoice.webhooks.model import (
    DEAD,
    DELIVERED,
    EVENT_TYPES,
    LEASE_SECONDS,
    MAX_BODY_BYTES,
    MAX_SUBSCRIPTIONS,
    PENDING,
    Delivery,
    Event,
    Subscription,
    iso,
)
from einvoice.webhooks.ports import DeliveryStore, HttpSender, SubscriptionStore
from einvoice.webhooks.urls import check_url

USER_AGENT = "einvoice-webhooks/1"


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


@dataclass
class WebhookDeps:
    subscriptions: SubscriptionStore
    deliveries: DeliveryStore
    sender: HttpSender | None = None
    clock: Callable[[], _dt.datetime] = _utcnow
    new_id: Callable[[str], str] = _new_id
    allow_loopback_http: bool = False


# ---------------------------------------------------------------------------------- subscriptions
def _event_types(value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidInputError("eventTypes must be a non-empty list", [ErrorDetail(
            "eventTypes must be a non-empty list of event types", field="eventTypes", rule="WH-EVENT-TYPES",
            message_fr="liste de types d'événements attendue", extra={"allowed": list(EVENT_TYPES)})])
    unknown = [v for v in value if v not in EVENT_TYPES]
    if unknown:
        raise InvalidInputError(f"unknown event types: {', '.join(unknown)}", [ErrorDetail(
            f"unknown event types: {', '.join(unknown)}", field="eventTypes", rule="WH-EVENT-TYPES",
            message_fr="types d'événements inconnus", extra={"allowed": list(EVENT_TYPES)})])
    return tuple(dict.fromkeys(value))


def create_subscription(deps: WebhookDeps, account_id: str, *, url: str, event_types: Iterable[str],
                        description: str | None = None) -> Subscription:
    """A new subscription with a fresh secret (returned once: ``to_public(with_secret=True)``).
    Retries are the route's business (``Idempotency-Key`` through Powertools Idempotency)."""
    checked_url = check_url(url, allow_loopback_http=deps.allow_loopback_http)
    types = _event_types(list(event_types) if not isinstance(event_types, str) else event_types)
    if description is not None and len(description) > 256:
        raise InvalidInputError("description is limited to 256 characters", [ErrorDetail(
            "description is limited to 256 characters", field="description", rule="WH-DESCRIPTION",
            message_fr="description limitée à 256 caractères")])
    sub_id = deps.new_id("wh")
    if len(deps.subscriptions.list(account_id)) >= MAX_SUBSCRIPTIONS:
        raise ConflictError(f"an account has at most {MAX_SUBSCRIPTIONS} webhook subscriptions", [ErrorDetail(
            f"an account has at most {MAX_SUBSCRIPTIONS} webhook subscriptions", field="url", rule="WH-LIMIT",
            message_fr=f"au plus {MAX_SUBSCRIPTIONS} abonnements par compte")])
    subscription = Subscription(id=sub_id, account_id=account_id, url=checked_url, event_types=types,
                                secret=signing.new_secret(), created_at=iso(deps.clock()),
                                description=description or None)
    deps.subscriptions.create(subscription)
    return subscription


def _not_found(what: str) -> NotFoundError:
    return NotFoundError(f"no such {what}", [ErrorDetail(f"no such {what}", field="id", rule="NOT_FOUND",
                                                         message_fr="introuvable")])


def get_subscription(deps: WebhookDeps, account_id: str, subscription_id: str) -> Subscription:
    found = deps.subscriptions.get(account_id, subscription_id)
    if found is None:
        raise _not_found("webhook subscription")
    return found


def list_subscriptions(deps: WebhookDeps, account_id: str) -> list[Subscription]:
    return deps.subscriptions.list(account_id)


def delete_subscription(deps: WebhookDeps, account_id: str, subscription_id: str) -> None:
    if not deps.subscriptions.delete(account_id, subscription_id):
        raise _not_found("webhook subscription")


# -------------------------------------------------------------------------------------- publish
def new_event(deps: WebhookDeps, account_id: str, event_type: str, data: dict[str, Any]) -> Event:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type}")
    return Event(id=deps.new_id("evt"), type=event_type, account_id=account_id, occurred_at=iso(deps.clock()),
                 data=data)


def publish(deps: WebhookDeps, event: Event) -> list[Delivery]:
    """One PENDING delivery per active subscription of the event's account that wants its type."""
    body = event.body()
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise ValueError(f"event {event.id} body exceeds {MAX_BODY_BYTES} bytes")
    now = iso(deps.clock())
    out = []
    for sub in deps.subscriptions.list(event.account_id):
        if not sub.active or event.type not in sub.event_types:
            continue
        delivery = Delivery(id=delivery_id(event.id, sub.id), account_id=event.account_id, subscription_id=sub.id,
                            event_id=event.id, event_type=event.type, body=body, created_at=now,
                            next_attempt_at=now)
        try:
            deps.deliveries.create(delivery)
        except ValueError:  # the same event published again (at-least-once upstream): one delivery only
            continue
        out.append(delivery)
    return out


def delivery_id(event_id: str, subscription_id: str) -> str:
    """One delivery per (event, subscription), whatever publishes the event how many times."""
    import hashlib

    return "dlv_" + hashlib.sha256(f"{event_id}|{subscription_id}".encode()).hexdigest()[:32]


# ------------------------------------------------------------------------------------- delivery
def _headers(delivery: Delivery, secret: str, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.HEADER: signing.sign(secret, delivery.body, timestamp),
        "X-Einvoice-Event-Id": delivery.event_id,
        "X-Einvoice-Event-Type": delivery.event_type,
        "X-Einvoice-Delivery-Id": delivery.id,
    }


def attempt(deps: WebhookDeps, delivery: Delivery) -> Delivery | None:
    """Claim and try one delivery now; the stored outcome, or None if another sender claimed it."""
    if deps.sender is None:
        raise RuntimeError("no HTTP sender configured")
    now = deps.clock()
    if not deps.deliveries.claim(delivery, lease_until=iso(now + _dt.timedelta(seconds=LEASE_SECONDS))):
        return None
    sub = deps.subscriptions.get(delivery.account_id, delivery.subscription_id)
    if sub is None or not sub.active:
        outcome = replace(delivery, status=DEAD, dead_at=iso(now), next_attempt_at=None,
                          last_error="the subscription was deleted or deactivated")
    else:
        try:
            check_url(sub.url, allow_loopback_http=deps.allow_loopback_http)
            result = deps.sender.post(sub.url, delivery.body.encode("utf-8"),
                                      _headers(delivery, sub.secret, int(now.timestamp())))
            status, error = result.status, result.error
        except Exception as exc:  # noqa: BLE001 - a sender failure is a failed attempt, never a crash
            status, error = None, f"{type(exc).__name__}: {exc}"[:300]
        outcome = delivery.after_attempt(now=now, status=status, error=error)
    deps.deliveries.save(outcome, expected_attempts=delivery.attempts)
    return outcome


def deliver_due(deps: WebhookDeps, *, limit: int = 100) -> dict[str, int]:
    """Attempt every due delivery (at most ``limit``); counts of the outcomes."""
    counts = {DELIVERED: 0, PENDING: 0, DEAD: 0, "skipped": 0}
    for delivery in deps.deliveries.due(iso(deps.clock()), limit):
        outcome = attempt(deps, delivery)
        counts[outcome.status if outcome else "skipped"] += 1
    return counts


# --------------------------------------------------------------------------------- dead letters
def dead_letters(deps: WebhookDeps, account_id: str, *, limit: int = 100) -> list[Delivery]:
    return deps.deliveries.dead(account_id, limit)


def get_delivery(deps: WebhookDeps, account_id: str, delivery_id: str) -> Delivery:
    found = deps.deliveries.get(account_id, delivery_id)
    if found is None:
        raise _not_found("webhook delivery")
    return found


def replay(deps: WebhookDeps, account_id: str, delivery_id: str) -> Delivery:
    """Send a dead or delivered delivery again (a new series of attempts, starting now)."""
    delivery = get_delivery(deps, account_id, delivery_id)
    if delivery.status == PENDING:
        raise ConflictError("the delivery is still being attempted", [ErrorDetail(
            "the delivery is still being attempted", field="id", rule="WH-PENDING",
            message_fr="la livraison est encore en cours de tentatives")])
    again = replace(delivery, status=PENDING, attempts=0, next_attempt_at=iso(deps.clock()), dead_at=None,
                    delivered_at=None, last_error=None, last_status=None)
    if not deps.deliveries.save(again, expected_attempts=delivery.attempts):
        raise ConflictError("the delivery changed meanwhile; retry", [ErrorDetail(
            "the delivery changed meanwhile; retry", field="id", rule="WH-CONFLICT",
            message_fr="la livraison a changé entre-temps ; réessayez")])
    return again


def replay_dead(deps: WebhookDeps, account_id: str, *, subscription_id: str | None = None,
                limit: int = 1000) -> list[Delivery]:
    """Replay the account's dead-letter list (optionally one subscription's), oldest first."""
    return [replay(deps, account_id, d.id) for d in deps.deliveries.dead(account_id, limit)
            if subscription_id is None or d.subscription_id == subscription_id]
