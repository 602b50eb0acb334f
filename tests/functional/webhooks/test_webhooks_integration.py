"""Webhooks end to end under moto: platform events on the real bus -> the rule -> the webhook events queue
-> the fan-out -> deliveries in the data table -> the real HTTP sender -> a loopback receiver that verifies
every signature as a client should, switched off and on again."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading

import pytest

from einvoice.webhooks import fanout, model, service, signing
from einvoice.webhooks.dynamodb import DynamoDeliveries, DynamoSubscriptions
from einvoice.webhooks.http import UrllibSender


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now


class Receiver:
    """A subscriber's endpoint on loopback: verifies the signature; answers 503 while ``down``."""

    def __init__(self) -> None:
        self.down = False
        self.secret = ""
        self.verified: list[dict] = []
        self.refused = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.down:
                    outer.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                try:
                    signing.verify_signature(outer.secret, body, self.headers[signing.HEADER])
                except signing.SignatureError:
                    self.send_response(400)
                    self.end_headers()
                    return
                outer.verified.append({"eventId": self.headers["X-Einvoice-Event-Id"], **json.loads(body)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/einvoice"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _bus_events() -> list[dict]:
    return [
        {"type": "InvoiceStatusChanged", "detail": {
            "eventId": "inv-1:202", "accountId": "acc-1", "invoiceId": "inv-1", "companyId": "co-1",
            "direction": "received", "number": "F-1", "status": {"code": "202", "label": "Reçue"}}},
        {"type": "InvoiceStatusChanged", "detail": {
            "eventId": "inv-1:207-2", "accountId": "acc-1", "invoiceId": "inv-1", "direction": "received",
            "status": {"code": "207", "reason": "TX_TVA_ERR"}}},
        {"type": "ImportFinished", "source": "einvoice.imports", "detail": {
            "eventId": "imp-1:SUCCEEDED:0", "accountId": "acc-1", "importId": "imp-1", "state": "SUCCEEDED"}},
        {"type": "EnrolmentFinished", "source": "einvoice.enrolment", "detail": {
            "eventId": "enr-1:DONE", "accountId": "acc-1", "enrolmentId": "enr-1", "state": "DONE"}},
        {"type": "InvoiceStatusChanged", "detail": {  # another tenant's: never sent to acc-1's endpoint
            "eventId": "inv-9:202", "accountId": "acc-2", "invoiceId": "inv-9", "direction": "received",
            "status": {"code": "202"}}},
    ]


def _queued(settings) -> list[dict]:
    from einvoice.adapters.aws.clients import client

    sqs = client("sqs")
    out = []
    for _ in range(5):
        got = sqs.receive_message(QueueUrl=settings.webhook_events_queue_url, MaxNumberOfMessages=10)
        out += got.get("Messages", [])
    return [{"messageId": m["MessageId"], "body": m["Body"]} for m in out]


def test_bus_events_reach_the_subscriber_signed_and_a_down_endpoint_gets_each_once_back(aws, receiver):
    from einvoice.adapters.aws.clients import table
    from einvoice.transmission.adapters import EventBridgePublisher

    data = table(aws.settings.data_table)
    clock = Clock()
    deps = service.WebhookDeps(subscriptions=DynamoSubscriptions(data), deliveries=DynamoDeliveries(data),
                               sender=UrllibSender(allow_loopback=True), clock=clock, allow_loopback_http=True)
    sub = service.create_subscription(deps, "acc-1", url=receiver.url, event_types=list(model.EVENT_TYPES))
    receiver.secret = sub.secret

    EventBridgePublisher(aws.settings.event_bus_name).publish(_bus_events())
    records = _queued(aws.settings)
    assert len(records) == 5  # the rule routed every platform event to the webhook events queue
    assert fanout.fanout({"Records": records}, deps) == {"batchItemFailures": []}
    assert fanout.fanout({"Records": records}, deps) == {"batchItemFailures": []}  # redelivered: no duplicate

    receiver.down = True
    assert service.deliver_due(deps)[model.PENDING] == 5  # 202 is also invoice.received: 5 deliveries
    clock.now += dt.timedelta(seconds=31)
    assert service.deliver_due(deps)[model.PENDING] == 5
    assert receiver.refused == 10 and not receiver.verified

    receiver.down = False
    clock.now += dt.timedelta(seconds=121)
    assert service.deliver_due(deps)[model.DELIVERED] == 5
    clock.now += dt.timedelta(days=3)
    assert sum(service.deliver_due(deps).values()) == 0  # nothing left, nothing sent twice

    got = sorted((e["type"], e["data"].get("invoiceId") or e["data"].get("importId") or e["data"].get("enrolmentId"))
                 for e in receiver.verified)
    assert got == [("enrolment.finished", "enr-1"), ("import.finished", "imp-1"), ("invoice.received", "inv-1"),
                   ("invoice.status_changed", "inv-1"), ("invoice.status_changed", "inv-1")]
    assert len({e["eventId"] for e in receiver.verified}) == 5 and all(e["accountId"] == "acc-1"
                                                                      for e in receiver.verified)


def test_the_scheduled_sender_and_the_fanout_handlers(aws, receiver):
    """The two Lambdas as deployed (handlers through the local dispatcher, default deps on the data table)."""
    from einvoice.transmission.adapters import EventBridgePublisher
    from einvoice.webhooks import api
    from local import dispatch

    api.reset_default_deps()
    try:
        deps = api.default_deps()
        deps.allow_loopback_http = deps.sender.allow_loopback = True
        sub = service.create_subscription(deps, "acc-1", url=receiver.url, event_types=["import.finished"])
        receiver.secret = sub.secret
        EventBridgePublisher(aws.settings.event_bus_name).publish(_bus_events()[2:3])
        assert dispatch.call("webhooks_fanout", {"Records": _queued(aws.settings)}) == {"batchItemFailures": []}
        assert dispatch.call("webhooks_deliver", {"source": "aws.events"})[model.DELIVERED] == 1
        (event,) = receiver.verified
        assert event["type"] == "import.finished" and event["data"]["state"] == "SUCCEEDED"
    finally:
        api.reset_default_deps()
