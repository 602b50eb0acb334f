"""GET /v1/invoices/{id}/document?format=facturx|cii|ubl|pdf: the generated document (pdf: readable view)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from einvoice.api.http import ApiApp
from einvoice.invoicing import service

app = ApiApp()


@app.get("/v1/invoices/<id>/document")
def get_document(
    id: str, format: Annotated[str, Query(pattern="^(facturx|cii|ubl|pdf)$", description="document format (pdf: readable view)")] = "facturx"
):
    data, content_type, filename = service.get_document(app.tenant(), id, format)
    return app.binary_response(data, content_type, filename)


lambda_handler = app.lambda_handler
