"""The OpenAPI document, generated from the handlers' own Powertools resolvers and the manifest.

Each Lambda's resolver knows its route's models; this module merges them into one document
and adds what the manifest says (API key security, summaries). ``docs/openapi.json`` is this
output; a test fails when the committed copy is stale (``make openapi`` rewrites it).
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from einvoice import __version__

TITLE = "einvoice: French e-invoicing platform API"


ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

#: answers of API Gateway itself or of the gate, possible on every route (``einvoice.api.limits``)
COMMON_ERRORS = {
    "400": "Unreadable request (not UTF-8, not JSON, nesting or numbers over the limits, bad base64)",
    "413": "Body over the size limit (10 MB; JSON 2 MB; a draft over the item limit)",
    "414": "URL over the size limit",
    "422": "Validation error: field path and rule id in details (parameters: length, control characters)",
    "429": "Throttled by the usage plan (API Gateway)",
    "431": "Request line and headers over the size limit",
    "500": "Internal error (the request id identifies the logged trace)",
    "503": "A dependency (directory, Step Functions, e-mail) is unavailable: retry later",
    "504": "Timeout (API Gateway: the operation took longer than 29 seconds)",
}
PARAM_PATTERN = "^[^\\u0000-\\u001f\\u007f]*$"


def _error_schema() -> dict[str, Any]:
    detail = {
        "type": "object",
        "required": ["message"],
        "properties": {
            "field": {"type": "string", "description": "Path of the field (body.x.y, query.x, header.x)"},
            "rule": {"type": "string", "description": "Rule id (EN 16931 / BR-FR / COMPANY-xx / limit)"},
            "message": {"type": "string"},
            "messageFr": {"type": "string"},
        },
    }
    return {
        "type": "object",
        "required": ["code", "message", "details", "requestId"],
        "properties": {
            "code": {"type": "string", "description": "Stable error code (ValidationError, NotFound, Conflict...)"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": detail},
            "requestId": {"type": ["string", "null"]},
        },
    }


def _bound_parameters(op: dict[str, Any]) -> None:
    """The gate's limits on every path / query parameter (length, no control character)."""
    from einvoice.api import limits

    for param in op.get("parameters", []):
        schema = param.setdefault("schema", {})
        for option in [schema, *schema.get("anyOf", [])]:
            if option.get("type") == "string" and "enum" not in option and "const" not in option:
                option.setdefault("maxLength", limits.MAX_QUERY_VALUE_CHARS)
                option.setdefault("pattern", PARAM_PATTERN)
        if param.get("in") == "path":
            schema.setdefault("minLength", 1)


FLOW_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/FlowError"}}}
#: what API Gateway answers itself on the Flow API routes (its Gateway Responses: the platform's body)
GATEWAY_STATUSES = ("401", "403", "414", "429", "431", "504")


def _multipart_body() -> dict[str, Any]:
    from einvoice.flows.service import MAX_FLOW_BYTES

    return {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["flowInfo", "file"], "properties": {
            "flowInfo": {"$ref": "#/components/schemas/FlowInfoIn"},
            "file": {"type": "string", "format": "binary", "maxLength": MAX_FLOW_BYTES,
                     "description": "The invoice (CII, UBL, Factur-X) or the status (CDAR)"}}},
        "encoding": {"flowInfo": {"contentType": "application/json"}}}}}


def _flow_errors(op: dict[str, Any]) -> None:
    """The Flow API answers its errors in the standard's shape; API Gateway's own answers keep the platform's."""
    for status, response in op["responses"].items():
        if status[0] in "45" and status not in GATEWAY_STATUSES:
            response["content"] = FLOW_ERROR_REF if status != "413" else {"application/json": {"schema": {
                "anyOf": [{"$ref": "#/components/schemas/FlowError"}, {"$ref": "#/components/schemas/Error"}]}}}


def _complete(op: dict[str, Any], route) -> None:
    from einvoice.api import limits
    from einvoice.api.idempotency import HEADER
    from einvoice.routing import MULTIPART

    responses = op.setdefault("responses", {})
    if route.content_types == MULTIPART:
        op["requestBody"] = _multipart_body()
    names = {201: "Created", 202: "Accepted", 204: "No content", 303: "See other"}
    if route.status != 200 and "200" in responses:
        responses[str(route.status)] = responses.pop("200")
        responses[str(route.status)]["description"] = names.get(route.status, "OK")
    for status in route.also:
        main = responses.get(str(route.status), {"description": "OK"})
        responses.setdefault(str(status), {**main, "description": names.get(status, "OK")})
    for code, text in COMMON_ERRORS.items():
        responses[code] = {"description": text, "content": ERROR_REF}
    if route.auth == "oauth2":
        op["security"] = [{"oauth2": list(route.scopes)}]
        responses["401"] = {"description": "No valid Bearer token with the route's scope (OAuth2 client credentials)",
                            "content": ERROR_REF}
        responses["403"] = {"description": "Refused by API Gateway (WAF)", "content": ERROR_REF}
    elif route.auth != "none":
        op["security"] = [{"apiKey": []}]
        responses["403"] = {"description": "Missing or invalid API key (or a partner key on an account route)",
                            "content": ERROR_REF}
    names_an_object = any(p.get("in") == "query" and p.get("name", "").endswith("Id") for p in op.get("parameters", []))
    if "{" in route.path or route.content_types == ("application/json",) or names_an_object:  # an id to look up
        responses["404"] = {"description": "Not found (or another tenant's object)", "content": ERROR_REF}
    if route.method in ("POST", "PATCH", "PUT"):
        responses["409"] = {"description": "Conflict: duplicate, state forbids it, or Idempotency-Key reused "
                                           "with another body", "content": ERROR_REF}
    for code in route.errors:
        responses[str(code)] = {"description": {409: "Conflict: the object's state forbids it"}.get(code, "Error"),
                                "content": ERROR_REF}
    if route.content_types:
        responses["415"] = {"description": "Content type not accepted (see requestBody)", "content": ERROR_REF}
        if "requestBody" not in op:
            from einvoice.api.http import CSV_PATTERN
            from einvoice.routing import CSV

            csv = {"type": "string", "pattern": CSV_PATTERN, "maxLength": limits.MAX_BODY_BYTES,
                   "description": "CSV lines separated by ; or ,"}
            op["requestBody"] = {"required": True, "content": {
                ctype: {"schema": csv if route.content_types == CSV else {"type": "string", "format": "binary"}}
                for ctype in route.content_types}}
    if route.idempotent:
        op.setdefault("parameters", []).append({
            "name": HEADER, "in": "header", "required": False,
            "description": "Makes the creation idempotent for 24 hours: the same key with the same body returns "
                           "the stored answer; with another body, 409 IdempotencyKeyConflict",
            "schema": {"type": "string", "pattern": limits.IDEMPOTENCY_KEY_PATTERN, "maxLength": 128},
        })
    _bound_parameters(op)
    if route.auth == "oauth2" or route.path == "/v1/healthcheck":
        _flow_errors(op)
    op["responses"] = dict(sorted(responses.items()))


def build_openapi() -> dict[str, Any]:
    from einvoice.api import limits
    from einvoice.routes import FUNCTIONS

    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": __version__,
            "description": "REST API of the platform (API Gateway). Every route except health needs the "
            "`x-api-key` header. Errors, on every route and status: `{code, message, details[], requestId}`. "
            "Limits: " + "; ".join(f"{k}: {v}" for k, v in limits.LIMITS_TABLE) + ".",
        },
        "servers": [{"url": "/"}],
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "oauth2": {"type": "oauth2", "description": "Flow API clients (other platforms, your software): "
                           "Cognito on AWS, POST /oauth2/token of the local platform",
                           "flows": {"clientCredentials": {"tokenUrl": "/oauth2/token", "scopes": {
                               "einvoice/flows.write": "submit flows", "einvoice/flows.read": "search and read flows"}}}},
            },
        },
    }
    schemas = doc["components"]["schemas"]
    schemas["Error"] = _error_schema()
    from einvoice.flows.errors import openapi_schema
    from einvoice.flows.models import FlowInfoIn

    schemas["FlowError"] = openapi_schema()
    schemas["FlowInfoIn"] = FlowInfoIn.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
    for name, sub in schemas["FlowInfoIn"].pop("$defs", {}).items():
        schemas.setdefault(name, sub)
    for fn in FUNCTIONS:
        if not fn.routes:
            continue
        module = importlib.import_module(fn.module)
        app = module.lambda_handler.app
        spec = json.loads(app.resolver.get_openapi_json_schema(title=TITLE, version=__version__, openapi_version="3.1.0"))
        for name, schema in spec.get("components", {}).get("schemas", {}).items():
            schemas.setdefault(name, schema)
        for route in fn.routes:
            ops = spec.get("paths", {}).get(route.path, {})
            op = ops.get(route.method.lower())
            if op is None:
                raise ValueError(f"{fn.name}: route {route.method} {route.path} is not served by its handler")
            op = dict(op)
            op["operationId"] = f"{fn.name}_{route.method.lower()}"
            if route.summary:
                op["summary"] = route.summary
            op["tags"] = [route.path.split("/")[2]]
            op["x-lambda-function"] = fn.name
            if route.binary:  # the handler returns a document, not JSON
                op.setdefault("responses", {})["200"] = {
                    "description": "The document: PDF (Factur-X, certificate) or XML (CII, UBL)",
                    "content": {
                        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                        "application/xml": {"schema": {"type": "string"}},
                    },
                }
                if route.auth == "oauth2":  # GET /v1/flows/{flowId}: Metadata (default) is JSON
                    op["responses"]["200"]["description"] = "Metadata (JSON) or the document asked for"
                    op["responses"]["200"]["content"]["application/json"] = {
                        "schema": {"$ref": "#/components/schemas/FlowOut"}}
            _complete(op, route)
            doc["paths"].setdefault(route.path, {})[route.method.lower()] = op
    for internal in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(internal, None)
    doc["paths"] = dict(sorted(doc["paths"].items()))
    doc["components"]["schemas"] = dict(sorted(schemas.items()))
    return doc


def render() -> str:
    return json.dumps(build_openapi(), indent=2, sort_keys=False) + "\n"


def main() -> int:
    import sys
    from pathlib import Path

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/openapi.json")
    out.write_text(render())
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
