"""Reception (PA-R) on fakes: a peer's invoice through POST /v1/flows to 202/203 (or 213), answered as CDAR."""

from einvoice.lifecycle import cdar_xml
from einvoice.transmission import archiving, seals
from tests.unit.reception.reception_testing import (
    BUYER_ACCOUNT,
    PEER,
    THIS,
    add_buyer,
    invoice_document,
)


def _answered_codes(world):
    return [cdar_xml.parse(f["data"]).status for f in world.flow.received if f["flowSyntax"] == "CDAR"]


def test_a_peer_invoice_is_received_archived_made_available_and_answered(rworld):
    add_buyer(rworld)
    flow = rworld.submit(invoice_document("cii"))
    assert flow.acknowledgement.status.value == "Pending" and flow.flow_direction.value == "Out"
    (run,) = rworld.run_receptions()
    assert run["received"]["outcome"] == "received"
    (rec,) = rworld.received()
    assert [(s.code, s.source) for s in rec.status_history] == [("202", THIS), ("203", THIS)]
    assert rec.counterpart["platform"] == PEER and rec.counterpart["flowId"] == flow.flow_id
    assert rec.invoice["number"] == "F2026-0001" and rec.company_id == "co_buyer"
    # archived and sealed (detached CAdES beside the CII), verified on read
    report = archiving.verify(rworld.archive.get(rec.archive["key"]), expected_sha256=rec.archive["sha256"],
                              roots=seals.trust_roots(rworld.deps.get_sealer()))
    assert report["verified"] and report["seal"]["valid"], report
    assert {o["role"] for o in report["objects"]} == {"original", "document", "seal", "readable"}
    # the flow is acknowledged and now addressed to the buyer's account
    stored = rworld.flows.get(flow.flow_id)
    assert stored.ack_status == "Ok" and stored.recipient == f"account:{BUYER_ACCOUNT}"
    # 202 and 203 went back to the issuing platform as validated CDAR messages
    assert _answered_codes(rworld) == [202, 203]
    assert rec.attempts[-1].outcome == "answered"
    events = [e["detail"]["status"]["code"] for e in rworld.events.events if e["detail"]["invoiceId"] == rec.id]
    assert events == ["202", "203"]


def test_the_received_invoice_is_offered_in_its_companys_preferred_format(rworld):
    from einvoice.invoicing.service import to_out
    from einvoice.transmission.adapters import CompanyOptions

    rworld.companies.add(BUYER_ACCOUNT, CompanyOptions("co_buyer", "552100554", "Acheteur", False, True, False,
                                                       preferred_format="ubl"))
    rworld.submit(invoice_document("facturx"), syntax="Factur-X")
    rworld.run_receptions()
    (rec,) = rworld.received()
    out = to_out(rec)
    assert out.documents["preferred"].endswith("format=ubl") and out.documents["pdf"].endswith("format=pdf")
    assert rec.document["syntax"] == "Factur-X" and rec.document["name"] == "invoice.pdf"


def test_without_the_purchase_invoices_option_the_invoice_is_received_not_made_available(rworld):
    add_buyer(rworld, purchase=False)
    rworld.submit(invoice_document("ubl"), syntax="UBL")
    rworld.run_receptions()
    (rec,) = rworld.received()
    assert [s.code for s in rec.status_history] == ["202"]
    assert _answered_codes(rworld) == [202]


def test_an_invalid_invoice_is_rejected_213_with_its_rule_ids(rworld):
    add_buyer(rworld)
    bad = invoice_document("cii").replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>999</ram:TypeCode>", 1)
    rworld.submit(bad)
    rworld.run_receptions()
    (rec,) = rworld.received()
    assert [s.code for s in rec.status_history] == ["213"] and rec.rejection["rules"]
    assert rec.archive is None
    (cdar,) = [f for f in rworld.flow.received if f["flowSyntax"] == "CDAR"]
    message = cdar_xml.parse(cdar["data"])
    status = message.document.statuses[0]
    assert message.status == 213 and status.reason_code in ("REJ_SEMAN", "CALCUL_ERR", "MONTANTTOTAL_ERR")
    assert rec.rejection["rules"][0]["rule"] in status.notes[0].content


def test_duplicate_control_rejects_the_same_invoice_again_with_doublon(rworld):
    add_buyer(rworld, duplicate=True)
    rworld.submit(invoice_document("cii"), tracking_id="first")
    rworld.submit(invoice_document("ubl"), syntax="UBL", tracking_id="second")
    rworld.run_receptions()
    first, second = sorted(rworld.received(), key=lambda r: r.status_history[0].code)
    assert first.status_code == "203"
    assert second.status_code == "213" and second.status_reason == "DOUBLON"
    assert second.rejection["duplicateOf"] == first.id


def test_an_invoice_for_a_company_we_do_not_serve_is_refused_213_dest_inc(rworld):
    flow = rworld.submit(invoice_document("cii"))
    (run,) = rworld.run_receptions()
    assert run["received"]["outcome"] == "rejected" and rworld.received() == []
    (cdar,) = [f for f in rworld.flow.received if f["flowSyntax"] == "CDAR"]
    message = cdar_xml.parse(cdar["data"])
    assert message.status == 213 and message.document.statuses[0].reason_code == "DEST_INC"
    stored = rworld.flows.get(flow.flow_id)
    assert stored.ack_status == "Ok" and stored.ack_details[0]["reasonCode"] == "DEST_INC"


def test_receive_and_answer_run_again_change_nothing(rworld):
    from einvoice.reception import service

    add_buyer(rworld)
    rworld.submit(invoice_document("cii"))
    envelope = dict(rworld.receptions.started[0]["payload"])
    rworld.run_receptions()
    again = service.receive({**envelope, "step": "receive"}, rworld.rdeps)
    assert again["outcome"] == "received"
    (rec,) = rworld.received()
    assert [s.code for s in rec.status_history] == ["202", "203"]


def test_a_platform_down_past_answers_retries_gets_its_statuses_from_the_status_queue(rworld):
    """Answer's retries spent (Catch -> Defer): the 202/203 go to the lifecycle status queue and reach the
    issuing platform once it is back, as the same CDAR messages Answer sends (role, parties, flow type)."""
    import copy

    import pytest

    from einvoice.lifecycle.actions import send_queued
    from einvoice.reception import service
    from einvoice.transmission.errors import PeerUnavailableError

    add_buyer(rworld)
    rworld.submit(invoice_document("cii"), tracking_id="T-up")
    rworld.run_receptions()  # the platform is up: Answer sends 202 and 203 itself
    direct = [cdar_xml.parse(f["data"]) for f in rworld.flow.received if f["flowSyntax"] == "CDAR"]

    rworld.submit(invoice_document("cii", number="F2026-0002"), tracking_id="T-down")
    envelope = copy.deepcopy(rworld.receptions.started.pop(0)["payload"])
    task = {"receptionId": envelope["receptionId"], "source": envelope["source"]}
    received = service.receive({**envelope, "step": "receive"}, rworld.rdeps)
    rworld.flow.default = "down"
    with pytest.raises(PeerUnavailableError):
        service.answer({**task, "step": "answer", "received": received}, rworld.rdeps)
    assert service.defer({**task, "step": "defer", "received": received}, rworld.rdeps) == {"queued": 2}
    queue = rworld.rdeps.get_status_queue().messages
    assert [(m["eventId"], m["attempt"], delay) for m, delay in queue] == [("S#202", 2, 60), ("S#203", 2, 60)]
    # still down at the first redelivery: each is queued again with the next delay of the schedule
    assert [send_queued(m, rworld.rdeps) for m, _ in list(queue)] == ["status_deferred"] * 2
    assert [(m["attempt"], delay) for m, delay in queue[2:]] == [(3, 300), (3, 300)]
    rworld.flow.default = "ok"
    assert [send_queued(m, rworld.rdeps) for m, _ in list(queue[2:])] == ["status_sent"] * 2

    later = [f for f in rworld.flow.received if f["flowSyntax"] == "CDAR"][len(direct):]
    assert [f["flowType"] for f in later] == ["SupplierInvoiceLC"] * 2 and all(f["platform"] == PEER for f in later)
    parsed = [cdar_xml.parse(f["data"]) for f in later]
    assert [m.status for m in parsed] == [202, 203]
    assert [m.document.invoice_id for m in parsed] == ["F2026-0002"] * 2
    for queued, sent in zip(parsed, direct, strict=True):  # who says it, to whom: as Answer says it
        assert (queued.sender, queued.issuer, queued.recipients) == (sent.sender, sent.issuer, sent.recipients)
    (rec,) = [r for r in rworld.received() if r.number == "F2026-0002"]
    assert [a.outcome for a in rec.attempts] == ["unavailable", "answer_deferred", "status_deferred",
                                                 "status_deferred", "status_sent", "status_sent"]
