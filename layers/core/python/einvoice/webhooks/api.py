"""The tenant-facing webhook operations (what the HTTP handlers call), on the per-container deps."""

from __future__ import annotations

from einvoice.tenancy import Tenant
from einvoice.webhooks import service
from einvoice.webhooks.models import DeliveryList, DeliveryOut, WebhookCreate, WebhookList, WebhookOut

_deps: service.WebhookDeps | None = None


def default_deps() -> service.WebhookDeps:
    """DynamoDB stores on the data table, the urllib sender, the loopback setting (cached per container)."""
    global _deps
    if _deps is None:
        from einvoice.adapters.aws.clients import table
        from einvoice.settings import get_settings
        from einvoice.webhooks.dynamodb import DynamoDeliveries, DynamoSubscriptions
        from einvoice.webhooks.http import UrllibSender

        s = get_settings()
        data = table(s.data_table, s)
        _deps = service.WebhookDeps(subscriptions=DynamoSubscriptions(data), deliveries=DynamoDeliveries(data),
                                    sender=UrllibSender(allow_loopback=s.webhooks_allow_loopback_http),
                                    allow_loopback_http=s.webhooks_allow_loopback_http)
    return _deps


def deliver_due(time_left_ms=None, *, batch: int = 20, reserve_ms: int = 30_000) -> dict[str, int]:
    """The scheduled sender (``webhooks_deliver``, every minute in AWS): batches of due deliveries until
    none is due or the invocation has less than ``reserve_ms`` left (an attempt may take 5 s)."""
    total: dict[str, int] = {}
    while True:
        counts = service.deliver_due(default_deps(), limit=batch)
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
        if sum(counts.values()) < batch or (time_left_ms is not None and time_left_ms() < reserve_ms):
            return total


def fanout(event: dict) -> dict:
    """The webhook events queue consumer (``webhooks_fanout``)."""
    from einvoice.webhooks.fanout import fanout as run

    return run(event, default_deps())


def reset_default_deps() -> None:
    global _deps
    _deps = None


def _account(tenant: Tenant) -> str:
    tenant.account_pk  # noqa: B018 - 403 for a partner-level key
    return tenant.account_id or ""


def create(tenant: Tenant, body: WebhookCreate, *,
           deps: service.WebhookDeps | None = None) -> WebhookOut:
    sub = service.create_subscription(deps or default_deps(), _account(tenant), url=body.url,
                                      event_types=body.event_types, description=body.description)
    return WebhookOut.model_validate(sub.to_public(with_secret=True))


def list_all(tenant: Tenant, *, deps: service.WebhookDeps | None = None) -> WebhookList:
    subs = service.list_subscriptions(deps or default_deps(), _account(tenant))
    return WebhookList(items=[WebhookOut.model_validate(s.to_public()) for s in subs])


def get(tenant: Tenant, subscription_id: str, *, deps: service.WebhookDeps | None = None) -> WebhookOut:
    sub = service.get_subscription(deps or default_deps(), _account(tenant), subscription_id)
    return WebhookOut.model_validate(sub.to_public())


def delete(tenant: Tenant, subscription_id: str, *, deps: service.WebhookDeps | None = None) -> None:
    service.delete_subscription(deps or default_deps(), _account(tenant), subscription_id)


def dead_letters(tenant: Tenant, *, deps: service.WebhookDeps | None = None) -> DeliveryList:
    items = service.dead_letters(deps or default_deps(), _account(tenant))
    return DeliveryList(items=[DeliveryOut.model_validate(d.to_public()) for d in items])


def replay(tenant: Tenant, delivery_id: str, *, deps: service.WebhookDeps | None = None) -> DeliveryOut:
    delivery = service.replay(deps or default_deps(), _account(tenant), delivery_id)
    return DeliveryOut.model_validate(delivery.to_public())
