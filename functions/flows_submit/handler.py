"""POST /v1/flows (AFNOR XP Z12-013): multipart ``flowInfo`` (JSON) + ``file``; 202 with the flow.

OAuth2 (scope einvoice/flows.write). Errors in the standard's shape (``einvoice.flows.errors``):
ChecksumMismatch, AlreadyExistingFlow (409), FileSizeExceeded (413), EmptyFlow, FlowTypeError...
"""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.flows import service
from einvoice.flows.errors import afnor_error_body
from einvoice.flows.models import FlowOut

app = ApiApp(error_format=afnor_error_body)


@app.post("/v1/flows")
def submit() -> Response[FlowOut]:
    client = service.caller(app.event.request_context.authorizer.claims)
    flow = service.submit_flow(client, app.raw_body(), app.header("content-type"))
    return app.model_response(202, flow)


lambda_handler = app.lambda_handler
