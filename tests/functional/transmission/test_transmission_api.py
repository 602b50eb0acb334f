"""Transmission through the local API Gateway, the real Express ASL under moto, and simulated peers."""

import copy

from tests.functional.transmission.conftest import (
    INTERNAL_BUYER,
    OTHER_BUYER,
    create_company,
    wait_for,
)
from tests.unit.invoicing.model_samples import SELLER_SIREN, sample_body

VAT = {OTHER_BUYER: "FR39356000000", INTERNAL_BUYER: "FR64443061841"}


def _body(buyer: str | None = None, number: str = "F2026-0001") -> dict:
    body = copy.deepcopy(sample_body())
    body["number"] = body["paymentInstructions"]["remittanceInformation"] = number
    if buyer:
        body["buyer"].update({"siren": buyer, "vatId": VAT[buyer], "electronicAddress": {"value": buyer,
                                                                                          "scheme": "0225"}})
    return body


def _draft(platform, key, company_id, body) -> str:
    resp = platform.api.post("/v1/invoices", headers={"x-api-key": key}, json={"companyId": company_id,
                                                                              "invoice": body})
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def _get(platform, key, invoice_id) -> dict:
    resp = platform.api.get(f"/v1/invoices/{invoice_id}", headers={"x-api-key": key})
    assert resp.status_code == 200, resp.json
    return resp.json


def _until(platform, key, invoice_id, code, timeout=60.0) -> dict:
    return wait_for(lambda: (lambda v: v if (v["status"] or {}).get("code") == code else None)(
        _get(platform, key, invoice_id)), timeout, f"status {code}")


def test_issue_to_a_peer_over_the_flow_api(platform, tenant_keys):
    from einvoice.adapters.aws.clients import client

    key = tenant_keys["a"]
    events = client("events")
    sqs = client("sqs")
    queue = sqs.create_queue(QueueName="status-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all-status", EventBusName=platform.settings.event_bus_name,
                    EventPattern='{"source": ["einvoice.transmission"]}')
    events.put_targets(Rule="all-status", EventBusName=platform.settings.event_bus_name,
                       Targets=[{"Id": "q", "Arn": arn}])
    company = create_company(platform, key, SELLER_SIREN)
    invoice_id = _draft(platform, key, company, _body())
    headers = {"x-api-key": key, "Idempotency-Key": "issue-1"}
    resp = platform.api.post(f"/v1/invoices/{invoice_id}/issue", headers=headers)
    assert resp.status_code == 202, resp.json
    assert resp.json["id"] == invoice_id and resp.json["transmissionId"].startswith("tx_")
    again = platform.api.post(f"/v1/invoices/{invoice_id}/issue", headers=headers)
    assert again.status_code == 202 and again.json["transmissionId"] == resp.json["transmissionId"]

    view = _until(platform, key, invoice_id, "201")
    assert view["status"] == {"code": "201", "label": "Émise"} and view["state"] == "DONE"
    assert [(s["code"], s["label"], s["source"]) for s in view["statusHistory"]] == [
        ("200", "Déposée", "0238:PA-THIS"), ("201", "Émise", "0238:PA-THIS")]
    assert view["deliveryAttempts"][-1]["outcome"] == "delivered" and view["route"]["platformId"] == "0238:PA-0042"
    peer = platform.peers.peers["0238:PA-0042"]
    (flow,) = peer.flows.values()
    assert flow["trackingId"] == resp.json["transmissionId"] and flow["flowSyntax"] == "UBL"  # its preference
    listed = platform.api.get(f"/v1/invoices?companyId={company}&direction=sent&status=201",
                              headers={"x-api-key": key}).json
    assert [i["id"] for i in listed["items"]] == [invoice_id]
    assert platform.api.get("/v1/invoices?direction=sent&status=213", headers={"x-api-key": key}).json["items"] == []
    # archive listing, verified on read
    archive = platform.api.get(f"/v1/invoices/{invoice_id}/archive", headers={"x-api-key": key}).json
    assert archive["verified"] is True and archive["seal"]["type"] == "CAdES-detached"
    assert {o["role"] for o in archive["objects"]} == {"original", "document", "seal", "readable", "flux1"}
    assert all(o["verified"] for o in archive["objects"])
    # Flux 1 in the PPF outbox, named with the invoice number
    keys = [o["Key"] for o in client("s3").list_objects_v2(Bucket=platform.settings.outbox_bucket,
                                                           Prefix="ppf/flux1/").get("Contents", [])]
    assert len(keys) == 1 and "F2026-0001" in keys[0]
    # status events on the bus (200 then 201)
    got = []
    for _ in range(5):
        got += sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    import json

    codes = sorted(json.loads(m["Body"])["detail"]["status"]["code"] for m in got)
    assert codes == ["200", "201"]
    # another tenant cannot see or issue it
    assert platform.api.post(f"/v1/invoices/{invoice_id}/issue", headers={"x-api-key": tenant_keys["b"]}
                             ).status_code == 404


def test_a_peer_down_then_back_and_a_peer_rejecting(platform, tenant_keys):
    key = tenant_keys["a"]
    company = create_company(platform, key, SELLER_SIREN)
    platform.peers.switch("0238:PA-0117", "down")
    down_id = _draft(platform, key, company, _body(OTHER_BUYER, "F2026-0002"))
    assert platform.api.post(f"/v1/invoices/{down_id}/issue", headers={"x-api-key": key}).status_code == 202
    wait_for(lambda: any(a["outcome"] == "deferred" for a in _get(platform, key, down_id)["deliveryAttempts"]),
             60, "a deferred redelivery")
    platform.peers.switch("0238:PA-0117", "ok")
    view = _until(platform, key, down_id, "201")
    outcomes = [a["outcome"] for a in view["deliveryAttempts"]]
    assert outcomes.count("unavailable") >= 4 and outcomes[-1] == "delivered" and "deferred" in outcomes
    assert [s["code"] for s in view["statusHistory"]] == ["200", "201"]

    platform.peers.switch("0238:PA-0117", "reject")
    refused_id = _draft(platform, key, company, _body(OTHER_BUYER, "F2026-0003"))
    platform.api.post(f"/v1/invoices/{refused_id}/issue", headers={"x-api-key": key})
    view = _until(platform, key, refused_id, "501")
    assert view["statusHistory"][-1]["reason"] == "IRR_SYNTAX"
    assert view["statusHistory"][-1]["source"] == "0238:PA-0117"


def test_internal_delivery_to_a_buyer_of_this_platform(platform, tenant_keys):
    seller = create_company(platform, tenant_keys["a"], SELLER_SIREN)
    create_company(platform, tenant_keys["b"], INTERNAL_BUYER, sales=False, purchase=True)
    invoice_id = _draft(platform, tenant_keys["a"], seller, _body(INTERNAL_BUYER))
    platform.api.post(f"/v1/invoices/{invoice_id}/issue", headers={"x-api-key": tenant_keys["a"]})
    view = _until(platform, tenant_keys["a"], invoice_id, "201")
    assert view["deliveryAttempts"][-1]["outcome"] == "internal"
    # this platform's reception (tests/functional/reception) records it for the buyer: 202, then 203

    def received():
        items = platform.api.get("/v1/invoices?direction=received", headers={"x-api-key": tenant_keys["b"]}
                                 ).json["items"]
        return items if items and items[0]["status"]["code"] == "203" else None

    (item,) = wait_for(received, what="the reception")
    assert item["status"] == {"code": "203", "label": "Mise à disposition"} and item["number"] == "F2026-0001"
    full = _get(platform, tenant_keys["b"], item["id"])
    assert full["counterpart"]["platform"] == "0238:PA-THIS" and "account-a" not in str(full)
    assert platform.api.get(f"/v1/invoices/{item['id']}/archive", headers={"x-api-key": tenant_keys["b"]}
                            ).json["verified"] is True


def test_a_deposited_file_failing_the_checks_is_kept_as_213(platform, tenant_keys):
    import re

    from einvoice.invoicing import calc
    from einvoice.invoicing.model import Invoice
    from einvoice.invoicing.service import render_invoice

    key = tenant_keys["a"]
    company = create_company(platform, key, SELLER_SIREN)
    cii = render_invoice(calc.compute(Invoice.model_validate(_body())), "cii", "en16931")
    broken = re.sub(rb"<ram:GrandTotalAmount>[^<]+<", b"<ram:GrandTotalAmount>1.00<", cii)
    headers = {"x-api-key": key, "content-type": "application/xml"}
    resp = platform.api.post(f"/v1/invoices/files?companyId={company}", data=broken, headers=headers)
    assert resp.status_code == 422 and resp.json["code"] == "InvoiceRejected"
    assert "BR-CO-15" in {d.get("rule") for d in resp.json["details"]}
    invoice_id = resp.json["details"][-1]["invoiceId"]
    view = _get(platform, key, invoice_id)
    assert view["status"]["code"] == "213" and view["rejection"]["reasons"] == ["MONTANTTOTAL_ERR"]
    listed = platform.api.get("/v1/invoices?status=213", headers={"x-api-key": key}).json["items"]
    assert [i["id"] for i in listed] == [invoice_id]
    # a valid file, deposited and issued in one call
    ok = platform.api.post(f"/v1/invoices/files?companyId={company}&issue=true", data=cii, headers=headers)
    assert ok.status_code == 202 and ok.json["transmissionId"], ok.json
    _until(platform, key, ok.json["id"], "201")
