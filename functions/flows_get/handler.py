"""GET /v1/flows/{flowId}?docType=Metadata|Original|Converted|ReadableView (AFNOR XP Z12-013)."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from einvoice.api.http import ApiApp
from einvoice.flows import service
from einvoice.flows.errors import afnor_error_body

app = ApiApp(error_format=afnor_error_body)


@app.get("/v1/flows/<flowId>")
def get_flow(
    flowId: Annotated[str, Path(max_length=64)],  # noqa: N803
    docType: Annotated[Literal["Metadata", "Original", "Converted", "ReadableView"],  # noqa: N803
                       Query(description="Metadata (JSON, default) or a document")] = "Metadata",
):
    client = service.caller(app.event.request_context.authorizer.claims)
    found = service.get_flow(client, flowId, docType)
    if isinstance(found, tuple):
        data, ctype, filename = found
        return app.binary_response(data, ctype, filename)
    return app.model_response(200, found)


lambda_handler = app.lambda_handler
