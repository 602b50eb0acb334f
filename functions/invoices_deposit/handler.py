"""POST /v1/invoices/files?companyId=...[&issue=true]: deposit a Factur-X / CII / UBL file (raw body).

201 with the stored record; 202 when ``issue=true`` started its transmission; 422 ``InvoiceRejected``
when it fails the checks or repeats an invoice (the record is kept with status 213).
"""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from einvoice.api.http import ApiApp
from einvoice.invoicing.models import InvoiceOut
from einvoice.invoicing.service import to_out
from einvoice.transmission import service

app = ApiApp()


@app.post("/v1/invoices/files")
def deposit(
    companyId: Annotated[str, Query(min_length=1, description="The issuing company")],  # noqa: N803
    issue: Annotated[bool, Query(description="Also issue it (202)")] = False,
) -> Response[InvoiceOut]:
    def deposit_once():
        status, record = service.deposit_file(app.tenant(), companyId, app.raw_body(), issue=issue)
        return app.model_response(status, to_out(record))

    return app.idempotent(deposit_once)


lambda_handler = app.lambda_handler
