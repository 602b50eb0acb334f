"""GET /v1/invoices/{id}: one invoice draft of the tenant."""

from einvoice.api.http import ApiApp
from einvoice.invoicing import service
from einvoice.invoicing.models import InvoiceOut

app = ApiApp()


@app.get("/v1/invoices/<id>")
def get_invoice(id: str) -> InvoiceOut:  # noqa: A002 - the path parameter is {id}
    return service.get_invoice(app.tenant(), id)


lambda_handler = app.lambda_handler
