"""POST /v1/invoices/{id}/status: a lifecycle status set by the buyer or the seller (200, the invoice after)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.invoicing.models import InvoiceOut
from einvoice.lifecycle import api
from einvoice.lifecycle.models import StatusActionIn

app = ApiApp()


@app.post("/v1/invoices/<id>/status")
def set_status(id: str, body: StatusActionIn) -> Response[InvoiceOut]:  # noqa: A002 - the path parameter is {id}
    return app.idempotent(lambda: app.model_response(200, api.set_invoice_status(app.tenant(), id, body)))


lambda_handler = app.lambda_handler
