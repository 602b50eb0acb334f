"""Routes and functions of the webhooks area: tenant-scoped subscriptions, dead letters and replay; the
fan-out of the platform's bus events (rule -> webhook events queue -> ``webhooks_fanout``) and the
scheduled sender (``webhooks_deliver``)."""

from __future__ import annotations

from einvoice.routing import JSON, Function, Route

FUNCTIONS = (
    Function("webhooks_create", routes=(Route("POST", "/v1/webhooks", summary="Subscribe a URL to event types", content_types=JSON,
                                            idempotent=True, status=201),),
             access=("tenancy:r", "data:rw"), memory_mb=256, description="Create a webhook subscription"),
    Function("webhooks_list", routes=(Route("GET", "/v1/webhooks", summary="The account's webhook subscriptions"),),
             access=("tenancy:r", "data:r"), memory_mb=256, description="List webhook subscriptions"),
    Function("webhooks_get", routes=(Route("GET", "/v1/webhooks/{id}", summary="A webhook subscription"),),
             access=("tenancy:r", "data:r"), memory_mb=256, description="Read a webhook subscription"),
    Function("webhooks_delete", routes=(Route("DELETE", "/v1/webhooks/{id}", summary="Delete a subscription", status=204),),
             access=("tenancy:r", "data:rw"), memory_mb=256, description="Delete a webhook subscription"),
    Function("webhook_deliveries_dead",
             routes=(Route("GET", "/v1/webhook-deliveries", summary="Dead-letter list (deliveries that failed "
                                                                    "every attempt)"),),
             access=("tenancy:r", "data:r"), memory_mb=256, description="List dead webhook deliveries"),
    Function("webhook_delivery_replay",
             routes=(Route("POST", "/v1/webhook-deliveries/{id}/replay", summary="Send a delivery again", status=202),),
             access=("tenancy:r", "data:rw"), memory_mb=256, description="Replay a webhook delivery"),
    Function("webhooks_fanout", access=("data:rw",), queue_trigger="webhook_events", memory_mb=256,
             timeout_seconds=60, description="Bus events -> one webhook delivery per matching subscription"),
    Function("webhooks_deliver", access=("data:rw",), schedule="rate(1 minute)", memory_mb=256,
             timeout_seconds=120, description="Send the due webhook deliveries (signed, retried, dead-lettered)"),
)
