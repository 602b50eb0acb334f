"""POST /v1/invoices: JSON invoice for one of the tenant's companies -> stored draft (422 with rule ids)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.invoicing import service
from einvoice.invoicing.models import InvoiceCreate, InvoiceOut

app = ApiApp()


@app.post("/v1/invoices")
def create_invoice(body: InvoiceCreate) -> Response[InvoiceOut]:
    return app.idempotent(lambda: app.model_response(201, service.create_invoice(app.tenant(), body)))


lambda_handler = app.lambda_handler
