"""Webhook subscriptions, dead letters and replay through the local API Gateway (tenant-scoped)."""

from __future__ import annotations

import pytest


def _h(tenants, who="a", **extra):
    return {"x-api-key": tenants[who].value, **extra}


BODY = {"url": "https://hooks.example.com/einvoice", "eventTypes": ["invoice.received", "invoice.status_changed"],
        "description": "ERP"}


@pytest.fixture(autouse=True)
def _fresh_deps():
    from einvoice.webhooks import api

    api.reset_default_deps()
    yield
    api.reset_default_deps()


def test_subscription_crud_and_isolation(api, tenants):
    created = api.post("/v1/webhooks", json=BODY, headers=_h(tenants))
    assert created.status_code == 201, created.json
    sub = created.json
    assert sub["secret"].startswith("whsec_") and sub["eventTypes"] == BODY["eventTypes"]
    listed = api.get("/v1/webhooks", headers=_h(tenants)).json["items"]
    assert [s["id"] for s in listed] == [sub["id"]] and listed[0]["secret"] != sub["secret"]
    assert api.get(f"/v1/webhooks/{sub['id']}", headers=_h(tenants)).json["url"] == BODY["url"]
    assert api.get(f"/v1/webhooks/{sub['id']}", headers=_h(tenants, "b")).status_code == 404
    assert api.get("/v1/webhooks", headers=_h(tenants, "b")).json["items"] == []
    assert api.delete(f"/v1/webhooks/{sub['id']}", headers=_h(tenants, "b")).status_code == 404
    assert api.delete(f"/v1/webhooks/{sub['id']}", headers=_h(tenants)).status_code == 204
    assert api.get(f"/v1/webhooks/{sub['id']}", headers=_h(tenants)).status_code == 404


def test_creation_is_idempotent(api, tenants):
    headers = _h(tenants, **{"Idempotency-Key": "k-1"})
    first = api.post("/v1/webhooks", json=BODY, headers=headers)
    again = api.post("/v1/webhooks", json=BODY, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    other = api.post("/v1/webhooks", json={**BODY, "url": "https://other.example.com/"}, headers=headers)
    assert other.status_code == 409 and other.json["details"][0]["rule"] == "IDEMPOTENCY_KEY_REUSED"
    assert len(api.get("/v1/webhooks", headers=_h(tenants)).json["items"]) == 1


@pytest.mark.parametrize(("body", "field", "rule"), [
    ({**BODY, "url": "http://hooks.example.com/"}, "url", "WH-URL-HTTPS"),
    ({**BODY, "url": "http://127.0.0.1:9000/sink"}, "url", "WH-URL-HTTPS"),  # loopback http is off by default
    ({**BODY, "url": "https://169.254.169.254/"}, "url", "WH-URL-PRIVATE"),
    ({**BODY, "eventTypes": ["nope"]}, "eventTypes", "WH-EVENT-TYPES"),
    ({**BODY, "eventTypes": []}, "eventTypes", "WH-EVENT-TYPES"),
])
def test_bad_subscriptions_are_422_with_the_field_and_rule(api, tenants, body, field, rule):
    response = api.post("/v1/webhooks", json=body, headers=_h(tenants))
    assert response.status_code == 422, response.json
    detail = response.json["details"][0]
    assert (detail["field"], detail["rule"]) == (field, rule)
    assert set(response.json) == {"code", "message", "details", "requestId"}


def test_dead_letters_and_replay(api, tenants, aws):
    from einvoice.webhooks import api as webhooks_api
    from einvoice.webhooks import model, service
    from einvoice.webhooks.memory import FakeSender

    sub = api.post("/v1/webhooks", json=BODY, headers=_h(tenants)).json
    deps = webhooks_api.default_deps()
    deps.sender = FakeSender()
    deps.sender.down.add(BODY["url"])
    account = tenants["a"].account_id
    [delivery] = service.publish(deps, service.new_event(deps, account, "invoice.received", {"invoiceId": "i"}))
    import datetime as dt

    start = dt.datetime.now(dt.timezone.utc)
    for n in range(model.MAX_ATTEMPTS):
        deps.clock = lambda n=n: start + dt.timedelta(days=n)
        service.deliver_due(deps)
    dead = api.get("/v1/webhook-deliveries", headers=_h(tenants)).json["items"]
    assert [(d["id"], d["status"], d["subscriptionId"]) for d in dead] == [(delivery.id, "DEAD", sub["id"])]
    assert api.get("/v1/webhook-deliveries", headers=_h(tenants, "b")).json["items"] == []
    assert api.post(f"/v1/webhook-deliveries/{delivery.id}/replay", headers=_h(tenants, "b")).status_code == 404
    replayed = api.post(f"/v1/webhook-deliveries/{delivery.id}/replay", headers=_h(tenants))
    assert replayed.status_code == 202 and replayed.json["status"] == "PENDING"
    assert api.post(f"/v1/webhook-deliveries/{delivery.id}/replay", headers=_h(tenants)).status_code == 409
