"""Issuing a status: transition check, validated PA<->PA copy, PPF copy queued for mandatory statuses."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from lifecycle_fixtures import THIS_PLATFORM, event

from einvoice.errors import InvalidInputError, UpstreamUnavailableError
from einvoice.lifecycle import builder, cdar_xml, service
from einvoice.lifecycle.memory import MemoryPpfQueue
from einvoice.lifecycle.transitions import LifecycleConflictError, ReceivedAmount, StatusRequest

RECEIVED = [202, 203]


def issue(history, ev, queue, **kw):
    return service.issue_status(history, ev, account_id="acc-1", invoice_id="inv-1", platform=THIS_PLATFORM,
                                ppf_queue=queue, **kw)


def test_processing_status_is_sent_to_the_peer_only():
    queue = MemoryPpfQueue()
    issued = issue(RECEIVED, event(205), queue)
    assert issued.status.code == 205 and issued.ppf_xml is None and queue.items == []
    assert cdar_xml.parse(issued.xml) == issued.message


def test_refusal_is_queued_for_the_ppf():
    queue = MemoryPpfQueue()
    issued = issue(RECEIVED, event(210), queue)
    [item] = queue.items
    assert (item.account_id, item.invoice_id, item.status) == ("acc-1", "inv-1", 210)
    assert item.xml == issued.ppf_xml
    ppf = cdar_xml.parse(item.xml)
    assert ppf.guideline == "urn.cpro.gouv.fr:1p0:CDV:einvoicingF2" and ppf.id == item.message_id


def test_212_goes_to_the_ppf_only_when_vat_is_due_on_receipt():
    queue = MemoryPpfQueue()
    issue(RECEIVED, event(212), queue, vat_on_receipt=False)
    assert queue.items == []
    issue(RECEIVED, event(212), queue, vat_on_receipt=True)
    assert [i.status for i in queue.items] == [212]


def test_the_transition_is_checked_first():
    queue = MemoryPpfQueue()
    with pytest.raises(LifecycleConflictError):
        issue([202, 210], event(205), queue)
    with pytest.raises(InvalidInputError) as exc:
        issue(RECEIVED, event(212, request=StatusRequest(212, amount=Decimal("10"))), queue, vat_on_receipt=True)
    assert exc.value.details[0].rule == "LC-212-RATES"


def test_a_message_that_breaks_a_rule_never_leaves(monkeypatch):
    original = builder.peer_copy

    def broken(ev):
        message = original(ev)
        return dataclasses.replace(message, business_process="B2G")

    monkeypatch.setattr(builder, "peer_copy", broken)
    with pytest.raises(service.LifecycleMessageInvalidError) as exc:
        issue(RECEIVED, event(205), MemoryPpfQueue())
    assert exc.value.http_status == 422 and exc.value.details[0].rule == "BR-FR-CDV-CL-01_MDT-2"


def test_validation_that_cannot_run_fails_closed(monkeypatch):
    from einvoice.validation import engine

    def no_layers(schema, sheets, root, run, policy="fatal"):
        engine._engine_error(run, "br-fr-cdv", "saxon unavailable")
        return run

    monkeypatch.setattr(engine, "run_layers", no_layers)
    queue = MemoryPpfQueue()
    with pytest.raises(UpstreamUnavailableError):
        issue(RECEIVED, event(210), queue)
    assert queue.items == []


def test_read_status_parses_and_validates():
    xml = cdar_xml.to_xml(builder.peer_copy(event(212, request=StatusRequest(
        212, received=(ReceivedAmount(Decimal("12"), Decimal("20")),)))))
    assert service.read_status(xml).status == 212
    bad = xml.replace(b"<ram:TypeCode>MEN</ram:TypeCode>", b"<ram:TypeCode>ZZZ</ram:TypeCode>")
    with pytest.raises(service.LifecycleMessageInvalidError) as exc:
        service.read_status(bad)
    assert {d.rule for d in exc.value.details} >= {"BR-FR-CDV-CL-11_MDT-207", "BR-FR-CDV-14_MDT-207"}
