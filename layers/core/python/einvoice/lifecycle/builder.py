"""From a status set on an invoice to its CDAR messages: the PA<->PA copy and the PPF copy.

Layout copied from the XP Z12-014 Annexe B examples (UC1-UC5):

* PA<->PA copy (guideline ``urn.cpro.gouv.fr:1p0:CDV:invoice``, MDT-2 ``REGULATED``): the platforms
  stay anonymous (sender role WK without id; issuer WK for transmission statuses, else the company
  that set the status, BY or SE, with its SIREN). Recipients: the seller (SE) for the buyer's
  statuses, the buyer (BY) for the seller's, both for the receiving platform's, the seller for the
  issuing platform's; each with its electronic address (BR-FR-CDV-08). The PPF (DFH) is listed too
  when the status is one it must receive, as in the examples.
* PPF copy (guideline ``urn.cpro.gouv.fr:1p0:CDV:einvoicingF2``, no MDT-2): the sending platform
  named (0238 id, name, WK), one recipient, the PPF ``0000``/0238/DFH (BR-FR-CDV-02; the v1.3
  examples still say 9998), MDT-97 = the guideline.

Every SpecifiedDocumentStatus carries SequenceNumeric (BR-FR-CDV-16; the v1.3 examples of 211/212
omit it). A 212 carries one MEN block per VAT rate with amount and rate (BR-FR-CDV-14): give the
shares (``transitions.split_by_rate`` spreads an amount over the invoice's VAT breakdown).
Date-times: aware values are written in French local time (format 204 carries no zone).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from decimal import Decimal

from einvoice.errors import ErrorDetail, InvalidInputError
from einvoice.lifecycle import statuses as st
from einvoice.lifecycle.cdar import (
    Acknowledgement,
    CdarMessage,
    Characteristic,
    DocumentStatus,
    Identifier,
    Note,
    Party,
    ReferencedDocument,
)
from einvoice.lifecycle.statuses import Actor
from einvoice.lifecycle.transitions import ReceivedAmount, StatusRequest

SIREN_SCHEME = "0002"
ADDRESS_SCHEME = "0225"
BUSINESS_PROCESS = "REGULATED"
NOTE_SUBJECT = "AHN"  # as in the official examples (UC2 213)
LOCAL_ZONE = "Europe/Paris"


@dataclass(frozen=True)
class Company:
    siren: str
    name: str
    address: str | None = None  # electronic address for statuses (scheme 0225), e.g. BT-34 / BT-49


@dataclass(frozen=True)
class InvoiceRef:
    number: str  # BT-1
    issue_date: _dt.date  # BT-2
    seller: Company
    buyer: Company
    type_code: str = "380"  # BT-3


@dataclass(frozen=True)
class Platform:
    id: str  # 4-character matricule, scheme 0238
    name: str


@dataclass(frozen=True)
class StatusEvent:
    invoice: InvoiceRef
    request: StatusRequest
    actor: Actor
    set_at: _dt.datetime  # MDT-78
    received_at: _dt.datetime  # MDT-95: when the status setter's side received (or deposited) the invoice
    created_at: _dt.datetime | None = None  # MDT-8 (default: set_at)
    currency: str = "EUR"
    payment_date: _dt.date | None = None  # 211: value date of the payment (MPA)
    name: str | None = None  # MDT-5


def local(value: _dt.datetime) -> _dt.datetime:
    """French local wall-clock time of an aware datetime (naive values are taken as already local)."""
    if value.tzinfo is None:
        return value
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(LOCAL_ZONE)).replace(tzinfo=None)


def _company(c: Company, role: str, *, with_address: bool) -> Party:
    uri = Identifier(c.address, ADDRESS_SCHEME) if with_address and c.address else None
    return Party(role=role, global_ids=(Identifier(c.siren, SIREN_SCHEME),), name=c.name, uri=uri)


def _ppf() -> Party:
    return Party(role=st.PPF_ROLE, global_ids=(Identifier(st.PPF_ID, st.PLATFORM_SCHEME),), name="PPF")


def _missing_address(event: StatusEvent, who: str) -> InvalidInputError:
    msg = f"the {who}'s electronic address is needed to address status {event.request.code}"
    return InvalidInputError(msg, [ErrorDetail(msg, field=f"{who}.address", rule="BR-FR-CDV-08",
                                               message_fr="adresse électronique du destinataire du statut manquante")])


def _peer_recipients(event: StatusEvent, status: st.Status) -> tuple[Party, ...]:
    inv = event.invoice
    wanted = {
        Actor.BUYER: ("seller",),
        Actor.SELLER: ("buyer",),
        Actor.BUYER_PLATFORM: ("seller", "buyer"),
        Actor.SELLER_PLATFORM: ("seller",),
    }[event.actor]
    parties = []
    for who in wanted:
        company = inv.seller if who == "seller" else inv.buyer
        if not company.address:
            raise _missing_address(event, who)
        parties.append(_company(company, "SE" if who == "seller" else "BY", with_address=True))
    if status.ppf != st.PPF_NEVER:
        parties.append(_ppf())
    return tuple(parties)


def _characteristics(event: StatusEvent) -> tuple[Characteristic, ...]:
    req = event.request
    if req.code == 212:
        shares = req.received or (ReceivedAmount(req.amount or Decimal(0), None),)
        out = []
        for share in shares:
            if share.rate is None:
                msg = "status 212 must give the VAT rate of each amount received (BR-FR-CDV-14)"
                raise InvalidInputError(msg, [ErrorDetail(msg, field="received", rule="BR-FR-CDV-14",
                                                          message_fr="taux de TVA du montant encaissé manquant")])
            out.append(Characteristic("MEN", value_changed=False, amount=share.amount, currency=event.currency,
                                      percent=share.rate))
        return tuple(out)
    if req.amount is not None and req.code == 211:
        return (Characteristic("MPA", value_changed=False, amount=req.amount, currency=event.currency,
                               value_date=event.payment_date),)
    if req.amount is not None and req.code == 206:
        return (Characteristic("MAP", value_changed=False, amount=req.amount, currency=event.currency),)
    return ()


def _document_status(event: StatusEvent) -> tuple[DocumentStatus, ...]:
    req = event.request
    characteristics = _characteristics(event)
    notes = (Note(req.comment, NOTE_SUBJECT),) if req.comment else ()
    if not (req.reason_code or req.requested_action or notes or characteristics):
        return ()
    reason = req.reason or (st.REASONS.get(req.reason_code) if req.reason_code else None)
    return (DocumentStatus(reason_code=req.reason_code, reason=reason, requested_action_code=req.requested_action,
                           sequence=1, notes=notes, characteristics=characteristics),)


def _message(event: StatusEvent, *, ppf: Platform | None) -> CdarMessage:
    status = st.CATALOGUE.get(event.request.code)
    if status is None:
        raise ValueError(f"unknown status {event.request.code}")
    inv = event.invoice
    set_at = local(event.set_at)
    if status.transmission:
        issuer = Party(role=st.PLATFORM_ROLE)
    elif event.actor in (Actor.BUYER, Actor.SELLER):
        who = inv.buyer if event.actor == Actor.BUYER else inv.seller
        issuer = _company(who, "BY" if event.actor == Actor.BUYER else "SE", with_address=False)
    else:
        raise ValueError(f"a processing status is set by the buyer or the seller, not the {event.actor.value}")
    if ppf is None:
        sender = Party(role=st.PLATFORM_ROLE)
        recipients = _peer_recipients(event, status)
        guideline, business_process, reference_type = st.GUIDELINE_PEER, BUSINESS_PROCESS, None
        message_id = f"{inv.number}_{status.code}_{set_at:%Y%m%d%H%M%S}#{inv.type_code}_{inv.issue_date:%Y%m%d}"
    else:
        sender = Party(role=st.PLATFORM_ROLE, global_ids=(Identifier(ppf.id, st.PLATFORM_SCHEME),), name=ppf.name)
        if status.transmission:
            issuer = sender
        recipients = (_ppf(),)
        guideline, business_process, reference_type = st.GUIDELINE_PPF, None, st.GUIDELINE_PPF
        message_id = f"{ppf.id}_{inv.number}_{status.code}_{set_at:%Y%m%d%H%M%S}"
    document = ReferencedDocument(
        invoice_id=inv.number,
        process_condition_code=str(status.code),
        process_condition=status.label,
        status_code=status.un_status,
        type_code=inv.type_code,
        receipt_datetime=local(event.received_at),
        reference_type_code=reference_type,
        issue_date=inv.issue_date,
        issuer=Party(global_ids=(Identifier(inv.seller.siren, SIREN_SCHEME),)),
        statuses=_document_status(event),
    )
    return CdarMessage(
        guideline=guideline,
        business_process=business_process,
        id=message_id,
        name=event.name or f"{inv.number}-CDV-{status.code}_{status.label}",
        issue_datetime=local(event.created_at or event.set_at),
        sender=sender,
        issuer=issuer,
        recipients=recipients,
        acknowledgements=(Acknowledgement(type_code=status.phase, issue_datetime=set_at, documents=(document,),
                                          multiple_references=False),),
    )


def peer_copy(event: StatusEvent) -> CdarMessage:
    """The message sent to the other platform (anonymous platforms)."""
    return _message(event, ppf=None)


def ppf_copy(event: StatusEvent, platform: Platform) -> CdarMessage:
    """The message for the PPF (Flux 6) sent by ``platform`` (this platform)."""
    return _message(event, ppf=platform)
