"""Lifecycle actions and payments through the local API Gateway, between two tenants of this platform
(internal delivery through the real transmission ASL under moto)."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.functional.transmission.conftest import INTERNAL_BUYER, create_company, wait_for
from tests.functional.transmission.test_transmission_api import _body, _draft, _get, _until
from tests.unit.invoicing.model_samples import SELLER_SIREN


def _status(platform, key, invoice_id, body, idem=None):
    headers = {"x-api-key": key, **({"Idempotency-Key": idem} if idem else {})}
    return platform.api.post(f"/v1/invoices/{invoice_id}/status", headers=headers, json=body)


def _received(platform, key):
    items = platform.api.get("/v1/invoices?direction=received", headers={"x-api-key": key}).json["items"]
    return items[0]["id"] if items else None


def test_dispute_approval_payment_and_collection_keep_both_timelines_identical(platform, tenant_keys):
    from einvoice.adapters.aws.clients import client
    from einvoice.validation import xsd

    a, b = tenant_keys["a"], tenant_keys["b"]
    seller = create_company(platform, a, SELLER_SIREN)
    buyer_resp = platform.api.post("/v1/companies", headers={"x-api-key": b}, json={
        "identifierType": "SIREN", "identifier": INTERNAL_BUYER, "employees": "11-20", "purchaseInvoices": True,
        "purchasePayment": True, "salesInvoices": False, "duplicateControl": False})
    buyer = buyer_resp.json["id"]
    sent = _draft(platform, a, seller, _body(INTERNAL_BUYER))
    platform.api.post(f"/v1/invoices/{sent}/issue", headers={"x-api-key": a})
    _until(platform, a, sent, "203")  # the buyer side's 202 and 203 (reception) mirrored after 201
    received = wait_for(lambda: _received(platform, b), 30, "the received invoice")

    # refusals name their rule and change nothing
    resp = _status(platform, b, received, {"code": 207})
    assert resp.status_code == 422 and resp.json["details"][0]["rule"] == "BR-FR-CDV-15"
    resp = _status(platform, b, received, {"code": 212, "amount": "1.00"})
    assert resp.status_code == 422 and resp.json["details"][0]["rule"] == "LC-ACTOR"
    resp = _status(platform, a, sent, {"code": 209})
    assert resp.status_code == 409 and resp.json["details"][0]["rule"] == "LC-209-AFTER-208"
    assert _status(platform, a, received, {"code": 205}).status_code == 404  # another tenant's invoice

    resp = _status(platform, b, received, {"code": 207, "reason": "TX_TVA_ERR", "comment": "Taux de 10 % attendu"},
                   idem="dispute-1")
    assert resp.status_code == 200 and resp.json["status"] == {"code": "207", "label": "En litige"}
    again = _status(platform, b, received, {"code": 207, "reason": "TX_TVA_ERR", "comment": "Taux de 10 % attendu"},
                    idem="dispute-1")
    assert again.json == resp.json  # the same answer, nothing recorded twice
    # not approved yet: the payment is refused with the invoice named
    pay = {"companyId": buyer, "invoiceIds": [received], "executionDate": "2099-01-15",
           "debtorAccount": {"iban": "FR7630004000031234567890143", "bic": "BNPAFRPP", "name": "Client Interne"}}
    refused = platform.api.post("/v1/payments", headers={"x-api-key": b}, json=pay)
    assert refused.status_code == 422 and refused.json["details"][0]["rule"] == "PAY-STATUS"
    assert _status(platform, b, received, {"code": 205}).status_code == 200
    created = platform.api.post("/v1/payments", headers={"x-api-key": b, "Idempotency-Key": "pay-1"}, json=pay)
    assert created.status_code == 201, created.json
    payment = created.json
    assert payment["links"]["file"] == f"/v1/payments/{payment['id']}/file"
    assert platform.api.get(f"/v1/payments/{payment['id']}", headers={"x-api-key": b}).json["total"] == payment["total"]
    assert platform.api.get(f"/v1/payments/{payment['id']}", headers={"x-api-key": a}).status_code == 404
    file = platform.api.get(payment["links"]["file"], headers={"x-api-key": b})
    assert file.status_code == 200 and file.headers["content-type"].startswith("application/xml")
    assert not xsd.validate("pain.001.001.09", etree.fromstring(file.data))
    collected = _status(platform, a, sent, {"code": 212, "amount": payment["total"]})
    assert collected.status_code == 200, collected.json

    seller_view, buyer_view = _get(platform, a, sent), _get(platform, b, received)
    assert [s["code"] for s in buyer_view["statusHistory"]] == ["202", "203", "207", "205", "211", "212"]
    assert [s["code"] for s in seller_view["statusHistory"]] == ["200", "201", "202", "203", "207", "205", "211", "212"]
    assert seller_view["statusHistory"][2:] == buyer_view["statusHistory"]
    assert "account-a" not in str(buyer_view) and "account-b" not in str(seller_view)
    # the PPF outbox holds the mandatory statuses only: here the transmission's 200
    keys = [o["Key"] for o in client("s3").list_objects_v2(Bucket=platform.settings.outbox_bucket,
                                                           Prefix="ppf/flux6/").get("Contents", [])]
    assert len(keys) == 1 and "_F2026-0001_200_" in keys[0]


@pytest.mark.parametrize("platform", [{"redelivery_schedule": "2,3,5,8"}], indirect=True)  # room to switch back
def test_a_status_for_an_invoice_sent_to_another_platform_reaches_it_over_the_flow_api(platform, tenant_keys):
    """The seller's 212 on an invoice delivered to the simulated peer 0238:PA-0042: the status queue's
    consumer (local SQS poller) posts the validated CDAR to the peer's Flow API; a peer down is retried."""
    a = tenant_keys["a"]
    seller = create_company(platform, a, SELLER_SIREN)
    sent = _draft(platform, a, seller, _body())
    platform.api.post(f"/v1/invoices/{sent}/issue", headers={"x-api-key": a})
    _until(platform, a, sent, "201")
    peer = platform.peers.peers["0238:PA-0042"]
    platform.peers.switch("0238:PA-0042", "down")
    resp = _status(platform, a, sent, {"code": 212, "amount": "100.00"})
    assert resp.status_code == 200, resp.json
    wait_for(lambda: any(x["outcome"] == "status_deferred" for x in _get(platform, a, sent)["deliveryAttempts"]),
             30, "a deferred status delivery")
    platform.peers.switch("0238:PA-0042", "ok")
    wait_for(lambda: any(f["flowSyntax"] == "CDAR" for f in peer.flows.values()), 30, "the CDAR at the peer")
    (flow,) = [f for f in peer.flows.values() if f["flowSyntax"] == "CDAR"]
    assert flow["name"] == "F2026-0001-CDV-212.xml" and flow["contentType"] == "application/xml"
    outcomes = [x["outcome"] for x in _get(platform, a, sent)["deliveryAttempts"]]
    assert outcomes[-1] == "status_sent" and "status_deferred" in outcomes
