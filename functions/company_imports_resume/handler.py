"""POST /v1/companies/imports/{id}/resume: a stopped import continues from what it committed (202)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.imports import service
from einvoice.imports.models import ImportOut

app = ApiApp()


@app.post("/v1/companies/imports/<id>/resume")
def resume_import(id: str) -> Response[ImportOut]:  # noqa: A002
    return app.model_response(202, service.resume(app.tenant(), id))


lambda_handler = app.lambda_handler
