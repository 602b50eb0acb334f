"""The Flow API and the reception under moto (the real reception.asl.json executed), through the local
API Gateway with OAuth2 tokens: a peer's invoice to 202/203, answered to the peer as CDAR; refusals in
the standard's shape; internal delivery through the same reception; statuses from the peer."""

import base64
import hashlib
import json

from tests.functional.transmission.conftest import INTERNAL_BUYER, create_company, wait_for
from tests.unit.transmission.transmission_testing import SELLER_SIREN

PEER = "0238:PA-0042"


def _token(platform, peer=PEER, scope=None):
    client_id, secret = platform.peers.peers[peer].home_client
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    resp = platform.api.post("/oauth2/token", data=form, headers={
        "Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()})
    assert resp.status_code == 200, resp.data
    return resp.json["access_token"]


def _flow(platform, data, *, token, syntax="CII", sha256=None, tracking="T-1"):
    from einvoice.transmission.flow_api import multipart

    info = {"trackingId": tracking, "name": "f.xml", "flowSyntax": syntax, "processingRule": "B2B",
            "sha256": sha256 or hashlib.sha256(data).hexdigest()}
    body, ctype = multipart([("flowInfo", "application/json", None, json.dumps(info).encode()),
                             ("file", "application/xml", "f.xml", data)])
    return platform.api.post("/v1/flows", data=body, headers={"Content-Type": ctype,
                                                              "Authorization": f"Bearer {token}"})


def _invoice(buyer=INTERNAL_BUYER, number="P-0001", syntax="CII"):
    from local.peers import PEER_SELLERS, render, sample_invoice

    return render(sample_invoice(PEER_SELLERS[PEER], (buyer, "Client Interne SAS"), number), syntax)[0]


def _received(platform, key, code):
    def found():
        items = platform.api.get("/v1/invoices?direction=received", headers={"x-api-key": key}).json["items"]
        return items if items and items[0]["status"]["code"] == code else None
    return wait_for(found, what=f"a received invoice at {code}")


def test_a_peer_delivers_an_invoice_through_the_flow_api(platform, tenant_keys):
    company = create_company(platform, tenant_keys["b"], INTERNAL_BUYER, sales=False, purchase=True)
    token = _token(platform)
    resp = _flow(platform, _invoice(), token=token)
    assert resp.status_code == 202, resp.json
    flow = resp.json
    assert flow["acknowledgement"]["status"] == "Pending" and flow["flowDirection"] == "Out"
    (item,) = _received(platform, tenant_keys["b"], "203")
    assert item["companyId"] == company and item["number"] == "P-0001" and item["source"] == "platform"
    full = platform.api.get(f"/v1/invoices/{item['id']}", headers={"x-api-key": tenant_keys["b"]}).json
    assert [s["code"] for s in full["statusHistory"]] == ["202", "203"]
    assert full["counterpart"]["platform"] == PEER and full["counterpart"]["flowId"] == flow["flowId"]
    archive = platform.api.get(f"/v1/invoices/{item['id']}/archive", headers={"x-api-key": tenant_keys["b"]}).json
    assert archive["verified"] is True and archive["seal"]["valid"] is True
    pdf = platform.api.get(f"/v1/invoices/{item['id']}/document?format=pdf", headers={"x-api-key": tenant_keys["b"]})
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
    # the peer got 202 and 203 back as CDAR flows; the flow is acknowledged Ok
    peer = platform.peers.peers[PEER]
    wait_for(lambda: sum(1 for f in peer.flows.values() if f["flowSyntax"] == "CDAR") == 2, what="the answers")
    meta = platform.api.get(f"/v1/flows/{flow['flowId']}", headers={"Authorization": f"Bearer {token}"}).json
    assert meta["acknowledgement"]["status"] == "Ok"
    found = platform.api.post("/v1/flows/search", json={"where": {"ackStatus": "Ok"}},
                              headers={"Authorization": f"Bearer {token}"}).json
    assert [f["flowId"] for f in found["results"]] == [flow["flowId"]]
    original = platform.api.get(f"/v1/flows/{flow['flowId']}?docType=Original",
                                headers={"Authorization": f"Bearer {token}"})
    assert original.status_code == 200 and original.data == _invoice()


def test_refusals_are_in_the_standards_shape_and_tokens_are_checked(platform, tenant_keys):
    token = _token(platform)
    data = _invoice(number="P-0002")
    bad = _flow(platform, data, token=token, sha256="0" * 64)
    assert bad.status_code == 422
    body = bad.json
    assert body["errorCode"] == "ChecksumMismatch" and body["status"] == 422 and body["instance"] == "/v1/flows"
    assert body["acknowledgement"]["details"][0]["reasonCode"] == "ChecksumMismatch"
    assert _flow(platform, data, token=token, tracking="T-9").status_code == 202
    again = _flow(platform, data, token=token, tracking="T-9")
    assert again.status_code == 409 and again.json["errorCode"] == "AlreadyExistingFlow" and again.json["flowId"]
    assert platform.api.post("/v1/flows", data=b"x", headers={"Content-Type": "multipart/form-data; boundary=b"}
                             ).status_code == 401
    assert platform.api.post("/v1/flows/search", json={}, headers={"Authorization": "Bearer forged.token.value"}
                             ).status_code == 401
    read_only = _token(platform, scope="einvoice/flows.read")
    assert _flow(platform, data, token=read_only, tracking="T-10").status_code == 401
    other = _token(platform, peer="0238:PA-0117")
    flow_id = again.json["flowId"]
    missing = platform.api.get(f"/v1/flows/{flow_id}", headers={"Authorization": f"Bearer {other}"})
    assert missing.status_code == 404 and missing.json["errorCode"] == "NotFound"
    wrong = platform.api.post("/oauth2/token", data={"grant_type": "client_credentials", "client_id": "demo-pa-0042",
                                                      "client_secret": "nope"})
    assert wrong.status_code == 401 and wrong.json["error"] == "invalid_client"


def test_internal_delivery_goes_through_the_reception(platform, tenant_keys):
    from tests.functional.transmission.test_transmission_api import _body, _draft, _until

    seller = create_company(platform, tenant_keys["a"], SELLER_SIREN)
    create_company(platform, tenant_keys["b"], INTERNAL_BUYER, sales=False, purchase=True)
    invoice_id = _draft(platform, tenant_keys["a"], seller, _body(INTERNAL_BUYER))
    platform.api.post(f"/v1/invoices/{invoice_id}/issue", headers={"x-api-key": tenant_keys["a"]})
    view = _until(platform, tenant_keys["a"], invoice_id, "203")
    assert [s["code"] for s in view["statusHistory"]] == ["200", "201", "202", "203"]
    (item,) = _received(platform, tenant_keys["b"], "203")
    full = platform.api.get(f"/v1/invoices/{item['id']}", headers={"x-api-key": tenant_keys["b"]}).json
    assert [s["code"] for s in full["statusHistory"]] == ["202", "203"] and "account-a" not in str(full)


def test_the_peer_answers_its_statuses_onto_our_sent_invoice(platform, tenant_keys):
    from datetime import date, datetime, timezone

    from einvoice.lifecycle import builder, cdar_xml
    from einvoice.lifecycle.statuses import Actor
    from einvoice.lifecycle.transitions import StatusRequest
    from tests.functional.transmission.conftest import BUYER_SIREN
    from tests.functional.transmission.test_transmission_api import _body, _draft, _until

    seller = create_company(platform, tenant_keys["a"], SELLER_SIREN)
    invoice_id = _draft(platform, tenant_keys["a"], seller, _body())
    platform.api.post(f"/v1/invoices/{invoice_id}/issue", headers={"x-api-key": tenant_keys["a"]})
    _until(platform, tenant_keys["a"], invoice_id, "201")  # delivered to PA-0042, which now answers
    ref = builder.InvoiceRef("F2026-0001", date(2026, 9, 15), builder.Company(SELLER_SIREN, "Vendeur", SELLER_SIREN),
                             builder.Company(BUYER_SIREN, "Acheteur", BUYER_SIREN))
    now = datetime.now(timezone.utc)
    token = _token(platform)
    for code, actor in ((202, Actor.BUYER_PLATFORM), (204, Actor.BUYER)):
        xml = cdar_xml.to_xml(builder.peer_copy(builder.StatusEvent(ref, StatusRequest(code), actor, now, now)))
        resp = _flow(platform, xml, token=token, syntax="CDAR", tracking=f"S-{code}")
        assert resp.status_code == 202 and resp.json["acknowledgement"]["status"] == "Ok", resp.json
        assert resp.json["flowType"] == "SupplierInvoiceLC"
    view = _until(platform, tenant_keys["a"], invoice_id, "204")
    assert [(s["code"], s["source"]) for s in view["statusHistory"]][-2:] == [("202", PEER), ("204", PEER)]
    # a status on an invoice that was never exchanged with this platform: refused in the standard's shape
    resp = _flow(platform, xml, token=_token(platform, peer="0238:PA-0117"), syntax="CDAR", tracking="S-x")
    assert resp.status_code == 422 and resp.json["errorCode"] == "InvoiceLCStatusError"


def test_a_peer_down_past_the_answers_retries_gets_202_and_203_once_it_is_back(platform, tenant_keys):
    """The real reception.asl.json: Answer's retries spent (Retry intervals made instant), Catch ->
    Defer -> the lifecycle status queue, whose consumer (local SQS poller) posts the CDAR when the peer
    is back; every try is on the received record."""
    create_company(platform, tenant_keys["b"], INTERNAL_BUYER, sales=False, purchase=True)
    platform.peers.switch(PEER, "down")
    assert _flow(platform, _invoice(number="P-0009"), token=_token(platform), tracking="T-9").status_code == 202
    (item,) = _received(platform, tenant_keys["b"], "203")

    def outcomes():
        full = platform.api.get(f"/v1/invoices/{item['id']}", headers={"x-api-key": tenant_keys["b"]}).json
        return [a["outcome"] for a in full["deliveryAttempts"]]

    wait_for(lambda: "answer_deferred" in outcomes() and "status_deferred" in outcomes(), 60, "the deferral")
    platform.peers.switch(PEER, "ok")
    peer = platform.peers.peers[PEER]
    wait_for(lambda: sum(1 for f in peer.flows.values() if f["flowSyntax"] == "CDAR") == 2, 60, "the answers")
    wait_for(lambda: outcomes().count("status_sent") == 2, 30, "both statuses recorded as sent")
    assert sorted(f["name"] for f in peer.flows.values() if f["flowSyntax"] == "CDAR") == [
        "P-0009-CDV-202.xml", "P-0009-CDV-203.xml"]
