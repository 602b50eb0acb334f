"""Routes and functions of the lifecycle area (merged by ``einvoice.routes``)."""

from __future__ import annotations

from einvoice.routing import JSON, Function, Route

FUNCTIONS = (
    Function("invoices_status",
             routes=(Route("POST", "/v1/invoices/{id}/status",
                           summary="Set a lifecycle status: buyer 204-208, 210, 211; seller 209, 212, 220",
                           content_types=JSON, idempotent=True),),
             access=("tenancy:r", "data:rw", "outbox:w", "events:put", "sqs:send:status"),
             memory_mb=1024, needs=("validation",),
             description="Lifecycle action: check, CDAR (validated), PPF copy, record, notify the other side"),
    Function("lifecycle_status_send", access=("data:rw", "directory:r", "ssm:platforms", "sqs:send:status"),
             queue_trigger="status", memory_mb=1024, timeout_seconds=60, needs=("validation",),
             description="Status queue: send a status (CDAR) to the other platform through the Flow API"),
)
