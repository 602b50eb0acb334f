"""POST /v1/conversions?to=cii|ubl|facturx: convert a CII / UBL / Factur-X document."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from einvoice.api.http import ApiApp
from einvoice.invoicing import service

app = ApiApp()


@app.post("/v1/conversions")
def create_conversion(to: Annotated[str, Query(pattern="^(cii|ubl|facturx)$", description="target format")]):
    app.tenant()
    data, content_type, filename = service.convert_document(app.raw_body(), to)
    return app.binary_response(data, content_type, filename)


lambda_handler = app.lambda_handler
