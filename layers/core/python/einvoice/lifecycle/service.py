"""Lifecycle use cases that do not need the invoice records: turn a status into validated messages,
and read a status message received from another platform.

``issue_status`` checks the transition against the invoice's history, builds the PA<->PA copy and,
for a mandatory status, the PPF copy, validates each (XSD + BR-FR-CDV) and queues the PPF copy. A
message that is not valid never leaves: ``LifecycleMessageInvalidError`` (422, the rule ids as
details); a validation layer that could not run gives ``UpstreamUnavailableError`` (503, fail closed).
``read_status`` parses and validates an incoming CDAR the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from einvoice.errors import ErrorDetail, InvalidInputError, UpstreamUnavailableError
from einvoice.lifecycle import builder, cdar_validation, cdar_xml
from einvoice.lifecycle import statuses as st
from einvoice.lifecycle.cdar import CdarMessage
from einvoice.lifecycle.ports import PpfItem, PpfQueue
from einvoice.lifecycle.transitions import check_transition


class LifecycleMessageInvalidError(InvalidInputError):
    code = "LifecycleMessageInvalid"


@dataclass(frozen=True)
class IssuedStatus:
    status: st.Status
    message: CdarMessage
    xml: bytes  # the PA<->PA copy, validated
    ppf_xml: bytes | None  # the PPF copy when the status is mandatory, validated and queued
    ppf_item: PpfItem | None = None


def _checked(xml: bytes, what: str) -> bytes:
    report = cdar_validation.validate(xml)
    if report.verdict == "error":
        msg = f"the {what} could not be validated now; nothing was sent"
        raise UpstreamUnavailableError(msg, [ErrorDetail(msg, rule="EINV-VAL-ENGINE",
                                                         message_fr="validation indisponible ; rien n'a été envoyé")])
    if report.verdict != "valid":
        fatal = [f for f in report.findings if f.severity == "fatal"]
        raise LifecycleMessageInvalidError(
            f"the {what} breaks {len(fatal)} rule(s)",
            [ErrorDetail(f.message, field=f.location, rule=f.rule_id) for f in fatal])
    return xml


def issue_status(history: Sequence[Any], event: builder.StatusEvent, *, account_id: str, invoice_id: str,
                 platform: builder.Platform, ppf_queue: PpfQueue | None, vat_on_receipt: bool = False,
                 event_id: str | None = None) -> IssuedStatus:
    status = check_transition(history, event.request, event.actor, vat_on_receipt=vat_on_receipt)
    message = builder.peer_copy(event)
    xml = _checked(cdar_xml.to_xml(message), "status message")
    ppf_xml = ppf_item = None
    if status.goes_to_ppf(vat_on_receipt=vat_on_receipt):
        ppf_item = ppf_status(event, account_id=account_id, invoice_id=invoice_id, platform=platform,
                              event_id=event_id)
        ppf_xml = ppf_item.xml
        if ppf_queue is not None:
            ppf_queue.enqueue(ppf_item)
    return IssuedStatus(status, message, xml, ppf_xml, ppf_item)


def ppf_status(event: builder.StatusEvent, *, account_id: str, invoice_id: str, platform: builder.Platform,
               event_id: str | None = None) -> PpfItem:
    """The validated PPF copy (Flux 6) of a status, ready for the queue (no transition check: the caller
    records a status of its own platform, e.g. the transmission's 200 and 213)."""
    message = builder.ppf_copy(event, platform)
    xml = _checked(cdar_xml.to_xml(message), "status message for the PPF")
    return PpfItem(account_id, invoice_id, int(event.request.code), message.id or "", xml,
                   number=event.invoice.number, event_id=event_id)


def read_status(data: bytes) -> CdarMessage:
    """An incoming status message: hardened parse, XSD + BR-FR-CDV; typed errors otherwise."""
    message = cdar_xml.parse(data)
    _checked(data, "received status message")
    return message
