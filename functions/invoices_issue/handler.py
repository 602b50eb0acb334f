"""POST /v1/invoices/{id}/issue: start the transmission of a draft (202 ``{id, transmissionId, state, status}``)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.invoicing.models import InvoiceIssued
from einvoice.transmission import service

app = ApiApp()


@app.post("/v1/invoices/<id>/issue")
def issue(id: str) -> Response[InvoiceIssued]:  # noqa: A002 - the path parameter is {id}
    def issue_once():
        out = service.issue_invoice(app.tenant(), id)
        return app.model_response(202, InvoiceIssued.model_validate(out))

    return app.idempotent(issue_once)


lambda_handler = app.lambda_handler
