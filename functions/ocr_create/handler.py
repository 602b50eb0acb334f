"""POST /v1/invoices/ocr?companyId=: the document as the body (PDF, JPEG, PNG, TIFF) -> 202 ``{id, state}``."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from einvoice.api.http import ApiApp
from einvoice.ocr import service
from einvoice.ocr.models import OcrAccepted

app = ApiApp()


@app.post("/v1/invoices/ocr")
def submit(companyId: Annotated[str, Query(description="The company receiving the invoice")]) -> Response[OcrAccepted]:
    def submit_once():
        out = service.submit(app.tenant(), companyId, app.raw_body(), app.header("Content-Type"))
        return app.model_response(202, OcrAccepted.model_validate(out))

    return app.idempotent(submit_once)


lambda_handler = app.lambda_handler
