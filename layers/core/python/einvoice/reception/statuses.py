"""Statuses received from another platform (CDAR D22B through the Flow API) onto the invoices' timelines.

``record_incoming_status(data, from_platform=...)`` is the one entry (the Flow API calls it for every
CDAR flow; anything else that receives a status message may too):

1. ``lifecycle.read_status``: hardened parse, XSD + BR-FR-CDV (422 ``LifecycleMessageInvalid`` otherwise);
2. who set it (``statuses.CATALOGUE``): a status of the buyer or of the buyer's platform (202, 203, 204-211,
   213, 501) is about an invoice we *sent*; one of the seller or the seller's platform (200, 201, 209,
   212, 220) about an invoice we *received*;
3. the invoice by its reference (seller SIREN MDT-129, number MDT-87, date MDT-100), exchanged with that
   platform (404 otherwise: a platform never reaches another's invoices);
4. ``check_transition`` against the record's timeline (409 ``LifecycleConflict`` / 422), then the status
   is appended once (the same message again changes nothing) and published on the event bus.

A transmission status arriving while our own delivery has not recorded 201 yet is a 503 (retry later),
so the timeline stays chronological. ``apply_incoming`` is the same from an already parsed message.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from einvoice.errors import ErrorDetail, InvalidInputError, NotFoundError, UpstreamUnavailableError
from einvoice.invoicing.records import ISSUED, ISSUING, RECEIVED_DIRECTION, SENT, RecordUpdate, StatusEvent

BUYER_SIDE = "buyer"
SELLER_SIDE = "seller"


def _side(code: int) -> tuple[str, Any]:
    from einvoice.lifecycle import statuses as st

    status = st.get(code)
    if status is None:
        raise InvalidInputError(f"status {code} is not a lifecycle status this platform records", [
            ErrorDetail("unknown status", field="MDT-105", rule="LC-CODE")])
    if status.set_by & {st.Actor.BUYER, st.Actor.BUYER_PLATFORM}:
        actor = st.Actor.BUYER if st.Actor.BUYER in status.set_by else st.Actor.BUYER_PLATFORM
        return BUYER_SIDE, actor
    actor = st.Actor.SELLER if st.Actor.SELLER in status.set_by else st.Actor.SELLER_PLATFORM
    return SELLER_SIDE, actor


def _summary(doc_status: Any) -> str | None:
    """A line for the timeline: the comment and the amounts the message carries (MEN, MPA, MAP)."""
    if doc_status is None:
        return None
    parts = [n.content for n in doc_status.notes if n.content]
    for c in doc_status.characteristics:
        if c.amount is not None:
            rate = f" at VAT {c.percent}%" if c.percent is not None else ""
            parts.append(f"{c.type_code} {c.amount} {c.currency or ''}{rate}".strip())
    return "; ".join(parts)[:500] or None


def _exchanged_with(record: Any, platform: str | None) -> bool:
    if platform is None:
        return True
    route = (record.route or {}).get("platformId")
    counterpart = (record.counterpart or {}).get("platform")
    return platform in (route, counterpart)


def record_incoming_status(data: bytes, *, from_platform: str | None, deps: Any = None) -> dict[str, Any]:
    """Parse, validate and record a status message from ``from_platform`` (None: trusted internal caller).

    Returns ``{"code", "side", "recipient", "invoices": [{"accountId", "invoiceId", "applied"}]}``."""
    from einvoice.lifecycle.service import read_status

    return apply_incoming(read_status(data), from_platform=from_platform, deps=deps)


def apply_incoming(message: Any, *, from_platform: str | None, deps: Any = None) -> dict[str, Any]:
    from einvoice.lifecycle.transitions import ReceivedAmount, StatusRequest, check_transition
    from einvoice.reception.service import default_deps
    from einvoice.transmission.service import status_event

    deps = deps or default_deps()
    doc = message.document
    code = message.status
    if doc is None or code is None or not doc.invoice_id or doc.issue_date is None:
        raise InvalidInputError("the status message names no invoice (MDT-87, MDT-100) or no status (MDT-105)", [
            ErrorDetail("incomplete reference", field="MDT-87", rule="LC-REFERENCE")])
    side, actor = _side(code)
    seller = next((g.value for g in (doc.issuer.global_ids if doc.issuer else ()) if g.scheme in ("0002", None)), "")
    direction = SENT if side == BUYER_SIDE else RECEIVED_DIRECTION
    records = [r for r in deps.repository.find_by_reference(seller, doc.invoice_id, doc.issue_date.isoformat())
               if r.direction == direction and _exchanged_with(r, from_platform)]
    if not records:
        raise NotFoundError(f"no invoice {doc.invoice_id} of {doc.issue_date} from seller {seller or '?'} was "
                            f"exchanged with {from_platform or 'this platform'}", [
            ErrorDetail("unknown invoice", field="MDT-87", rule="LC-UNKNOWN-INVOICE")])
    status_part = doc.statuses[0] if doc.statuses else None
    received = tuple(ReceivedAmount(c.amount, c.percent) for c in (status_part.characteristics if status_part else ())
                     if c.type_code == "MEN" and c.amount is not None)
    amount = next((c.amount for c in (status_part.characteristics if status_part else ())
                   if c.type_code in ("MPA", "MAP") and c.amount is not None), None)
    if code == 212 and received:
        amount = sum((r.amount for r in received), Decimal(0))
    request = StatusRequest(code=code, reason_code=status_part.reason_code if status_part else None,
                            reason=status_part.reason if status_part else None,
                            requested_action=status_part.requested_action_code if status_part else None,
                            amount=amount, received=received)
    at = (message.acknowledgements[0].issue_datetime if message.acknowledgements else None) or message.issue_datetime
    out = []
    for record in records:
        if record.state == ISSUING and not record.has_status(ISSUED):
            raise UpstreamUnavailableError("the invoice is still being delivered; send the status again later", [
                ErrorDetail("delivery in progress", field="MDT-87", rule="LC-NOT-DELIVERED-YET")])
        if record.has_status(str(code)):  # the same status again (a retried flow): nothing to do
            out.append({"accountId": record.account_id, "invoiceId": record.id, "applied": False})
            continue
        check_transition(record.status_history, request, actor, sender_id=None)
        event = StatusEvent(str(code), _iso(at), from_platform or deps.settings.platform_id,
                            reason=request.reason_code, message=_summary(status_part))
        applied = deps.repository.apply(record.account_id, record.id, RecordUpdate(status=event, now=deps.now()))
        if applied:
            deps.get_events().publish([status_event(record, event)])
        out.append({"accountId": record.account_id, "invoiceId": record.id, "applied": applied})
    return {"code": code, "side": side, "recipient": f"account:{records[0].account_id}", "invoices": out}


def _iso(value: Any) -> str:
    """MDT-78 is French local time without a zone (format 204): stored as UTC like every timeline entry."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from einvoice.invoicing.records import iso

    if value is None:
        return iso(datetime.now(timezone.utc))
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("Europe/Paris"))
    return iso(value)
