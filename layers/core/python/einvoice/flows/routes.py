"""Routes and functions of the Flow API (AFNOR XP Z12-013, server side; merged by ``einvoice.routes``).

``auth="oauth2"``: a Bearer token of a Flow API client (OAuth2 client credentials), checked by API
Gateway's Cognito authorizer with the route's scope on AWS, by the local server on the same records
locally (``local/oauth.py``). Errors of these routes are in the standard's shape (``flows.errors``).
"""

from __future__ import annotations

from einvoice.flows.clients import SCOPE_READ, SCOPE_WRITE
from einvoice.routing import JSON, MULTIPART, Function, Route

FUNCTIONS = (
    Function("flows_submit",
             routes=(Route("POST", "/v1/flows", auth="oauth2", scopes=(SCOPE_WRITE,), content_types=MULTIPART,
                           summary="Submit a flow: an invoice (CII, UBL, Factur-X) or a status (CDAR) (202)",
                           status=202),),
             access=("tenancy:r", "data:rw", "drop:rw", "directory:r", "events:put", "sfn:start:reception",
                     "sfn:start:transmission", "sqs:send:redelivery"),
             needs=("validation",), memory_mb=1536, timeout_seconds=29,
             description="Flow API: check, keep and dispatch a flow (reception, incoming status, deposit)"),
    Function("flows_search",
             routes=(Route("POST", "/v1/flows/search", auth="oauth2", scopes=(SCOPE_READ,), content_types=JSON,
                           summary="Search the flows you sent or that are addressed to you"),),
             access=("tenancy:r", "data:r"), memory_mb=256, description="Flow API: search flows"),
    Function("flows_get",
             routes=(Route("GET", "/v1/flows/{flowId}", auth="oauth2", scopes=(SCOPE_READ,), binary=True,
                           summary="A flow: Metadata, or its Original, Converted or ReadableView document"),),
             access=("tenancy:r", "data:r", "drop:r"), needs=("render",), memory_mb=1024,
             description="Flow API: read a flow or one of its documents"),
    Function("flows_healthcheck",
             routes=(Route("GET", "/v1/healthcheck", auth="none", summary="Flow API healthcheck"),),
             memory_mb=256, description="Flow API: healthcheck"),
)
