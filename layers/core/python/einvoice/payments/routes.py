"""Routes and functions of the payments area (purchase-payment option; merged by ``einvoice.routes``)."""

from __future__ import annotations

from einvoice.routing import JSON, Function, Route

FUNCTIONS = (
    Function("payments_create",
             routes=(Route("POST", "/v1/payments", summary="Pay approved received invoices by SEPA transfer (pain.001)",
                           content_types=JSON, idempotent=True, status=201),),
             access=("tenancy:r", "data:rw", "outbox:w", "events:put", "sqs:send:status"), memory_mb=1024,
             timeout_seconds=29, needs=("payments", "validation"),
             description="Payment batch: checks, pain.001 file (XSD-checked), 211 on each invoice"),
    Function("payments_get", routes=(Route("GET", "/v1/payments/{id}", summary="A payment batch"),),
             access=("tenancy:r", "data:r"), memory_mb=256, description="Read a payment batch"),
    Function("payments_file",
             routes=(Route("GET", "/v1/payments/{id}/file", summary="The SEPA credit transfer file (pain.001 XML)",
                           binary=True),),
             access=("tenancy:r", "data:r"), memory_mb=512, needs=("payments",),
             description="Regenerate a batch's pain.001 file, XSD-checked"),
)
