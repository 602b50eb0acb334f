"""POST /v1/flows/search (AFNOR XP Z12-013): the caller's flows, ``updatedAfter`` strict, cursor pages."""

from einvoice.api.http import ApiApp
from einvoice.errors import ErrorDetail, InvalidInputError
from einvoice.flows import service
from einvoice.flows.errors import afnor_error_body
from einvoice.flows.models import SearchIn, SearchOut

app = ApiApp(error_format=afnor_error_body)


@app.post("/v1/flows/search")
def search(body: SearchIn) -> SearchOut:
    if not isinstance(app.event.json_body, dict):  # every field has a default: 0 or [] would pass as {}
        raise InvalidInputError("The body must be a JSON object", [
            ErrorDetail("a JSON object is expected", field="body", rule="model_type")])
    return service.search_flows(service.caller(app.event.request_context.authorizer.claims), body)


lambda_handler = app.lambda_handler
