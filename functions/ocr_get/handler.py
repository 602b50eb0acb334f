"""GET /v1/invoices/ocr/{id}: state, fields by business term with confidence and position, findings."""

from einvoice.api.http import ApiApp
from einvoice.ocr import service
from einvoice.ocr.models import OcrOut

app = ApiApp()


@app.get("/v1/invoices/ocr/<id>")
def get_ocr(id: str) -> OcrOut:
    return OcrOut.model_validate(service.get(app.tenant(), id))


lambda_handler = app.lambda_handler
