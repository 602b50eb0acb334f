"""The webhook stores on the data table (moto): the same delivery flow as with the memory fakes."""

from __future__ import annotations

import datetime as dt

from einvoice.webhooks import model, service
from einvoice.webhooks.dynamodb import DynamoDeliveries, DynamoSubscriptions
from einvoice.webhooks.memory import FakeSender

URL = "https://hooks.example.com/einvoice"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now


def test_subscriptions_deliveries_dead_letters_and_replay_on_dynamodb(aws):
    from einvoice.adapters.aws.clients import table

    data = table(aws.settings.data_table)
    clock = Clock()
    deps = service.WebhookDeps(subscriptions=DynamoSubscriptions(data), deliveries=DynamoDeliveries(data),
                               sender=FakeSender(), clock=clock)
    sub = service.create_subscription(deps, "acc-1", url=URL, event_types=["invoice.status_changed"],
                                      description="ERP")
    other = service.create_subscription(deps, "acc-2", url=URL, event_types=["invoice.status_changed"])
    assert service.list_subscriptions(deps, "acc-1") == [sub]
    assert service.get_subscription(deps, "acc-2", other.id) == other

    event = service.new_event(deps, "acc-1", "invoice.status_changed", {"invoiceId": "inv-1", "status": 205})
    [delivery] = service.publish(deps, event)
    assert deps.deliveries.get("acc-1", delivery.id) == delivery
    assert service.deliver_due(deps)["DELIVERED"] == 1
    stored = deps.deliveries.get("acc-1", delivery.id)
    assert (stored.status, stored.attempts, stored.last_status) == ("DELIVERED", 1, 200)
    item = data.get_item(Key={"pk": "ACC#acc-1", "sk": f"WHDLV#{delivery.id}"})["Item"]
    assert "gsi2pk" not in item and int(item["expiresAt"]) > clock.now.timestamp()  # out of the queue, TTL set
    assert service.attempt(deps, delivery) is None  # stale view: the claim is refused

    deps.sender.down.add(URL)
    [failing] = service.publish(deps, service.new_event(deps, "acc-1", "invoice.status_changed", {}))
    for _ in range(model.MAX_ATTEMPTS):
        service.deliver_due(deps)
        clock.now += dt.timedelta(days=1)
    assert [d.id for d in service.dead_letters(deps, "acc-1")] == [failing.id]
    assert service.dead_letters(deps, "acc-2") == []
    deps.sender.down.clear()
    service.replay_dead(deps, "acc-1")
    assert service.dead_letters(deps, "acc-1") == []
    assert service.deliver_due(deps)["DELIVERED"] == 1
    assert deps.deliveries.get("acc-1", failing.id).status == "DELIVERED"

    service.delete_subscription(deps, "acc-1", sub.id)
    assert service.list_subscriptions(deps, "acc-1") == []
