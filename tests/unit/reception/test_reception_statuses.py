"""Statuses from the other platform (CDAR through POST /v1/flows) onto the timelines; internal delivery."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from einvoice.errors import NotFoundError
from einvoice.flows.errors import FlowRefusedError
from einvoice.lifecycle import builder, cdar_xml
from einvoice.lifecycle.statuses import Actor
from einvoice.lifecycle.transitions import LifecycleConflictError, ReceivedAmount, StatusRequest
from einvoice.reception.statuses import record_incoming_status
from tests.unit.reception.reception_testing import (
    BUYER_ACCOUNT,
    BUYER_SIREN,
    OTHER_PEER_CLIENT,
    PEER,
    SELLER_SIREN,
    THIS,
    add_buyer,
)
from tests.unit.transmission.transmission_testing import ACCOUNT, line

SELLER = builder.Company(SELLER_SIREN, "Vendeur SAS", SELLER_SIREN)
BUYER = builder.Company(BUYER_SIREN, "Acheteur SARL", BUYER_SIREN)
REF = builder.InvoiceRef("F2026-0001", date(2026, 9, 15), SELLER, BUYER)


def cdar(code: int, actor: Actor, *, reason: str | None = None, minute: int = 0, **kw) -> bytes:
    at = datetime(2026, 12, 2, 10, minute, tzinfo=timezone.utc)
    event = builder.StatusEvent(REF, StatusRequest(code, reason_code=reason, **kw), actor, at, at)
    return cdar_xml.to_xml(builder.peer_copy(event))


def _sent(rworld):
    rworld.directory.add(line(PEER))
    out = rworld.issue()
    rworld.run_started()
    return out["id"]


def test_the_buyer_platforms_statuses_land_on_our_sent_invoice(rworld):
    invoice_id = _sent(rworld)
    for code, actor in ((202, Actor.BUYER_PLATFORM), (203, Actor.BUYER_PLATFORM), (204, Actor.BUYER)):
        flow = rworld.submit(cdar(code, actor, minute=code - 200), syntax="CDAR", tracking_id=f"S-{code}")
        assert flow.acknowledgement.status.value == "Ok" and flow.flow_type.value == "SupplierInvoiceLC"
    rec = rworld.record(invoice_id)
    assert [(s.code, s.source) for s in rec.status_history] == [
        ("200", THIS), ("201", THIS), ("202", PEER), ("203", PEER), ("204", PEER)]
    events = [e["detail"]["status"]["code"] for e in rworld.events.events if e["detail"]["invoiceId"] == invoice_id]
    assert events[-3:] == ["202", "203", "204"]
    # the same message again (a retried flow) changes nothing
    assert record_incoming_status(cdar(204, Actor.BUYER, minute=4), from_platform=PEER,
                                  deps=rworld.rdeps)["invoices"][0]["applied"] is False


def test_a_dispute_carries_its_reason_and_a_payment_its_amount(rworld):
    invoice_id = _sent(rworld)
    rworld.submit(cdar(207, Actor.BUYER, reason="PU_ERR", comment="prix unitaire faux"), syntax="CDAR",
                  tracking_id="S-207")
    rworld.submit(cdar(211, Actor.BUYER, amount=Decimal("100.00"), minute=5), syntax="CDAR", tracking_id="S-211")
    history = rworld.record(invoice_id).status_history
    assert (history[-2].code, history[-2].reason) == ("207", "PU_ERR") and "prix unitaire faux" in history[-2].message
    assert history[-1].code == "211" and "MPA 100.00 EUR" in history[-1].message


def test_statuses_out_of_sequence_or_for_unknown_invoices_are_refused(rworld):
    _sent(rworld)
    rworld.submit(cdar(210, Actor.BUYER, reason="DOUBLON"), syntax="CDAR", tracking_id="S-210")
    with pytest.raises(FlowRefusedError) as err:  # 210 ended the life cycle
        rworld.submit(cdar(205, Actor.BUYER, minute=9), syntax="CDAR", tracking_id="S-205")
    assert err.value.code == "InvoiceLCInvalidStatus" and err.value.flow_id
    assert rworld.flows.get(err.value.flow_id).ack_status == "Error"
    with pytest.raises(LifecycleConflictError):
        record_incoming_status(cdar(205, Actor.BUYER, minute=9), from_platform=PEER, deps=rworld.rdeps)
    # another platform cannot reach the invoice exchanged with PEER
    with pytest.raises(NotFoundError):
        record_incoming_status(cdar(204, Actor.BUYER), from_platform=OTHER_PEER_CLIENT.platform_id, deps=rworld.rdeps)
    with pytest.raises(FlowRefusedError) as err:
        rworld.submit(cdar(204, Actor.BUYER), syntax="CDAR", tracking_id="S-x", client=OTHER_PEER_CLIENT)
    assert err.value.code == "InvoiceLCStatusError"


def test_a_broken_status_message_is_invalid_schema_and_an_unknown_status_a_status_error(rworld):
    _sent(rworld)
    broken = cdar(204, Actor.BUYER).replace(b"<ram:ProcessConditionCode>",
                                            b"<ram:Bogus>x</ram:Bogus><ram:ProcessConditionCode>")
    with pytest.raises(FlowRefusedError) as err:
        rworld.submit(broken, syntax="CDAR", tracking_id="S-b")
    assert err.value.code == "InvalidSchema"
    unknown = cdar(204, Actor.BUYER).replace(b"<ram:ProcessConditionCode>204", b"<ram:ProcessConditionCode>2x4")
    with pytest.raises(FlowRefusedError) as err:
        rworld.submit(unknown, syntax="CDAR", tracking_id="S-u")
    assert err.value.code == "InvoiceLCStatusError"


def test_the_sellers_collection_lands_on_the_invoice_we_received(rworld):
    add_buyer(rworld)
    from tests.unit.reception.reception_testing import invoice_document

    rworld.submit(invoice_document("cii"))
    rworld.run_receptions()
    (received,) = rworld.received()
    rworld.submit(cdar(212, Actor.SELLER, received=(ReceivedAmount(Decimal("120.00"), Decimal("20")),), minute=30),
                  syntax="CDAR", tracking_id="S-212")
    rec = rworld.repo.get(BUYER_ACCOUNT, received.id)
    assert [s.code for s in rec.status_history] == ["202", "203", "212"] and rec.status_history[-1].source == PEER


def test_internal_delivery_goes_through_the_reception_and_both_sides_see_202_203(rworld):
    from einvoice.transmission.adapters import CompanyOptions

    rworld.directory.add(line(THIS))
    rworld.companies.add(BUYER_ACCOUNT, CompanyOptions("co_buyer", BUYER_SIREN, "Acheteur", False, True, False))
    out = rworld.issue()
    rworld.run_started()
    (run,) = rworld.run_receptions()
    assert run["answered"] == {"answered": 2}
    seller = rworld.record(out["id"])
    assert [(s.code, s.source) for s in seller.status_history] == [
        ("200", THIS), ("201", THIS), ("202", THIS), ("203", THIS)]
    (got,) = rworld.received()
    assert [s.code for s in got.status_history] == ["202", "203"] and got.invoice["number"] == "F2026-0001"
    assert got.counterpart["platform"] == THIS and ACCOUNT not in repr(got.counterpart)
    assert not [f for f in rworld.flow.received if f["flowSyntax"] == "CDAR"]  # nothing over HTTP
