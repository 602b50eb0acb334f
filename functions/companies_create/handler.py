"""POST /v1/companies: create a company of the caller's account (201; 409 for a duplicate identifier)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.companies import service
from einvoice.companies.models import CompanyIn, CompanyOut

app = ApiApp()


@app.post("/v1/companies")
def create_company(body: CompanyIn) -> Response[CompanyOut]:
    return app.idempotent(lambda: app.model_response(201, service.create_company(app.tenant(), body)))


lambda_handler = app.lambda_handler
