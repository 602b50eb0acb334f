"""POST /v1/validations: raw CII / UBL / Factur-X body -> three-layer validation report."""

from typing import Any

from einvoice.api.http import ApiApp
from einvoice.invoicing import service

app = ApiApp()


@app.post("/v1/validations")
def create_validation() -> dict[str, Any]:
    app.tenant()
    return service.validate_document(app.raw_body(), filename=app.header("x-filename"))


lambda_handler = app.lambda_handler
