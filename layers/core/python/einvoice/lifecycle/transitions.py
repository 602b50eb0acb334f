"""Which status may follow which (XP Z12-014 Annexe B §1.2), and what each status must carry.

``check_transition(history, request, actor, *, vat_on_receipt=False)`` raises a typed error or
returns the catalogue entry:

* ``InvalidInputError`` (422) for a request that is wrong in itself: unknown or reserved code
  (``LC-CODE``), an actor that may not set it (``LC-ACTOR``), a missing or disallowed reason
  (``BR-FR-CDV-15``, ``BR-FR-CDV-CL-09``), an unknown requested action (``BR-FR-CDV-CL-10``), amounts
  (``LC-AMOUNT``, ``LC-212-AMOUNT``, ``LC-212-RATES``);
* ``LifecycleConflictError`` (409) when the current history forbids it: after a terminal status
  (``LC-TERMINAL``: 210, 213, 220, 501), transmission statuses out of their chronological order
  (``LC-TRANSMISSION-ORDER``: 200 -> 201 -> 202 -> 203, each once, none after a processing
  status), 213 after the invoice was received (``LC-213-AFTER-RECEIPT``), a processing status
  before the invoice was deposited or received (``LC-NOT-RECEIVED``), 209 without an outstanding
  208 (``LC-209-AFTER-208``).

Processing statuses are otherwise accepted in any order and may repeat (an invoice may be paid,
then disputed; approved again after a dispute), as the annex requires. ``history`` is the
invoice's timeline on this platform, oldest first: status codes or objects with a ``code``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Sequence

from einvoice.errors import ConflictError, ErrorDetail, InvalidInputError
from einvoice.lifecycle import statuses as st
from einvoice.lifecycle.statuses import Actor


@dataclass(frozen=True)
class ReceivedAmount:
    """One MEN block of a 212: an amount received (VAT included) and its VAT rate."""

    amount: Decimal
    rate: Decimal | None = None


@dataclass(frozen=True)
class StatusRequest:
    code: int
    reason_code: str | None = None
    reason: str | None = None  # free text (MDT-114)
    comment: str | None = None  # note to the other party
    requested_action: str | None = None  # MDT-121
    amount: Decimal | None = None  # 206 approved amount, 211 amount paid, 212 total received
    received: tuple[ReceivedAmount, ...] = ()  # 212: per VAT rate


class LifecycleConflictError(ConflictError):
    """The invoice's current lifecycle forbids the requested status."""

    code = "LifecycleConflict"

    def __init__(self, rule: str, message: str, message_fr: str, *, current: int | None) -> None:
        super().__init__(message, [ErrorDetail(message, field="code", rule=rule, message_fr=message_fr,
                                               extra={"currentStatus": current})])
        self.rule = rule


def _codes(history: Iterable[Any]) -> list[int]:
    return [int(getattr(h, "code", h)) for h in history]


def _invalid(details: list[ErrorDetail]) -> InvalidInputError:
    return InvalidInputError(details[0].message, details)


def check_transition(history: Sequence[Any], request: StatusRequest, actor: Actor, *,
                     vat_on_receipt: bool = False, sender_id: str | None = None) -> st.Status:
    codes = _codes(history)
    status = st.get(request.code)
    if status is None:
        msg = f"status {request.code} is not a lifecycle status this platform sets"
        raise _invalid([ErrorDetail(msg, field="code", rule="LC-CODE",
                                    message_fr=f"le statut {request.code} n'est pas géré par la plateforme",
                                    extra={"allowed": sorted(st.CATALOGUE)})])
    if actor not in status.set_by:
        msg = f"status {status.code} ({status.label_text}) cannot be set by the {actor.value.replace('_', ' ')}"
        raise _invalid([ErrorDetail(msg, field="code", rule="LC-ACTOR",
                                    message_fr=f"le statut {status.code} ne peut pas être posé par cet acteur",
                                    extra={"setBy": sorted(a.value for a in status.set_by)})])
    _check_sequence(codes, status)
    details = _check_content(status, request, vat_on_receipt=vat_on_receipt, sender_id=sender_id)
    if details:
        raise _invalid(details)
    return status


def _check_sequence(codes: list[int], status: st.Status) -> None:
    current = codes[-1] if codes else None
    ended = [c for c in codes if c in st.TERMINAL_CODES]
    if ended:
        raise LifecycleConflictError(
            "LC-TERMINAL", f"the invoice's lifecycle ended with status {ended[0]}: no status may follow",
            f"le cycle de vie de la facture est clos (statut {ended[0]})", current=current)
    processing = [c for c in codes if st.CATALOGUE.get(c) is not None and not st.CATALOGUE[c].transmission]
    transmission = [c for c in codes if c in st.TRANSMISSION_ORDER]
    code = status.code
    if code in st.TRANSMISSION_ORDER:
        rank = st.TRANSMISSION_ORDER.index(code)
        done = max((st.TRANSMISSION_ORDER.index(c) for c in transmission), default=-1)
        if processing or rank <= done:
            raise LifecycleConflictError(
                "LC-TRANSMISSION-ORDER",
                f"status {code} is out of the transmission order 200 -> 201 -> 202 -> 203 (history {codes})",
                f"le statut {code} ne respecte pas l'ordre de transmission 200 -> 201 -> 202 -> 203", current=current)
    elif code == 213:
        if processing or any(c in (202, 203) for c in transmission):
            raise LifecycleConflictError(
                "LC-213-AFTER-RECEIPT", "an invoice already received or processed cannot be rejected (213)",
                "une facture déjà reçue ou traitée ne peut plus être rejetée (213)", current=current)
    elif not status.transmission:
        if not transmission:
            raise LifecycleConflictError(
                "LC-NOT-RECEIVED",
                f"status {code} needs an invoice that was deposited or received (no 200-203 in its history)",
                f"le statut {code} suppose une facture déposée ou reçue", current=current)
        if code == 209:
            last_208 = max((i for i, c in enumerate(codes) if c == 208), default=-1)
            last_209 = max((i for i, c in enumerate(codes) if c == 209), default=-1)
            if last_208 < 0 or last_209 > last_208:
                raise LifecycleConflictError(
                    "LC-209-AFTER-208", "status 209 (completed) only follows a 208 (suspended) not yet completed",
                    "le statut 209 (complétée) ne suit qu'un statut 208 (suspendue) non encore complété",
                    current=current)


def _amount_error(value: Decimal | None, field: str) -> ErrorDetail | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        return ErrorDetail(f"{field} must be a non-negative amount with at most 2 decimals", field=field,
                           rule="LC-AMOUNT", message_fr="montant positif avec au plus 2 décimales attendu")
    return None


def _check_content(status: st.Status, request: StatusRequest, *, vat_on_receipt: bool,
                   sender_id: str | None) -> list[ErrorDetail]:
    details: list[ErrorDetail] = []
    reason = (request.reason_code or "").strip() or None
    if reason is None and status.reason_required:
        details.append(ErrorDetail(
            f"status {status.code} ({status.label_text}) requires a reason code", field="reason",
            rule="BR-FR-CDV-15", message_fr=f"le statut {status.code} exige un motif",
            extra={"allowed": list(st.allowed_reasons(status.code, sender_id=sender_id))}))
    elif reason is not None and reason not in st.allowed_reasons(status.code, sender_id=sender_id):
        details.append(ErrorDetail(
            f"reason {reason!r} is not allowed for status {status.code}", field="reason", rule="BR-FR-CDV-CL-09",
            message_fr=f"le motif {reason!r} n'est pas autorisé pour le statut {status.code}",
            extra={"allowed": list(st.allowed_reasons(status.code, sender_id=sender_id))}))
    if request.requested_action is not None and request.requested_action not in st.ACTIONS:
        details.append(ErrorDetail(
            f"requested action {request.requested_action!r} is not one of {', '.join(st.ACTIONS)}",
            field="requestedAction", rule="BR-FR-CDV-CL-10", message_fr="action demandée inconnue"))
    for field, value in (("amount", request.amount),
                         *((f"received[{i}].amount", r.amount) for i, r in enumerate(request.received))):
        err = _amount_error(value, field)
        if err:
            details.append(err)
    for i, r in enumerate(request.received):
        if r.rate is not None and (not r.rate.is_finite() or r.rate < 0 or r.rate > 100):
            details.append(ErrorDetail("a VAT rate is a percentage between 0 and 100", field=f"received[{i}].rate",
                                       rule="LC-AMOUNT", message_fr="taux de TVA entre 0 et 100 attendu"))
    if status.code == 212:
        total = request.amount if request.amount is not None else (
            sum((r.amount for r in request.received), Decimal(0)) if request.received else None)
        if total is None or total <= 0:
            details.append(ErrorDetail(
                "status 212 (collected) requires the amount received", field="amount", rule="LC-212-AMOUNT",
                message_fr="le statut 212 (encaissée) exige le montant encaissé"))
        elif request.received and request.amount is not None and \
                sum((r.amount for r in request.received), Decimal(0)) != request.amount:
            details.append(ErrorDetail(
                "the amounts received per VAT rate do not add up to the amount", field="received",
                rule="LC-212-AMOUNT", message_fr="la somme des montants par taux diffère du montant encaissé"))
        if vat_on_receipt and (not request.received or any(r.rate is None for r in request.received)):
            details.append(ErrorDetail(
                "VAT is due on receipt: status 212 must give the VAT rate of each amount received",
                field="received", rule="LC-212-RATES",
                message_fr="TVA sur les encaissements : le statut 212 doit donner le taux de TVA de chaque montant"))
    return details


# ------------------------------------------------------------------------------ derived states
def split_by_rate(amount: Decimal, breakdown: Sequence[tuple[Decimal, Decimal]]) -> tuple[ReceivedAmount, ...]:
    """Split an amount received over the invoice's VAT rates, pro rata of each rate's amount VAT included.

    ``breakdown``: (rate, amount VAT included for that rate), e.g. from BG-23. The last share takes
    the rounding remainder, so the shares always add up to ``amount``.
    """
    rows = [(Decimal(rate), Decimal(base)) for rate, base in breakdown if Decimal(base) != 0]
    total = sum((b for _, b in rows), Decimal(0))
    if not rows or total == 0:
        return (ReceivedAmount(amount, None),)
    shares: list[ReceivedAmount] = []
    left = amount
    for i, (rate, base) in enumerate(rows):
        share = left if i == len(rows) - 1 else (amount * base / total).quantize(Decimal("0.01"))
        left -= share
        shares.append(ReceivedAmount(share, rate))
    return tuple(shares)


@dataclass(frozen=True)
class Payability:
    payable: bool
    rule: str | None = None
    message: str | None = None
    message_fr: str | None = None


def payability(history: Sequence[Any]) -> Payability:
    """Whether a received invoice may be paid now: approved (205/206) and not disputed or suspended
    since (207/208 until a new approval), not refused/rejected/cancelled, not already paid (211/212)."""
    approved = False
    paid = False
    for code in _codes(history):
        if code in (210, 213, 220, 501):
            return Payability(False, "PAY-STATUS", f"the invoice's lifecycle ended with status {code}",
                              f"le cycle de vie de la facture est clos (statut {code})")
        if code in (205, 206):
            approved = True
        elif code in (207, 208):
            approved = False
        elif code in (211, 212):
            paid = True
    if paid:
        return Payability(False, "PAY-ALREADY-PAID", "the invoice's payment was already sent (211) or collected (212)",
                          "le paiement de la facture a déjà été transmis ou encaissé")
    if not approved:
        return Payability(False, "PAY-STATUS", "only approved invoices (205, 206) can be paid",
                          "seules les factures approuvées (205, 206) peuvent être payées")
    return Payability(True)
