"""From the platform's event bus to webhook deliveries, and the announcements areas make at their end.

The bus carries ``InvoiceStatusChanged`` (transmission, lifecycle actions, statuses mirrored from the
other side), ``ImportFinished``, ``EnrolmentFinished`` and ``PaymentCreated``. A rule sends them to the
webhook events queue (SQS; the same in AWS and locally, where moto's EventBridge cannot target a
Lambda), whose consumer (``fanout``) turns each into webhook events of the account:

* ``InvoiceStatusChanged`` -> ``invoice.status_changed``; on a received invoice, its **202 Reçue** is
  also ``invoice.received``;
* ``ImportFinished`` -> ``import.finished``; ``EnrolmentFinished`` -> ``enrolment.finished``;
  ``PaymentCreated`` -> ``payment.created``.

A webhook event's id is derived from the bus event's ``eventId`` and its type, and a delivery's from the
event and the subscription, so a bus event delivered twice still makes one delivery per subscription.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from einvoice.webhooks.model import Event, EventType, iso

SOURCES = ("einvoice.transmission", "einvoice.lifecycle", "einvoice.imports", "einvoice.enrolment",
           "einvoice.payments")
SIMPLE = {"ImportFinished": EventType.IMPORT_FINISHED.value, "EnrolmentFinished": EventType.ENROLMENT_FINISHED.value,
          "PaymentCreated": EventType.PAYMENT_CREATED.value}


def webhook_events(detail_type: str, detail: dict[str, Any], occurred_at: str) -> list[Event]:
    """The webhook events of one bus event (none for a type nobody subscribes to)."""
    account_id = str(detail.get("accountId") or "")
    if not account_id:
        return []
    data = {k: v for k, v in detail.items() if k not in ("accountId", "eventId")}
    types: list[str] = []
    if detail_type == "InvoiceStatusChanged":
        types.append(EventType.INVOICE_STATUS_CHANGED.value)
        if detail.get("direction") == "received" and (detail.get("status") or {}).get("code") == "202":
            types.append(EventType.INVOICE_RECEIVED.value)
    elif detail_type in SIMPLE:
        types.append(SIMPLE[detail_type])
    source_id = str(detail.get("eventId") or hashlib.sha256(json.dumps(detail, sort_keys=True).encode()).hexdigest())
    return [Event(id="evt_" + hashlib.sha256(f"{source_id}|{t}".encode()).hexdigest()[:32], type=t,
                  account_id=account_id, occurred_at=occurred_at, data=data) for t in types]


def fanout(event: dict[str, Any], deps: Any) -> dict[str, Any]:
    """SQS batch of bus events -> deliveries; ``{batchItemFailures}`` (a failed message comes back)."""
    from einvoice.webhooks.service import publish

    failures = []
    for item in event.get("Records", []):
        try:
            envelope = json.loads(item["body"])
            occurred = envelope.get("time") or iso(deps.clock())
            for webhook_event in webhook_events(str(envelope.get("detail-type")), envelope.get("detail") or {},
                                                occurred):
                publish(deps, webhook_event)
        except (ValueError, TypeError, AttributeError):  # not a bus event: nothing to deliver, never retried
            from einvoice.observability import logger

            logger().warning("webhook fan-out skipped an unreadable message", extra={"messageId": item.get("messageId")})
        except Exception:  # noqa: BLE001 - storage trouble: SQS gives the message back later
            from einvoice.observability import logger

            logger().warning("webhook fan-out failed", extra={"messageId": item.get("messageId")})
            failures.append({"itemIdentifier": item.get("messageId")})
    return {"batchItemFailures": failures}


def announce(publisher: Any, source: str, detail_type: str, detail: dict[str, Any]) -> None:
    """Publish one platform event on the bus, best effort (the caller's work is done: a lost notification
    is logged, never a failure of the import, enrolment or payment)."""
    try:
        publisher.publish([{"type": detail_type, "source": source, "detail": detail}])
    except Exception:  # noqa: BLE001
        from einvoice.observability import logger

        logger().warning("platform event not published", extra={"type": detail_type})
