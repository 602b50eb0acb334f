"""GET /v1/companies/imports/{id}: progress, counters and first errors of an import."""

from einvoice.api.http import ApiApp
from einvoice.imports import service
from einvoice.imports.models import ImportOut

app = ApiApp()


@app.get("/v1/companies/imports/<id>")
def get_import(id: str) -> ImportOut:  # noqa: A002
    return service.get_import(app.tenant(), id)


lambda_handler = app.lambda_handler
