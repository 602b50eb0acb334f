"""Lifecycle actions on invoice records (fakes): both sides of an internal delivery, a peer platform,
the PPF queue (Flux 6), and the refusals with their rule ids."""

from __future__ import annotations

from decimal import Decimal

import pytest

from einvoice.errors import ConflictError, InvalidInputError
from einvoice.invoicing.records import StatusEvent
from einvoice.lifecycle.actions import StatusAction, send_queued, set_status
from einvoice.transmission.adapters import CompanyOptions
from tests.unit.reception.reception_testing import make_reception_world
from tests.unit.transmission.transmission_testing import (
    ACCOUNT,
    BUYER_ACCOUNT,
    BUYER_SIREN,
    PEER,
    THIS,
    line,
)


@pytest.fixture(scope="module")
def seal_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("seal"))


@pytest.fixture
def world(seal_dir):
    return make_reception_world(seal_dir, schedule="60,300")


def _internal(world):
    """An invoice issued by ACCOUNT and delivered internally to BUYER_ACCOUNT: (sent id, received id)."""
    world.directory.add(line(THIS))
    world.companies.add(BUYER_ACCOUNT, CompanyOptions("co_buyer", BUYER_SIREN, "Acheteur", False, True, False, True))
    out = world.issue()
    world.run_started()
    world.run_receptions()  # the buyer side: the reception's workflow (202, 203)
    (received,), _ = world.repo.list(BUYER_ACCOUNT, direction="received")
    return out["id"], received.id


def _set(world, account, invoice_id, code, **kw):
    return set_status(account, invoice_id, StatusAction(code, **kw), deps=world.deps)


def _timeline(world, account, invoice_id):
    return world.repo.get(account, invoice_id).status_history


def test_both_timelines_hold_the_same_events_through_dispute_approval_payment_and_collection(world):
    sent, received = _internal(world)
    world.clock.advance(hours=1)
    _set(world, BUYER_ACCOUNT, received, 207, reason="TX_TVA_ERR", comment="Taux de 10 % attendu")
    world.clock.advance(hours=1)
    _set(world, BUYER_ACCOUNT, received, 205)
    world.clock.advance(hours=1)
    _set(world, BUYER_ACCOUNT, received, 211, amount=Decimal("1200.00"))
    world.clock.advance(hours=1)
    after = _set(world, ACCOUNT, sent, 212, amount=Decimal("1200.00"))

    buyer, seller = _timeline(world, BUYER_ACCOUNT, received), _timeline(world, ACCOUNT, sent)
    assert [s.code for s in buyer] == ["202", "203", "207", "205", "211", "212"]
    assert [s.code for s in seller] == ["200", "201", "202", "203", "207", "205", "211", "212"]
    assert seller[2:] == buyer  # same events: code, time, id, actor, reason, amounts
    dispute = buyer[2]
    assert (dispute.reason, dispute.actor, dispute.comment, dispute.id) == (
        "TX_TVA_ERR", "buyer", "Taux de 10 % attendu", "207-3")
    collected = after.status_history[-1]
    assert collected.actor == "seller" and collected.amount == "1200.00"
    # no VAT on receipt (BT-8 = 3): the amount is spread over the invoice's VAT breakdown (BR-FR-CDV-14)
    assert sum(Decimal(r["amount"]) for r in collected.received) == Decimal("1200.00")
    assert all("rate" in r for r in collected.received)
    # each change was published once, on each side
    published = [(e["detail"]["accountId"], e["detail"]["status"]["code"]) for e in world.events.events]
    for code in ("207", "205", "211", "212"):
        assert published.count((ACCOUNT, code)) == 1 and published.count((BUYER_ACCOUNT, code)) == 1
    # mandatory statuses only in the PPF queue: the transmission's 200 (212 is not: no VAT on receipt)
    assert [(i.status, i.number) for i in world.deps.flux6.items] == [(200, "F2026-0001")]


def test_a_refusal_is_terminal_and_queued_for_the_ppf(world):
    sent, received = _internal(world)
    _set(world, BUYER_ACCOUNT, received, 210, reason="DOUBLON")
    assert [i.status for i in world.deps.flux6.items] == [200, 210]
    assert world.repo.get(BUYER_ACCOUNT, received).flux6["210-3"]["status"] == "queued"
    with pytest.raises(ConflictError) as err:
        _set(world, BUYER_ACCOUNT, received, 205)
    assert err.value.details[0].rule == "LC-TERMINAL"
    with pytest.raises(ConflictError):
        _set(world, ACCOUNT, sent, 212, amount=Decimal("1200.00"))


def test_212_with_vat_on_receipt_needs_its_rates_and_goes_to_the_ppf(world):
    from tests.unit.invoicing.model_samples import sample_body

    body = sample_body()
    body["vatDueDateCode"] = "432"
    world.directory.add(line(THIS))
    world.companies.add(BUYER_ACCOUNT, CompanyOptions("co_buyer", BUYER_SIREN, "Acheteur", False, True, False))
    sent = world.issue(body)["id"]
    world.run_started()
    world.run_receptions()  # the buyer side: the reception's workflow (202, 203)
    with pytest.raises(InvalidInputError) as err:
        _set(world, ACCOUNT, sent, 212, amount=Decimal("1200.00"))
    assert {d.rule for d in err.value.details} == {"LC-212-RATES"}
    _set(world, ACCOUNT, sent, 212, amount=Decimal("1200.00"), rates=((Decimal("20"), Decimal("1200.00")),))
    assert [i.status for i in world.deps.flux6.items] == [200, 212]


@pytest.mark.parametrize(("account_is_buyer", "code", "kw", "error", "rule"), [
    (True, 207, {}, InvalidInputError, "BR-FR-CDV-15"),  # reason required
    (True, 207, {"reason": "DOUBLON_X"}, InvalidInputError, "BR-FR-CDV-CL-09"),
    (True, 212, {"amount": Decimal("1")}, InvalidInputError, "LC-ACTOR"),  # the buyer cannot collect
    (False, 205, {}, InvalidInputError, "LC-ACTOR"),  # the seller cannot approve
    (False, 209, {}, ConflictError, "LC-209-AFTER-208"),  # no outstanding 208
    (True, 202, {}, InvalidInputError, "LC-ACTOR"),  # platforms set transmission statuses
    (True, 299, {}, InvalidInputError, "LC-CODE"),
])
def test_refused_actions_name_their_rule_and_change_nothing(world, account_is_buyer, code, kw, error, rule):
    sent, received = _internal(world)
    account, invoice_id = (BUYER_ACCOUNT, received) if account_is_buyer else (ACCOUNT, sent)
    before = _timeline(world, account, invoice_id)
    with pytest.raises(error) as err:
        _set(world, account, invoice_id, code, **kw)
    assert rule in {d.rule for d in err.value.details}
    assert _timeline(world, account, invoice_id) == before and len(world.deps.flux6.items) == 1


def test_a_concurrent_change_is_a_409_and_the_ppf_copy_is_withdrawn(world):
    sent, received = _internal(world)
    record = world.repo.get(BUYER_ACCOUNT, received)
    # another request records a status between the read and the write
    from einvoice.invoicing.records import RecordUpdate

    world.repo.apply(BUYER_ACCOUNT, received, RecordUpdate(status=StatusEvent("204", "2026-12-02T09:00:00.000Z", THIS,
                                                                              id="204-3")))
    with pytest.raises(ConflictError) as err:
        set_status(BUYER_ACCOUNT, received, StatusAction(210, reason="DOUBLON"), deps=world.deps, record=record)
    assert err.value.details[0].rule == "LC-CONCURRENT"
    assert [i.status for i in world.deps.flux6.items] == [200]
    assert [s.code for s in _timeline(world, BUYER_ACCOUNT, received)] == ["202", "203", "204"]


def test_the_same_event_id_is_recorded_once(world):
    sent, received = _internal(world)
    for _ in range(2):
        set_status(BUYER_ACCOUNT, received, StatusAction(205), deps=world.deps, event_id="205-pay1")
    assert [s.code for s in _timeline(world, BUYER_ACCOUNT, received)] == ["202", "203", "205"]
    assert [s.code for s in _timeline(world, ACCOUNT, sent)] == ["200", "201", "202", "203", "205"]


def test_a_status_for_an_invoice_of_another_platform_goes_through_the_flow_api_with_retries(world):
    import json

    world.directory.add(line(PEER))
    sent = world.issue()["id"]
    world.run_started()
    world.run_receptions()  # the buyer side: the reception's workflow (202, 203)
    world.deps.flow_client.received.clear()
    world.deps.flow_client.script[PEER] = ["down", "ok"]
    _set(world, ACCOUNT, sent, 212, amount=Decimal("1200.00"))
    queue = world.deps.status_queue.messages
    (message, delay), = queue
    assert delay == 0 and message["eventId"] == "S#212-3"
    queue.clear()
    assert send_queued(json.loads(json.dumps(message)), world.deps) == "status_deferred"
    (again, delay), = queue
    assert again["attempt"] == 2 and delay == 60
    assert send_queued(again, world.deps) == "status_sent"
    (flow,) = world.deps.flow_client.received
    assert flow["flowSyntax"] == "CDAR" and flow["flowType"] == "CustomerInvoiceLC"
    assert flow["name"] == "F2026-0001-CDV-212.xml"
    outcomes = [a.outcome for a in world.repo.get(ACCOUNT, sent).attempts]
    assert outcomes[-2:] == ["status_deferred", "status_sent"]


def test_a_peer_down_for_good_ends_in_a_failed_attempt(world):
    world.directory.add(line(PEER))
    sent = world.issue()["id"]
    world.run_started()
    world.run_receptions()  # the buyer side: the reception's workflow (202, 203)
    world.deps.flow_client.default = "down"
    _set(world, ACCOUNT, sent, 220)
    queue = world.deps.status_queue.messages
    outcomes = []
    while queue:
        message, _delay = queue.pop(0)
        outcomes.append(send_queued(message, world.deps))
    assert outcomes == ["status_deferred", "status_deferred", "status_failed"]


def test_the_cdar_sent_to_a_peer_is_the_one_validated(world):
    from einvoice.lifecycle import cdar_xml
    from einvoice.lifecycle.actions import _cdar_for

    world.directory.add(line(PEER))
    sent = world.issue()["id"]
    world.run_started()
    world.run_receptions()  # the buyer side: the reception's workflow (202, 203)
    record = _set(world, ACCOUNT, sent, 212, amount=Decimal("1200.00"))
    message = cdar_xml.parse(_cdar_for(world.deps, record, record.status_history[-1]))
    assert message.status == 212 and message.document.invoice_id == "F2026-0001"
    assert {r.role for r in message.recipients} == {"BY", "DFH"}  # the buyer; the PPF listed as in the examples


def test_the_transmissions_200_and_213_are_queued_for_the_ppf(world):
    world.directory.add(line(PEER))
    sent = world.issue()["id"]
    world.run_started()
    world.run_receptions()  # the buyer side: the reception's workflow (202, 203)
    (item,) = world.deps.flux6.items
    assert item.status == 200 and b"einvoicingF2" in item.xml
    assert world.repo.get(ACCOUNT, sent).flux6["200"]["status"] == "queued"


def test_a_buyer_action_before_the_reception_answered_keeps_both_timelines_in_the_same_order(world):
    """The buyer acts on its 203 while the reception's Answer (202/203 onto the issuer's record) has not run."""
    import copy

    from einvoice.reception import service as reception

    world.directory.add(line(THIS))
    world.companies.add(BUYER_ACCOUNT, CompanyOptions("co_buyer", BUYER_SIREN, "Acheteur", False, True, False, True))
    sent = world.issue()["id"]
    world.run_started()
    envelope = copy.deepcopy(world.receptions.started.pop(0)["payload"])
    received = reception.receive({**envelope, "step": "receive"}, world.rdeps)
    (target,) = received["invoices"]
    assert [s.code for s in _timeline(world, ACCOUNT, sent)] == ["200", "201"]  # Answer still to come
    _set(world, BUYER_ACCOUNT, target["invoiceId"], 207, reason="TX_TVA_ERR")
    answered = reception.answer({"step": "answer", "receptionId": envelope["receptionId"],
                                 "source": envelope["source"], "received": received}, world.rdeps)
    assert answered == {"answered": 0}  # 202 and 203 were already there, in order
    buyer, seller = _timeline(world, BUYER_ACCOUNT, target["invoiceId"]), _timeline(world, ACCOUNT, sent)
    assert [s.code for s in seller] == ["200", "201", "202", "203", "207"] and seller[2:] == buyer
