"""Webhooks: signatures and their verification, URL rules, subscriptions, delivery with retries,
dead letters and replay (fake sender), and the real HTTP sender against a loopback test client."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading

import pytest

from einvoice.errors import ConflictError, InvalidInputError, NotFoundError
from einvoice.webhooks import model, service, signing
from einvoice.webhooks.http import UrllibSender
from einvoice.webhooks.memory import FakeSender, MemoryDeliveries, MemorySubscriptions
from einvoice.webhooks.urls import check_url

URL = "https://hooks.example.com/einvoice"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def deps():
    counter = iter(range(1, 10_000))
    return service.WebhookDeps(subscriptions=MemorySubscriptions(), deliveries=MemoryDeliveries(),
                               sender=FakeSender(), clock=Clock(), new_id=lambda p: f"{p}_{next(counter)}")


def subscribe(deps, account="acc-1", url=URL, types=("invoice.received", "invoice.status_changed")):
    return service.create_subscription(deps, account, url=url, event_types=list(types))


def emit(deps, event_type="invoice.received", account="acc-1", **data):
    event = service.new_event(deps, account, event_type, data or {"invoiceId": "inv-1"})
    return event, service.publish(deps, event)


# --------------------------------------------------------------------------------------- signing
def test_signature_format_is_the_documented_one():
    body = b'{"id":"evt_1","type":"invoice.received"}'
    header = signing.sign("whsec_test", body, timestamp=1764666000)
    expected = hmac.new(b"whsec_test", b"1764666000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1764666000,v1={expected}"
    assert signing.verify_signature("whsec_test", body, header, now=1764666000 + 299) == 1764666000


@pytest.mark.parametrize(("secret", "body", "header_of", "now", "reason"), [
    ("other", b"{}", lambda h: h, 0, "no matching signature"),
    ("whsec_test", b"{ }", lambda h: h, 0, "no matching signature"),
    ("whsec_test", b"{}", lambda h: h, 301, "timestamp outside the tolerance window"),
    ("whsec_test", b"{}", lambda h: h, -301, "timestamp outside the tolerance window"),
    ("whsec_test", b"{}", lambda h: None, 0, "missing signature header"),
    ("whsec_test", b"{}", lambda h: "garbage", 0, "malformed signature header"),
    ("whsec_test", b"{}", lambda h: h.split(",")[0], 0, "malformed signature header"),
    ("whsec_test", b"{}", lambda h: "t=abc,v1=00", 0, "malformed timestamp"),
])
def test_verification_refuses_forgeries_and_replays(secret, body, header_of, now, reason):
    header = header_of(signing.sign("whsec_test", b"{}", timestamp=1_000_000))
    with pytest.raises(signing.SignatureError) as exc:
        signing.verify_signature(secret, body, header, now=1_000_000 + now)
    assert exc.value.reason == reason


def test_rotation_header_with_several_signatures():
    old, new = signing.sign("old", b"{}", 5), signing.sign("new", b"{}", 5)
    header = f"{new},{old.split(',')[1]}"
    assert signing.verify_signature("old", b"{}", header, now=5) == 5
    assert signing.verify_signature("new", "{}", header, now=5) == 5


# ------------------------------------------------------------------------------------------ URLs
@pytest.mark.parametrize("url", [URL, "https://hooks.example.com:8443/a?b=c", "https://93.184.216.34/hook"])
def test_public_https_urls_are_accepted(url):
    assert check_url(url) == url


@pytest.mark.parametrize(("url", "rule"), [
    ("http://hooks.example.com/", "WH-URL-HTTPS"),
    ("ftp://hooks.example.com/", "WH-URL-HTTPS"),
    ("https://user:pw@hooks.example.com/", "WH-URL-CREDENTIALS"),
    ("https://hooks.example.com/#frag", "WH-URL"),
    ("https://169.254.169.254/latest/meta-data", "WH-URL-PRIVATE"),
    ("https://10.0.0.5/hook", "WH-URL-PRIVATE"),
    ("https://192.168.1.1/hook", "WH-URL-PRIVATE"),
    ("https://[::1]/hook", "WH-URL-PRIVATE"),
    ("https://127.0.0.1/hook", "WH-URL-PRIVATE"),
    ("https://localhost/hook", "WH-URL-PRIVATE"),
    ("https://metadata.google.internal/", "WH-URL-PRIVATE"),
    ("https://intranet/hook", "WH-URL-PRIVATE"),
    ("https://hooks.example.com:99999/", "WH-URL"),
    ("https:///nohost", "WH-URL"),
    ("https://example.com/" + "a" * 2100, "WH-URL"),
    ("", "WH-URL"),
])
def test_urls_refused_with_their_rule(url, rule):
    with pytest.raises(InvalidInputError) as exc:
        check_url(url)
    assert (exc.value.details[0].field, exc.value.details[0].rule) == ("url", rule)


def test_loopback_http_only_when_the_setting_allows_it():
    with pytest.raises(InvalidInputError):
        check_url("http://127.0.0.1:8080/sink")
    assert check_url("http://127.0.0.1:8080/sink", allow_loopback_http=True)
    assert check_url("http://localhost:8080/sink", allow_loopback_http=True)
    with pytest.raises(InvalidInputError):
        check_url("http://10.0.0.1/sink", allow_loopback_http=True)


# --------------------------------------------------------------------------------- subscriptions
def test_subscription_crud_is_tenant_scoped(deps):
    sub = subscribe(deps, types=["invoice.received", "invoice.received", "payment.created"])
    assert sub.event_types == ("invoice.received", "payment.created")
    assert sub.secret.startswith("whsec_") and len(sub.secret) > 40
    public = sub.to_public()
    assert public["secret"] != sub.secret and public["secret"].endswith("…")
    assert sub.to_public(with_secret=True)["secret"] == sub.secret
    assert service.list_subscriptions(deps, "acc-1") == [sub]
    assert service.list_subscriptions(deps, "acc-2") == []
    with pytest.raises(NotFoundError):
        service.get_subscription(deps, "acc-2", sub.id)
    with pytest.raises(NotFoundError):
        service.delete_subscription(deps, "acc-2", sub.id)
    service.delete_subscription(deps, "acc-1", sub.id)
    assert service.list_subscriptions(deps, "acc-1") == []


@pytest.mark.parametrize("types", [[], ["invoice.deleted"], "invoice.received", [1]])
def test_event_types_are_enumerated(deps, types):
    with pytest.raises(InvalidInputError) as exc:
        service.create_subscription(deps, "acc-1", url=URL, event_types=types)
    assert exc.value.details[0].rule == "WH-EVENT-TYPES"
    assert exc.value.details[0].extra["allowed"] == list(model.EVENT_TYPES)


def test_subscription_limit_per_account(deps):
    for _ in range(model.MAX_SUBSCRIPTIONS):
        subscribe(deps)
    with pytest.raises(ConflictError):
        subscribe(deps)
    subscribe(deps, account="acc-2")


# ------------------------------------------------------------------------------------- delivery
def test_publish_matches_account_and_event_type(deps):
    wanted = subscribe(deps)
    subscribe(deps, types=["payment.created"])
    subscribe(deps, account="acc-2")
    event, deliveries = emit(deps)
    assert [d.subscription_id for d in deliveries] == [wanted.id]
    body = json.loads(deliveries[0].body)
    assert body == {"id": event.id, "type": "invoice.received", "occurredAt": "2026-12-02T09:00:00.000Z",
                    "accountId": "acc-1", "data": {"invoiceId": "inv-1"}}


def test_a_delivery_is_signed_and_verifiable_by_the_client(deps):
    sub = subscribe(deps)
    event, [delivery] = emit(deps)
    assert service.deliver_due(deps) == {"DELIVERED": 1, "PENDING": 0, "DEAD": 0, "skipped": 0}
    [(url, body, headers)] = deps.sender.calls
    assert url == URL and body == delivery.body.encode()
    now = deps.clock().timestamp()
    assert signing.verify_signature(sub.secret, body, headers["X-Einvoice-Signature"], now=now)
    assert (headers["X-Einvoice-Event-Id"], headers["X-Einvoice-Event-Type"], headers["X-Einvoice-Delivery-Id"]) == (
        event.id, "invoice.received", delivery.id)
    stored = deps.deliveries.get("acc-1", delivery.id)
    assert (stored.status, stored.attempts, stored.last_status) == ("DELIVERED", 1, 200)
    assert service.deliver_due(deps)["DELIVERED"] == 0  # nothing due any more


def test_failures_are_retried_on_the_backoff_schedule_then_dead_lettered(deps):
    subscribe(deps)
    deps.sender.statuses[URL] = 503
    _, [delivery] = emit(deps)
    schedule = []
    for _ in range(model.MAX_ATTEMPTS):
        counts = service.deliver_due(deps)
        assert counts["DELIVERED"] == 0
        stored = deps.deliveries.get("acc-1", delivery.id)
        if stored.status == "DEAD":
            break
        wait = model.parse_iso(stored.next_attempt_at) - deps.clock()
        schedule.append(int(wait.total_seconds()))
        deps.clock.advance(seconds=wait.total_seconds() - 1)
        assert service.deliver_due(deps)["PENDING"] == 0  # not yet due
        deps.clock.advance(seconds=1)
    assert schedule == list(model.BACKOFF_SECONDS)
    assert (stored.status, stored.attempts, stored.last_status, stored.last_error) == (
        "DEAD", model.MAX_ATTEMPTS, 503, "HTTP 503")
    assert len(deps.sender.calls) == model.MAX_ATTEMPTS
    assert [d.id for d in service.dead_letters(deps, "acc-1")] == [delivery.id]
    assert service.dead_letters(deps, "acc-2") == []


def test_an_endpoint_that_is_down_receives_every_event_once_it_is_back(deps):
    sub = subscribe(deps)
    deps.sender.down.add(URL)
    events = [emit(deps, invoiceId=f"inv-{n}")[0] for n in range(3)]
    # down for an hour: retried, still pending
    for _ in range(5):
        service.deliver_due(deps)
        deps.clock.advance(minutes=15)
    deps.sender.down.clear()
    deps.clock.advance(hours=2)
    assert service.deliver_due(deps)["DELIVERED"] == 3
    # down for three days: dead-lettered, then replayed once back
    later = [emit(deps, invoiceId=f"late-{n}")[0] for n in range(2)]
    deps.sender.down.add(URL)
    for _ in range(40):
        service.deliver_due(deps)
        deps.clock.advance(hours=2)
    assert len(service.dead_letters(deps, "acc-1")) == 2
    deps.sender.down.clear()
    replayed = service.replay_dead(deps, "acc-1", subscription_id=sub.id)
    assert len(replayed) == 2 and service.dead_letters(deps, "acc-1") == []
    assert service.deliver_due(deps)["DELIVERED"] == 2
    received = [json.loads(body)["id"] for _, body, _ in deps.sender.accepted]
    assert sorted(received) == sorted(e.id for e in events + later)  # every event, each once
    assert all(d.status == "DELIVERED" for d in deps.deliveries.items.values())
    for _, body, headers in deps.sender.accepted:
        timestamp = int(headers["X-Einvoice-Signature"].split(",")[0][2:])
        assert signing.verify_signature(sub.secret, body, headers["X-Einvoice-Signature"], now=timestamp)


def test_replay_of_a_delivered_one_and_not_of_a_pending_one(deps):
    subscribe(deps)
    _, [delivery] = emit(deps)
    with pytest.raises(ConflictError):
        service.replay(deps, "acc-1", delivery.id)
    service.deliver_due(deps)
    again = service.replay(deps, "acc-1", delivery.id)
    assert (again.status, again.attempts) == ("PENDING", 0)
    assert service.deliver_due(deps)["DELIVERED"] == 1
    assert len(deps.sender.calls) == 2
    with pytest.raises(NotFoundError):
        service.replay(deps, "acc-2", delivery.id)


def test_one_sender_per_attempt(deps):
    subscribe(deps)
    _, [delivery] = emit(deps)
    assert service.attempt(deps, delivery).status == "DELIVERED"
    assert service.attempt(deps, delivery) is None  # a second sender with the same stale view
    assert len(deps.sender.calls) == 1


def test_deleted_subscription_dead_letters_its_deliveries(deps):
    sub = subscribe(deps)
    _, [delivery] = emit(deps)
    service.delete_subscription(deps, "acc-1", sub.id)
    assert service.deliver_due(deps)["DEAD"] == 1
    assert deps.sender.calls == []
    assert deps.deliveries.get("acc-1", delivery.id).last_error == "the subscription was deleted or deactivated"


def test_a_crashing_sender_is_a_failed_attempt(deps):
    subscribe(deps)

    class Boom:
        def post(self, url, body, headers):
            raise RuntimeError("socket exploded")

    deps.sender = Boom()
    _, [delivery] = emit(deps)
    assert service.deliver_due(deps)["PENDING"] == 1
    stored = deps.deliveries.get("acc-1", delivery.id)
    assert stored.last_error == "RuntimeError: socket exploded" and stored.attempts == 1


def test_public_views(deps):
    subscribe(deps)
    _, [delivery] = emit(deps)
    view = delivery.to_public()
    assert view["status"] == "PENDING" and "body" not in view and view["nextAttemptAt"] == view["createdAt"]


# ------------------------------------------------------------------- real sender, loopback client
class _Client(http.server.BaseHTTPRequestHandler):
    secret = ""
    received: list[tuple[str, dict]] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.end_headers()
            return
        try:
            signing.verify_signature(self.secret, body, self.headers.get("X-Einvoice-Signature"))
        except signing.SignatureError as exc:
            self.send_response(400)
            self.end_headers()
            self.wfile.write(exc.reason.encode())
            return
        self.received.append((self.headers["X-Einvoice-Event-Id"], json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def client_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Client)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Client.received = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_real_sender_and_a_test_client_verifying_signatures(client_server):
    deps = service.WebhookDeps(subscriptions=MemorySubscriptions(), deliveries=MemoryDeliveries(),
                               sender=UrllibSender(allow_loopback=True), allow_loopback_http=True)
    good = service.create_subscription(deps, "acc-1", url=f"{client_server}/hook", event_types=["import.finished"])
    _Client.secret = good.secret
    event = service.new_event(deps, "acc-1", "import.finished", {"importId": "imp-1", "state": "SUCCEEDED"})
    service.publish(deps, event)
    assert service.deliver_due(deps)["DELIVERED"] == 1
    assert _Client.received == [(event.id, json.loads(event.body()))]
    # a wrong secret is refused by the client (400), and a redirect is not followed
    forged = service.create_subscription(deps, "acc-1", url=f"{client_server}/hook", event_types=["import.finished"])
    redirect = service.create_subscription(deps, "acc-1", url=f"{client_server}/redirect",
                                           event_types=["import.finished"])
    service.delete_subscription(deps, "acc-1", good.id)
    service.publish(deps, service.new_event(deps, "acc-1", "import.finished", {}))
    assert service.deliver_due(deps)["PENDING"] == 2
    statuses = {d.subscription_id: d.last_status for d in deps.deliveries.items.values() if d.attempts}
    assert statuses[forged.id] == 400 and statuses[redirect.id] == 302


def test_real_sender_refuses_non_public_addresses_without_connecting():
    result = UrllibSender(allow_loopback=False).post("https://127.0.0.1:9/hook", b"{}", {})
    assert result.status is None and "non-public" in result.error
