"""POST /v1/invoices/{id}/issue: start the transmission of a draft (202 ``{id, transmissionId, state, status}``)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.invoicing.models import InvoiceIssued
from einvoice.transmission import service

app = ApiApp()


@app.post("/v1/invoices/<id>/issue")
def issue(id: str) -> Response[InvoiceIssued]:  # noqa: A002 - the path parameter is {id}
    out = service.issue_invoice(app.tenant(), id, idempotency_key=app.header("Idempotency-Key"))
    return app.model_response(202, InvoiceIssued.model_validate(out))


lambda_handler = app.lambda_handler
