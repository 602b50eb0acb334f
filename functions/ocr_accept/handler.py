"""POST /v1/invoices/ocr/{id}/accept: Factur-X generated and validated, archived beside the original,
the received invoice recorded (source OCR)."""

from einvoice.api.http import ApiApp
from einvoice.ocr import service
from einvoice.ocr.models import OcrOut

app = ApiApp()


@app.post("/v1/invoices/ocr/<id>/accept")
def accept(id: str) -> OcrOut:
    return OcrOut.model_validate(service.accept(app.tenant(), id))


lambda_handler = app.lambda_handler
