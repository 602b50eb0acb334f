"""PATCH /v1/invoices/ocr/{id}: corrected fields (and VAT breakdown / lines); the checks run again."""

from einvoice.api.http import ApiApp
from einvoice.ocr import service
from einvoice.ocr.models import OcrCorrection, OcrOut

app = ApiApp()


@app.patch("/v1/invoices/ocr/<id>")
def correct(id: str, body: OcrCorrection) -> OcrOut:
    out = service.correct(app.tenant(), id, body.model_dump(by_alias=True, exclude_none=True))
    return OcrOut.model_validate(out)


lambda_handler = app.lambda_handler
