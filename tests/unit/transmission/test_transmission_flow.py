"""The transmission rules on fakes: statuses, routing outcomes, retries and redeliveries, idempotency."""

import copy

import pytest

from einvoice.invoicing.records import DONE
from einvoice.transmission import archiving, seals
from einvoice.transmission.adapters import CompanyOptions
from einvoice.transmission.ports import Platform
from tests.unit.invoicing.model_samples import sample_body
from tests.unit.transmission.transmission_testing import (
    ACCOUNT,
    BUYER_ACCOUNT,
    BUYER_SIREN,
    PEER,
    THIS,
    line,
)


def _events(world, invoice_id):
    return [e["detail"]["status"]["code"] for e in world.events.events if e["detail"]["invoiceId"] == invoice_id]


def test_issue_to_a_peer_records_200_then_201_archives_and_extracts_flux1(world):
    world.directory.add(line(PEER))
    out = world.issue()
    assert out["transmissionId"].startswith("tx_") and out["state"] == "ISSUING" and out["status"] is None
    world.run_started()
    rec = world.record(out["id"])
    assert [(s.code, s.source) for s in rec.status_history] == [("200", THIS), ("201", THIS)]
    assert rec.state == DONE and rec.status == {"code": "201", "label": "Émise"}
    assert [a.outcome for a in rec.attempts] == ["delivered"]
    assert _events(world, out["id"]) == ["200", "201"]
    # the peer received the sealed Factur-X with its SHA-256 announced
    sent = world.flow.received[0]
    assert sent["trackingId"] == out["transmissionId"] and sent["flowSyntax"] == "Factur-X"
    assert sent["sha256"] == rec.document["sha256"]
    # archive: original JSON, sealed PDF, Flux 1, manifest; verified on read
    container = world.archive.get(rec.archive["key"])
    report = archiving.verify(container, expected_sha256=rec.archive["sha256"],
                              roots=seals.trust_roots(world.deps.get_sealer()))
    assert report["verified"], report["problems"]
    assert {o["role"] for o in report["objects"]} == {"original", "document", "flux1"}
    assert report["seal"]["type"] == "PAdES" and report["seal"]["valid"]
    # Flux 1: written at deposit, named with the invoice number
    assert rec.flux1["status"] == "submitted" and "F2026-0001" in rec.flux1["key"]
    assert b"CrossIndustryInvoice" in world.ppf.extracts[rec.flux1["key"]]
    assert b"IncludedSupplyChainTradeLineItem" not in world.ppf.extracts[rec.flux1["key"]]


def test_a_tampered_container_is_detected(world):
    world.directory.add(line(PEER))
    out = world.issue()
    world.run_started()
    rec = world.record(out["id"])
    data = bytearray(world.archive.get(rec.archive["key"]))
    data[len(data) // 2] ^= 0xFF
    report = archiving.verify(bytes(data), expected_sha256=rec.archive["sha256"],
                              roots=seals.trust_roots(world.deps.get_sealer()))
    assert not report["verified"] and any("SHA-256" in p for p in report["problems"])


def test_buyer_without_platform_is_deposited_not_transmitted(world):
    out = world.issue()
    world.run_started()
    rec = world.record(out["id"])
    assert [(s.code, s.reason) for s in rec.status_history] == [("200", "NON_TRANSMISE")]
    assert rec.state == DONE and rec.route["delivery"] == "none" and not world.flow.received
    assert rec.archive and rec.flux1["status"] == "submitted"


def test_internal_delivery_starts_this_platforms_reception(world):
    world.directory.add(line(THIS))
    world.companies.add(BUYER_ACCOUNT, CompanyOptions("co_buyer", BUYER_SIREN, "Acheteur", False, True, False))
    out = world.issue()
    world.run_started()
    rec = world.record(out["id"])
    assert [s.code for s in rec.status_history] == ["200", "201"] and rec.attempts[0].outcome == "internal"
    # the reception (tests/unit/reception) gets the archived document, never the seller's account as buyer
    (envelope,) = world.receptions
    assert envelope["source"] == {"kind": "internal", "accountId": ACCOUNT, "invoiceId": out["id"],
                                  "transmissionId": out["transmissionId"]}
    assert envelope["input"]["archiveKey"] == rec.archive["key"] and envelope["input"]["member"] == "invoice.pdf"
    assert not world.flow.received
    # delivering again (a retried task) starts nothing more
    from einvoice.transmission import tasks

    payload = {"accountId": ACCOUNT, "invoiceId": out["id"], "transmissionId": out["transmissionId"]}
    assert tasks.deliver(payload, world.deps)["outcome"] == "done"
    assert len(world.receptions) == 1


def test_internal_delivery_to_a_buyer_nobody_serves_is_a_routing_error(world):
    world.directory.add(line(THIS))
    out = world.issue()
    world.run_started()
    rec = world.record(out["id"])
    assert [(s.code, s.reason) for s in rec.status_history] == [("200", None), ("221", "ROUTAGE_ERR")]


def test_the_buyer_platforms_preferred_syntax_is_sent_with_a_detached_seal(world):
    world.registry.put(Platform(PEER, "Peer 42", "http://peer.invalid", preferred_syntax="CII"))
    world.directory.add(line(PEER))
    out = world.issue()
    world.run_started()
    rec = world.record(out["id"])
    assert rec.status_code == "201" and rec.document["name"] == "invoice-cii.xml"
    assert world.flow.received[0]["flowSyntax"] == "CII"
    manifest, files = archiving.read_container(world.archive.get(rec.archive["key"]))
    assert manifest["seal"]["type"] == "CAdES-detached" and files["readable.pdf"][:5] == b"%PDF-"
    signature = files["invoice-cii.xml.p7s"]
    roots = seals.trust_roots(world.deps.get_sealer())
    assert seals.verify_detached(files["invoice-cii.xml"], signature, roots)["valid"]
    assert not seals.verify_detached(files["invoice-cii.xml"] + b" ", signature, roots)["intact"]


def test_issuing_twice_returns_the_same_transmission(world):
    world.directory.add(line(PEER))
    first = world.issue()
    from einvoice.transmission import service

    again = service.issue_invoice(world.tenant, first["id"], deps=world.deps)
    other = service.issue_invoice(world.tenant, first["id"], deps=world.deps)
    assert again["transmissionId"] == other["transmissionId"] == first["transmissionId"]
    assert len(world.workflow.started) == 1
    world.run_started()
    after = service.issue_invoice(world.tenant, first["id"], deps=world.deps)
    assert after["status"] == {"code": "201", "label": "Émise"} and not world.workflow.started


def test_a_peer_down_for_a_while_then_back_loses_nothing(world):
    world.directory.add(line(PEER))
    world.flow.script[PEER] = ["down"] * 6  # 4 tries in the first execution, 2 in the second
    out = world.issue()
    world.run_started()
    rec = world.record(out["id"])
    assert rec.state == "ISSUING" and rec.next_attempt_at and [s.code for s in rec.status_history] == ["200"]
    assert [a.outcome for a in rec.attempts] == ["unavailable"] * 4 + ["deferred"]
    world.drain_queue()
    rec = world.record(out["id"])
    assert [s.code for s in rec.status_history] == ["200", "201"]
    assert [a.outcome for a in rec.attempts] == ["unavailable"] * 4 + ["deferred"] + ["unavailable"] * 2 + [
        "delivered"]
    assert all(a.code == "PeerHttp503" for a in rec.attempts if a.outcome == "unavailable")
    assert _events(world, out["id"]).count("201") == 1 and len(world.flow.received) == 1


def test_a_peer_down_for_good_ends_in_221_after_the_schedule(world):
    world.directory.add(line(PEER))
    world.flow.default = "down"
    out = world.issue()
    world.run_started()
    world.drain_queue()
    rec = world.record(out["id"])
    assert [(s.code, s.reason) for s in rec.status_history] == [("200", None), ("221", "ROUTAGE_ERR")]
    assert sum(a.outcome == "deferred" for a in rec.attempts) == len(world.deps.settings.redelivery_delays)
    assert rec.attempts[-1].outcome == "failed" and rec.state == DONE and rec.next_attempt_at is None
    assert "\n" not in (rec.status_history[-1].message or "") and "Traceback" not in repr(rec)


def test_a_peer_rejecting_the_flow_is_501_irrecevable(world):
    world.directory.add(line(PEER))
    world.flow.default = "reject"
    out = world.issue()
    world.run_started()
    rec = world.record(out["id"])
    assert [(s.code, s.reason, s.source) for s in rec.status_history] == [
        ("200", None, THIS), ("501", "IRR_SYNTAX", PEER)]
    assert rec.attempts[-1].outcome == "refused" and rec.attempts[-1].code == "InvalidSchema"


def test_a_directory_outage_defers_then_the_invoice_goes_through(world):
    world.directory.add(line(PEER))
    world.directory.down = True
    out = world.issue()
    world.run_started()
    rec = world.record(out["id"])
    assert rec.status_history == [] and rec.attempts[-1].outcome == "deferred"
    assert rec.attempts[-1].code == "DirectoryUnavailableError"
    world.directory.down = False
    world.drain_queue()
    assert world.codes(out["id"]) == ["200", "201"]


def test_archive_throttling_is_retried_inside_the_execution(world):
    world.directory.add(line(PEER))
    world.archive.fail_puts = 2
    out = world.issue()
    world.run_started()
    assert world.codes(out["id"]) == ["200", "201"] and len(world.archive.objects) == 1


def test_a_lost_execution_is_restarted_by_the_watchdog(world):
    world.directory.add(line(PEER))
    world.workflow.fail = True
    out = world.issue()
    assert out["state"] == "ISSUING" and not world.workflow.started
    world.workflow.fail = False
    world.drain_queue()
    rec = world.record(out["id"])
    assert [s.code for s in rec.status_history] == ["200", "201"] and rec.execution_seq == 2


def test_statuses_are_never_duplicated_when_tasks_run_again(world):
    from einvoice.transmission import tasks

    world.directory.add(line(PEER))
    out = world.issue()
    world.run_started()
    payload = {"accountId": ACCOUNT, "invoiceId": out["id"], "transmissionId": out["transmissionId"], "seq": 1}
    tasks.prepare(payload, world.deps)
    tasks.deliver(payload, world.deps)
    assert tasks.defer({**payload, "error": {"Error": "X", "Cause": "y"}}, world.deps) == {
        "deferred": False, "status": "201"}
    assert world.codes(out["id"]) == ["200", "201"]


def test_flux1_is_held_when_the_invoice_id_exceeds_the_ppf_limit(world):
    body = sample_body()
    body["number"] = "F2026-000000000000000001"  # 24 characters: the PPF takes 20 until the limit is lifted
    body["paymentInstructions"]["remittanceInformation"] = body["number"]
    out = world.issue(body)
    world.run_started()
    rec = world.record(out["id"])
    assert rec.status_code == "200" and rec.flux1["status"] == "held"
    assert [c["rule"] for c in rec.flux1["checks"]] == ["PPF-LIM-ID"] and not world.ppf.extracts


def test_issuer_rules_company_option_and_self_billing(world):
    from einvoice.errors import InvalidInputError
    from tests.unit.transmission.transmission_testing import COMPANY, SELLER_SIREN

    world.companies.add(ACCOUNT, CompanyOptions(COMPANY, SELLER_SIREN, "Vendeur", False, True, True))
    with pytest.raises(InvalidInputError) as err:
        world.issue()
    assert [d.rule for d in err.value.details] == ["COMPANY_NO_SALES_INVOICES"]
    world.companies.add(ACCOUNT, CompanyOptions(COMPANY, SELLER_SIREN, "Vendeur", True, True, True))
    body = copy.deepcopy(sample_body())
    body["typeCode"] = "389"  # self-billed: the company must be the buyer
    body["number"] = body["paymentInstructions"]["remittanceInformation"] = "AF2026-0001"
    body["notes"].append({"subjectCode": "AAI", "text": "Autofacturation"})
    with pytest.raises(InvalidInputError) as err:
        world.issue(body)
    assert "BR-FR-22" in [d.rule for d in err.value.details]
