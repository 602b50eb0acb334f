"""GET /v1/companies/imports/{id}: progress and per-line errors of an import."""

from einvoice.api.http import ApiApp
from einvoice.companies import imports
from einvoice.companies.models import ImportOut

app = ApiApp()


@app.get("/v1/companies/imports/<id>")
def get_import(id: str) -> ImportOut:  # noqa: A002
    return imports.get_import(app.tenant(), id)


lambda_handler = app.lambda_handler
