"""POST /v1/companies/imports?header=&enrol=: CSV body -> 202 with the import id."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from einvoice.api.http import ApiApp
from einvoice.imports import service
from einvoice.imports.models import ImportOut

app = ApiApp()


@app.post("/v1/companies/imports")
def create_import(
    header: Annotated[Literal["true", "false"] | None,
                      Query(description="the file has a header line (default: detect)")] = None,
    enrol: Annotated[Literal["true", "false"] | None,
                     Query(description="select eligible companies for a mass enrolment")] = None,
) -> Response[ImportOut]:
    return app.idempotent(
        lambda: app.model_response(202, service.start_upload(app.tenant(), app.raw_body(), header, enrol))
    )


lambda_handler = app.lambda_handler
