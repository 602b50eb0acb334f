"""GET /v1/companies/{id}: one company (404 for an unknown id or another tenant's)."""

from einvoice.api.http import ApiApp
from einvoice.companies import service
from einvoice.companies.models import CompanyOut

app = ApiApp()


@app.get("/v1/companies/<id>")
def get_company(id: str) -> CompanyOut:  # noqa: A002 - the path parameter is {id}
    return service.get_company(app.tenant(), id)


lambda_handler = app.lambda_handler
