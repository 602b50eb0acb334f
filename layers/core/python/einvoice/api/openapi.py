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


def build_openapi() -> dict[str, Any]:
    from einvoice.routes import FUNCTIONS

    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": __version__,
            "description": "REST API of the platform (API Gateway). Every route except health needs the "
            "`x-api-key` header. Errors: `{code, message, details[], requestId}`.",
        },
        "servers": [{"url": "/"}],
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        },
    }
    schemas = doc["components"]["schemas"]
    schemas["Error"] = {
        "type": "object",
        "required": ["code", "message", "details", "requestId"],
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {"type": "object"}},
            "requestId": {"type": ["string", "null"]},
        },
    }
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
            if route.auth != "none":
                op["security"] = [{"apiKey": []}]
                op.setdefault("responses", {})["403"] = {"description": "Missing or invalid API key"}
            for status in ("404", "422"):
                resp = op.setdefault("responses", {}).get(status)
                if status == "422":
                    op["responses"]["422"] = {
                        "description": "Validation error (field paths and rule ids in details)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    }
                elif resp is None and "{" in route.path:
                    op["responses"]["404"] = {
                        "description": "Not found (or another tenant's object)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    }
            doc["paths"].setdefault(route.path, {})[route.method.lower()] = op
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
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
