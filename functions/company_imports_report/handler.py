"""GET /v1/companies/imports/{id}/report: 303 to a short-lived download URL of the per-line report (CSV)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.imports import service
from einvoice.imports.models import ReportLink

app = ApiApp()


@app.get("/v1/companies/imports/<id>/report")
def import_report(id: str) -> Response[ReportLink]:  # noqa: A002
    link = service.report_link(app.tenant(), id)
    return app.model_response(303, link, headers={"Location": link.url})


lambda_handler = app.lambda_handler
