"""Status catalogue and transition checker (XP Z12-014 Annexe B §1.2, BR-FR-CDV-15 / CL-09)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from einvoice.errors import InvalidInputError
from einvoice.lifecycle import statuses as st
from einvoice.lifecycle.statuses import Actor
from einvoice.lifecycle.transitions import (
    LifecycleConflictError,
    ReceivedAmount,
    StatusRequest,
    check_transition,
    payability,
    split_by_rate,
)

B, S, PE, PR = Actor.BUYER, Actor.SELLER, Actor.SELLER_PLATFORM, Actor.BUYER_PLATFORM
RECEIVED = [200, 201, 202, 203]


def rule_of(exc: pytest.ExceptionInfo) -> list[str]:
    return [d.rule for d in exc.value.details]


def test_catalogue_matches_the_cdar_code_list_and_the_mandatory_sets():
    assert set(st.CATALOGUE) <= st.ACCEPTED_CODES
    assert {c for c, s in st.CATALOGUE.items() if s.ppf == st.PPF_ALWAYS} == {200, 210, 213}
    assert st.CATALOGUE[212].goes_to_ppf(vat_on_receipt=True) and not st.CATALOGUE[212].goes_to_ppf(
        vat_on_receipt=False)
    assert st.TERMINAL_CODES == {210, 213, 220, 501}
    assert st.REASON_REQUIRED == {206, 207, 208, 210, 213, 501}
    assert set(st.BUYER_CODES) == {204, 205, 206, 207, 208, 210, 211}
    assert set(st.SELLER_CODES) == {209, 212, 220}
    assert st.CATALOGUE[204].phase == "23" and st.CATALOGUE[202].phase == "305"
    assert st.CATALOGUE[203].label_text == "Mise à disposition"
    for status in st.CATALOGUE.values():
        assert set(status.reasons or ()) <= set(st.REASONS), status.code


def test_reasons_per_status_follow_br_fr_cdv_cl_09():
    assert st.allowed_reasons(200) == ("NON_TRANSMISE",)
    assert "DOUBLON" in st.allowed_reasons(213) and "TX_TVA_ERR" not in st.allowed_reasons(213)
    assert "AUTRE" not in st.allowed_reasons(210) and "AUTRE" in st.allowed_reasons(210, sender_id="9999")
    assert st.allowed_reasons(221) == ("ROUTAGE_ERR",)
    assert len(st.allowed_reasons(204)) == len(st.REASONS)


@pytest.mark.parametrize("code", [204, 205, 211])
def test_buyer_processing_statuses_after_reception(code):
    assert check_transition(RECEIVED, StatusRequest(code), B).code == code


def test_processing_statuses_in_any_order_and_repeated():
    history = [202, 203, 211, 207]  # paid, then disputed: allowed by the annex
    request = StatusRequest(207, reason_code="QTE_ERR")
    assert check_transition(history, request, B).code == 207
    assert check_transition([*history, 205], StatusRequest(205), B).code == 205


def test_history_accepts_objects_with_a_code():
    class Entry:
        def __init__(self, code):
            self.code = code

    assert check_transition([Entry(202), Entry(203)], StatusRequest(204), B).code == 204


@pytest.mark.parametrize(("history", "code", "actor"), [
    ([], 200, PE), ([200], 201, PE), ([200, 201], 202, PR), ([202], 203, PR), ([], 202, PR),
])
def test_transmission_in_chronological_order(history, code, actor):
    assert check_transition(history, StatusRequest(code), actor).code == code


@pytest.mark.parametrize(("history", "code", "actor"), [
    ([200], 200, PE), ([200, 201], 200, PE), ([202, 203], 202, PR), ([202, 203, 204], 203, PR),
])
def test_transmission_out_of_order_is_a_conflict(history, code, actor):
    with pytest.raises(LifecycleConflictError) as exc:
        check_transition(history, StatusRequest(code), actor)
    assert rule_of(exc) == ["LC-TRANSMISSION-ORDER"]
    assert exc.value.http_status == 409
    assert exc.value.details[0].extra["currentStatus"] == history[-1]


@pytest.mark.parametrize("terminal", [210, 213, 220, 501])
def test_nothing_follows_a_terminal_status(terminal):
    history = [202, 203, terminal] if terminal != 213 else [200, 213]
    with pytest.raises(LifecycleConflictError) as exc:
        check_transition(history, StatusRequest(205), B)
    assert rule_of(exc) == ["LC-TERMINAL"]


def test_rejection_only_before_reception():
    assert check_transition([200, 201], StatusRequest(213, reason_code="DOUBLON"), PR).code == 213
    assert check_transition([], StatusRequest(213, reason_code="REJ_SEMAN"), PE).code == 213
    with pytest.raises(LifecycleConflictError) as exc:
        check_transition([202], StatusRequest(213, reason_code="DOUBLON"), PR)
    assert rule_of(exc) == ["LC-213-AFTER-RECEIPT"]


def test_processing_needs_a_received_invoice():
    with pytest.raises(LifecycleConflictError) as exc:
        check_transition([], StatusRequest(205), B)
    assert rule_of(exc) == ["LC-NOT-RECEIVED"]


def test_209_only_after_an_outstanding_208():
    assert check_transition([202, 208], StatusRequest(209), S).code == 209
    assert check_transition([202, 208, 209, 205, 208], StatusRequest(209), S).code == 209
    for history in ([202, 203], [202, 208, 209]):
        with pytest.raises(LifecycleConflictError) as exc:
            check_transition(history, StatusRequest(209), S)
        assert rule_of(exc) == ["LC-209-AFTER-208"]


@pytest.mark.parametrize(("code", "actor"), [
    (212, B), (205, S), (220, B), (200, B), (202, PE), (204, PR), (209, B),
])
def test_actor_must_be_allowed(code, actor):
    with pytest.raises(InvalidInputError) as exc:
        check_transition(RECEIVED, StatusRequest(code, reason_code="AUTRE"), actor)
    assert rule_of(exc) == ["LC-ACTOR"]
    assert exc.value.http_status == 422


@pytest.mark.parametrize("code", [999, 214, 224, 0])
def test_unknown_or_reserved_codes(code):
    with pytest.raises(InvalidInputError) as exc:
        check_transition(RECEIVED, StatusRequest(code), B)
    assert rule_of(exc) == ["LC-CODE"]


@pytest.mark.parametrize("code", [206, 207, 208, 210])
def test_mandatory_reason(code):
    with pytest.raises(InvalidInputError) as exc:
        check_transition(RECEIVED, StatusRequest(code), B)
    assert rule_of(exc) == ["BR-FR-CDV-15"]
    assert exc.value.details[0].field == "reason"
    assert exc.value.details[0].extra["allowed"]


@pytest.mark.parametrize(("code", "reason"), [(210, "AUTRE"), (208, "DOUBLON"), (206, "TX_TVA_ERR"), (204, "NOPE")])
def test_reason_must_be_allowed_for_the_status(code, reason):
    with pytest.raises(InvalidInputError) as exc:
        check_transition(RECEIVED, StatusRequest(code, reason_code=reason), B)
    assert rule_of(exc) == ["BR-FR-CDV-CL-09"]


def test_b2g_refusal_reasons_when_chorus_pro_sends():
    request = StatusRequest(210, reason_code="AUTRE")
    assert check_transition(RECEIVED, request, B, sender_id="9999").code == 210


def test_requested_action_code_list():
    with pytest.raises(InvalidInputError) as exc:
        check_transition(RECEIVED, StatusRequest(207, reason_code="QTE_ERR", requested_action="XXX"), B)
    assert rule_of(exc) == ["BR-FR-CDV-CL-10"]


def test_212_requires_the_amount_received():
    with pytest.raises(InvalidInputError) as exc:
        check_transition(RECEIVED, StatusRequest(212), S)
    assert rule_of(exc) == ["LC-212-AMOUNT"]
    with pytest.raises(InvalidInputError) as exc:
        check_transition(RECEIVED, StatusRequest(212, amount=Decimal("0")), S)
    assert rule_of(exc) == ["LC-212-AMOUNT"]
    assert check_transition(RECEIVED, StatusRequest(212, amount=Decimal("120.00")), S).code == 212


def test_212_with_vat_on_receipt_requires_rates():
    with pytest.raises(InvalidInputError) as exc:
        check_transition(RECEIVED, StatusRequest(212, amount=Decimal("120")), S, vat_on_receipt=True)
    assert rule_of(exc) == ["LC-212-RATES"]
    ok = StatusRequest(212, received=(ReceivedAmount(Decimal("120"), Decimal("20")),))
    assert check_transition(RECEIVED, ok, S, vat_on_receipt=True).code == 212


def test_212_shares_must_add_up():
    request = StatusRequest(212, amount=Decimal("100"), received=(ReceivedAmount(Decimal("60"), Decimal("20")),
                                                                  ReceivedAmount(Decimal("30"), Decimal("10"))))
    with pytest.raises(InvalidInputError) as exc:
        check_transition(RECEIVED, request, S)
    assert rule_of(exc) == ["LC-212-AMOUNT"]


def test_amount_and_rate_bounds_collected_in_one_error():
    request = StatusRequest(206, reason_code="QTE_ERR", amount=Decimal("-1"))
    with pytest.raises(InvalidInputError) as exc:
        check_transition(RECEIVED, request, B)
    assert rule_of(exc) == ["LC-AMOUNT"]
    request = StatusRequest(212, received=(ReceivedAmount(Decimal("10.001"), Decimal("120")),))
    with pytest.raises(InvalidInputError) as exc:
        check_transition(RECEIVED, request, S)
    assert rule_of(exc) == ["LC-AMOUNT", "LC-AMOUNT"]


def test_split_by_rate_adds_up_exactly():
    shares = split_by_rate(Decimal("100.00"), [(Decimal("20"), Decimal("60")), (Decimal("5.5"), Decimal("30")),
                                               (Decimal("10"), Decimal("0"))])
    assert [s.rate for s in shares] == [Decimal("20"), Decimal("5.5")]
    assert sum(s.amount for s in shares) == Decimal("100.00")
    assert shares[0].amount == Decimal("66.67")
    assert split_by_rate(Decimal("5"), []) == (ReceivedAmount(Decimal("5"), None),)


@pytest.mark.parametrize(("history", "payable", "rule"), [
    ([202, 203, 205], True, None),
    ([202, 206], True, None),
    ([202, 203, 204], False, "PAY-STATUS"),
    ([202, 205, 207], False, "PAY-STATUS"),
    ([202, 205, 207, 205], True, None),
    ([202, 205, 208, 209], False, "PAY-STATUS"),
    ([202, 205, 211], False, "PAY-ALREADY-PAID"),
    ([202, 205, 210], False, "PAY-STATUS"),
])
def test_payability(history, payable, rule):
    result = payability(history)
    assert (result.payable, result.rule) == (payable, rule)
