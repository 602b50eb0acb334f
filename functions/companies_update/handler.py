"""PATCH /v1/companies/{id}: change the options and the number of employees."""

from einvoice.api.http import ApiApp
from einvoice.companies import service
from einvoice.companies.models import CompanyOut, CompanyUpdate

app = ApiApp()


@app.patch("/v1/companies/<id>")
def update_company(id: str, body: CompanyUpdate) -> CompanyOut:  # noqa: A002
    return service.update_company(app.tenant(), id, body)


lambda_handler = app.lambda_handler
