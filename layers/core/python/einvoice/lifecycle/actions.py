"""Lifecycle statuses on invoice records: the parties' actions and how a status reaches the other side.

``set_status`` (``POST /v1/invoices/{id}/status``): the buyer acts on a received invoice (204, 205,
206, 207, 208, 210, 211), the seller on a sent one (209, 212, 220). The request is checked with
``check_transition`` against the record's timeline (409 / 422 with rule ids), the CDAR is built and
validated (``issue_status``: XSD + BR-FR-CDV, fail closed), a mandatory status's PPF copy is queued
(Flux 6), then the status is recorded on the record, once (conditional on the timeline it was checked
against), published (``InvoiceStatusChanged``), and sent to the other side:

* the counterpart is a record of this platform (internal delivery: ``peer_record``): the same event is
  appended to that record's timeline directly, so both timelines hold identical events;
* it is another platform: the status goes to the status queue; ``send_queued`` (its consumer) posts the
  CDAR through the AFNOR Flow API client (flowSyntax CDAR), redelivering on the transmission schedule;
* there is none (an invoice received by OCR, sent to nobody): the status stays on this side.

Order of effects: the PPF copy is written before the record (a recorded mandatory status always has
its Flux 6 copy) and withdrawn if the record changed meanwhile (409, nothing recorded).
``queue_ppf_copy`` serves the platform's own mandatory statuses (the transmission's 200 and 213).
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Sequence

from einvoice.errors import ConflictError, ErrorDetail, InvalidInputError
from einvoice.invoicing.records import RECEIVED_DIRECTION, RecordUpdate, StatusEvent, iso
from einvoice.lifecycle import builder
from einvoice.lifecycle.statuses import Actor
from einvoice.lifecycle.transitions import ReceivedAmount, StatusRequest, split_by_rate

VAT_ON_RECEIPT_CODE = "432"  # BT-8 "paid to date": VAT is due when the payment is received
FLOW_TYPES = {Actor.BUYER: "SupplierInvoiceLC", Actor.SELLER: "CustomerInvoiceLC",  # XP Z12-013 FlowType
              Actor.BUYER_PLATFORM: "SupplierInvoiceLC", Actor.SELLER_PLATFORM: "CustomerInvoiceLC"}


@dataclass(frozen=True)
class StatusAction:
    """What a party asks for (the API body, already typed)."""

    code: int
    reason: str | None = None  # reason code (MDT-113), mandatory for 206, 207, 208, 210
    comment: str | None = None
    amount: Decimal | None = None
    rates: tuple[tuple[Decimal, Decimal], ...] = ()  # 212: (rate, amount received) per VAT rate
    payment_date: _dt.date | None = None  # 211: the execution date of the transfer


# ------------------------------------------------------------------------------------ helpers
def platform(settings: Any) -> builder.Platform:
    """This platform as CDAR names it (the id after the ``0238:`` scheme)."""
    return builder.Platform(settings.platform_id.split(":", 1)[-1], "einvoice")


def _invoice(record: Any) -> Any:
    from einvoice.invoicing.model import Invoice

    return Invoice.model_validate(record.invoice or {})


def _company(party: Any, siren: str | None) -> builder.Company:
    address = party.electronic_address.value if party.electronic_address else None
    return builder.Company(siren=(party.siren or siren or "")[:9], name=party.name, address=address)


def invoice_ref(record: Any, invoice: Any) -> builder.InvoiceRef:
    return builder.InvoiceRef(number=record.number, issue_date=_dt.date.fromisoformat(record.issue_date),
                              seller=_company(invoice.seller, record.seller_siren),
                              buyer=_company(invoice.buyer, record.buyer_siren), type_code=record.type_code)


def vat_on_receipt(invoice: Any) -> bool:
    return invoice.vat_due_date_code == VAT_ON_RECEIPT_CODE


def _parse_at(value: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _received_at(record: Any) -> _dt.datetime:
    """MDT-95: when the setter's side got the invoice (202 on a received record, 200 on a sent one)."""
    first = "202" if record.direction == RECEIVED_DIRECTION else "200"
    found = next((s.at for s in record.status_history if s.code == first), None)
    return _parse_at(found or record.created_at)


def _actor(record: Any) -> Actor:
    return Actor.BUYER if record.direction == RECEIVED_DIRECTION else Actor.SELLER


def _actor_of(record: Any, event: StatusEvent) -> Actor:
    """Who set a recorded status: the event's actor, else this side's platform for a status only a platform
    sets (202, 203, 213 of a reception; 200, 201 of a transmission), else this side's party."""
    from einvoice.lifecycle import statuses

    if event.actor:
        return Actor(event.actor)
    platform = Actor.BUYER_PLATFORM if record.direction == RECEIVED_DIRECTION else Actor.SELLER_PLATFORM
    status = statuses.get(int(event.code)) if event.code.isdigit() else None
    return platform if status is not None and platform in status.set_by else _actor(record)


def _request(action: StatusAction, invoice: Any) -> StatusRequest:
    received: tuple[ReceivedAmount, ...] = tuple(ReceivedAmount(amount, rate) for rate, amount in action.rates)
    if action.code == 212 and not received and action.amount is not None and not vat_on_receipt(invoice):
        # BR-FR-CDV-14: a 212 always gives its rates; spread the total over the invoice's VAT breakdown
        rows = [(b.rate or Decimal(0), (b.taxable_amount or Decimal(0)) + (b.tax_amount or Decimal(0)))
                for b in invoice.vat_breakdown]
        received = split_by_rate(action.amount, rows)
    return StatusRequest(code=action.code, reason_code=action.reason, comment=action.comment,
                         amount=action.amount, received=received)


def _event_data(request: StatusRequest) -> dict[str, Any]:
    received = tuple({"amount": format(r.amount, "f"), **({"rate": format(r.rate, "f")} if r.rate is not None
                                                           else {})} for r in request.received)
    return {"amount": format(request.amount, "f") if request.amount is not None else None, "received": received}


def status_changed(record: Any, event: StatusEvent) -> dict[str, Any]:
    """The ``InvoiceStatusChanged`` event of a record's status (``eventId`` unique per record and event)."""
    from einvoice.transmission.service import status_event

    return status_event(record, event)


def _publish(deps: Any, record: Any, event: StatusEvent) -> None:
    try:
        deps.get_events().publish([status_changed(record, event)])
    except Exception:  # noqa: BLE001 - the status is recorded; a lost notification is logged, never a failure
        from einvoice.observability import logger

        logger().warning("status event not published", extra={"invoiceId": record.id, "code": event.code})


# ------------------------------------------------------------------------------------ set_status
def set_status(account_id: str, invoice_id: str, action: StatusAction, *, deps: Any,
               event_id: str | None = None, record: Any = None) -> Any:
    """Check, validate, queue for the PPF, record once, publish and send a party's status; the record after.

    ``event_id`` makes a call idempotent (payments pass ``211-<paymentId>``): when the record already
    holds that event, nothing happens again.
    """
    from einvoice.lifecycle.service import issue_status

    record = record or deps.repository.get(account_id, invoice_id)
    if record is None:
        from einvoice.errors import NotFoundError

        raise NotFoundError(f"invoice {invoice_id} not found", [
            ErrorDetail("unknown invoice", field="id", rule="NOT_FOUND", message_fr="facture inconnue")])
    if event_id and any(s.id == event_id for s in record.status_history):
        return record
    if record.invoice is None:
        raise InvalidInputError("this invoice has no content to reference in a status", [ErrorDetail(
            "no invoice content", field="id", rule="LC-NO-INVOICE", message_fr="facture sans contenu")])
    invoice = _invoice(record)
    history = [int(s.code) for s in record.status_history]
    request = _request(action, invoice)
    actor = _actor(record)
    now = deps.clock()
    event_id = event_id or f"{action.code}-{len(history) + 1}"
    cdar_event = builder.StatusEvent(invoice=invoice_ref(record, invoice), request=request, actor=actor,
                                     set_at=now, received_at=_received_at(record), currency=invoice.currency,
                                     payment_date=action.payment_date if action.code == 211 else None)
    queue = deps.get_flux6()
    issued = issue_status(history, cdar_event, account_id=record.account_id, invoice_id=record.id,
                          platform=platform(deps.settings), ppf_queue=queue,
                          vat_on_receipt=vat_on_receipt(invoice), event_id=event_id)
    data = _event_data(request)
    event = StatusEvent(code=str(action.code), at=iso(now), source=deps.settings.platform_id,
                        reason=request.reason_code, id=event_id, actor=actor.value, comment=action.comment,
                        amount=data["amount"], received=data["received"])
    fields: dict[str, Any] = {}
    if issued.ppf_item is not None:
        fields["flux6"] = {**(record.flux6 or {}), event_id: {"status": "queued", "code": action.code}}
    applied = deps.repository.apply(record.account_id, record.id, RecordUpdate(
        status=event, fields=fields, history_length=len(history), now=event.at))
    if not applied:
        if issued.ppf_item is not None:
            queue.discard(issued.ppf_item)
        raise ConflictError("the invoice's lifecycle changed meanwhile: read it again and retry", [ErrorDetail(
            "the timeline changed since it was read", field="code", rule="LC-CONCURRENT",
            message_fr="le cycle de vie de la facture a changé entre-temps : relisez-la et réessayez")])
    _publish(deps, record, event)
    send_to_counterpart(deps, record, event)
    return deps.repository.get(record.account_id, record.id)


# ------------------------------------------------------------------------------ the other side
def mirror(deps: Any, record: Any, event: StatusEvent) -> bool:
    """Append ``event`` to the timeline of the record's internal counterpart (once); True when it was added."""
    link = record.peer_record or {}
    if not link.get("accountId") or not link.get("invoiceId"):
        return False
    if record.direction == RECEIVED_DIRECTION:
        # the buyer's whole timeline is the issuer's from 202 on: the reception's 202/203 reach the issuer by
        # the reception's Answer step, which may still be on its way; copy what the issuer lacks first, in
        # order, so both timelines hold the same events in the same order (Answer then adds nothing)
        other = deps.repository.get(link["accountId"], link["invoiceId"], with_invoice=False)
        have = {s.key for s in other.status_history} if other is not None else set()
        for earlier in record.status_history:
            if earlier.key != event.key and earlier.key not in have and deps.repository.apply(
                    link["accountId"], link["invoiceId"], RecordUpdate(status=earlier, now=event.at)) and other:
                _publish(deps, other, earlier)
    added = deps.repository.apply(link["accountId"], link["invoiceId"], RecordUpdate(status=event, now=event.at))
    if added:
        other = deps.repository.get(link["accountId"], link["invoiceId"], with_invoice=False)
        if other is not None:
            _publish(deps, other, event)
    return added


def send_to_counterpart(deps: Any, record: Any, event: StatusEvent) -> str:
    """Deliver a status of ``record`` to the other side: ``internal`` | ``queued`` | ``none``."""
    if record.peer_record:
        mirror(deps, record, event)
        return "internal"
    peer = (record.counterpart or {}).get("platform")
    if not peer or peer == deps.settings.platform_id:
        return "none"
    deps.get_status_queue().send({"accountId": record.account_id, "invoiceId": record.id, "eventId": event.key,
                                  "attempt": 1}, delay_seconds=0)
    return "queued"


def announce(deps: Any, account_id: str, invoice_id: str) -> None:
    """Publish the statuses a record was created with (a received invoice's 202)."""
    record = deps.repository.get(account_id, invoice_id, with_invoice=False)
    for event in record.status_history if record else ():
        _publish(deps, record, event)


def sync_from_counterpart(deps: Any, record: Any) -> int:
    """Copy onto ``record`` the statuses its internal counterpart holds and it lacks (after an internal
    delivery: the buyer side's 202, 203...); the number copied."""
    link = record.peer_record or {}
    if not link.get("accountId"):
        return 0
    other = deps.repository.get(link["accountId"], link["invoiceId"], with_invoice=False)
    if other is None:
        return 0
    mine = {s.key for s in record.status_history}
    copied = 0
    for event in other.status_history:
        if event.key not in mine and deps.repository.apply(record.account_id, record.id,
                                                           RecordUpdate(status=event, now=event.at)):
            copied += 1
            _publish(deps, record, event)
    return copied


# ------------------------------------------------------------------------- statuses to another PA
def _cdar_for(deps: Any, record: Any, event: StatusEvent) -> bytes:
    """The PA<->PA CDAR of a recorded status, rebuilt from the record (same inputs, same message) and
    validated again before it leaves."""
    from einvoice.lifecycle import cdar_xml
    from einvoice.lifecycle.service import _checked

    invoice = _invoice(record)
    received = tuple(ReceivedAmount(Decimal(r["amount"]), Decimal(r["rate"]) if r.get("rate") else None)
                     for r in event.received)
    request = StatusRequest(code=int(event.code), reason_code=event.reason, comment=event.comment,
                            amount=Decimal(event.amount) if event.amount else None, received=received)
    actor = _actor_of(record, event)
    message = builder.peer_copy(builder.StatusEvent(
        invoice=invoice_ref(record, invoice), request=request, actor=actor, set_at=_parse_at(event.at),
        received_at=_received_at(record), currency=invoice.currency))
    return _checked(cdar_xml.to_xml(message), "status message")


def send_queued(message: dict[str, Any], deps: Any) -> str:
    """One message of the status queue: post the CDAR to the other platform; ``sent`` | ``deferred`` |
    ``failed`` | ``gone``. Each try is appended to the record's delivery attempts."""
    from einvoice.invoicing.records import Attempt
    from einvoice.transmission.errors import PeerUnavailableError

    account_id, invoice_id, key = message["accountId"], message["invoiceId"], message["eventId"]
    tried = int(message.get("attempt", 1))
    record = deps.repository.get(account_id, invoice_id)
    event = next((s for s in record.status_history if s.key == key), None) if record else None
    peer = (record.counterpart or {}).get("platform") if record else None
    if record is None or event is None or not peer:
        return "gone"
    outcome, code, text = "status_sent", None, None
    try:
        platform_info = deps.registry.get(peer)
        if platform_info is None:
            raise PeerUnavailableError("PlatformNotRegistered", f"{peer} is not in the platform registry")
        data = _cdar_for(deps, record, event)
        actor = _actor_of(record, event)
        name = f"{record.number}-CDV-{event.code}.xml"
        flow_info = {"trackingId": f"{record.transmission_id or record.id}-{key[2:]}"[:64], "name": name,
                     "processingRule": "B2B", "flowSyntax": "CDAR", "flowProfile": "Undefined",
                     "flowType": FLOW_TYPES.get(actor, "CustomerInvoiceLC"), "sha256": _sha256(data)}
        result = deps.get_flow_client().send(platform_info, flow_info=flow_info, data=data, filename=name,
                                             content_type="application/xml")
        if result.outcome == "refused":
            outcome, code, text = "status_refused", result.reason_code, result.message
    except PeerUnavailableError as exc:
        delays = deps.settings.redelivery_delays
        if tried <= len(delays):
            deps.get_status_queue().send({**message, "attempt": tried + 1}, delay_seconds=delays[tried - 1])
            outcome = "status_deferred"
        else:
            outcome = "status_failed"
        code, text = exc.code, exc.message
    now = deps.now()
    deps.repository.apply(account_id, invoice_id, RecordUpdate(attempt=Attempt(
        len(record.attempts) + 1, now, outcome, peer, code or f"CDV-{event.code}",
        (text or f"status {event.code} ({key[2:]})")[:300]), now=now))
    return outcome


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def send_batch(event: dict[str, Any], deps: Any) -> dict[str, Any]:
    """SQS batch of the status queue -> ``{batchItemFailures}``."""
    failures = []
    for item in event.get("Records", []):
        try:
            send_queued(json.loads(item["body"]), deps)
        except Exception:  # noqa: BLE001 - reported per message: SQS retries it, then its DLQ keeps it
            from einvoice.observability import logger

            logger().warning("status delivery failed", extra={"messageId": item.get("messageId")})
            failures.append({"itemIdentifier": item.get("messageId")})
    return {"batchItemFailures": failures}


# ------------------------------------------------------------- the platform's own mandatory statuses
def queue_ppf_copy(deps: Any, record: Any, invoice: Any, event: StatusEvent) -> dict[str, Any]:
    """Flux 6 for a status the platform itself sets (the transmission's 200 Déposée and 213 Rejetée):
    ``{status: queued, key, sha256}``, or ``{status: held, rules}`` when the copy cannot be made valid
    (e.g. no seller SIREN on a rejected invoice): the status is recorded anyway, the copy held."""
    from einvoice.errors import DomainError
    from einvoice.lifecycle.service import ppf_status

    try:
        cdar_event = builder.StatusEvent(
            invoice=invoice_ref(record, invoice),
            request=StatusRequest(code=int(event.code), reason_code=event.reason),
            actor=Actor.SELLER_PLATFORM, set_at=_parse_at(event.at), received_at=_parse_at(event.at))
        item = ppf_status(cdar_event, account_id=record.account_id, invoice_id=record.id,
                          platform=platform(deps.settings))
    except DomainError as exc:
        return {"status": "held", "code": int(event.code),
                "rules": [d.rule or "CDAR" for d in exc.details][:20] or ["CDAR"]}
    except (ValueError, TypeError, AttributeError) as exc:
        return {"status": "held", "code": int(event.code), "rules": [type(exc).__name__]}
    return {"status": "queued", "code": int(event.code), **(deps.get_flux6().enqueue(item) or {})}


def parse_rates(values: Sequence[Any]) -> tuple[tuple[Decimal, Decimal], ...]:
    """``[{"rate", "amount"}]`` of the API -> (rate, amount) pairs (the model already typed them)."""
    out = []
    for value in values:
        try:
            out.append((Decimal(str(value.rate)), Decimal(str(value.amount))))
        except (InvalidOperation, AttributeError):
            raise InvalidInputError("rates must list {rate, amount}", [ErrorDetail(
                "rates must list {rate, amount}", field="rates", rule="LC-212-RATES")]) from None
    return tuple(out)


