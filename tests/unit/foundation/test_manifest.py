"""The route manifest, the handlers and the OpenAPI document cannot drift."""

import importlib
import json
from pathlib import Path

from einvoice.api.openapi import build_openapi, render
from einvoice.routes import FUNCTIONS, routes

ROOT = Path(__file__).resolve().parents[3]


def test_every_function_has_a_thin_handler_module():
    for fn in FUNCTIONS:
        path = ROOT / "functions" / fn.name / "handler.py"
        assert path.exists(), f"functions/{fn.name}/handler.py is missing"
        module = importlib.import_module(fn.module)
        assert callable(module.lambda_handler)
        assert len(path.read_text().splitlines()) < 120, f"{fn.name}: handlers stay thin"


def test_every_function_directory_is_in_the_manifest():
    names = {fn.name for fn in FUNCTIONS}
    dirs = {p.parent.name for p in (ROOT / "functions").glob("*/handler.py")}
    assert dirs == names


def test_openapi_covers_every_route_with_security_where_required():
    spec = build_openapi()
    for route, fn in routes():
        op = spec["paths"][route.path][route.method.lower()]
        assert op["x-lambda-function"] == fn.name
        assert ("security" in op) is (route.auth != "none")


def test_committed_openapi_document_is_fresh():
    committed = (ROOT / "docs" / "openapi.json").read_text()
    assert json.loads(committed) == json.loads(render()), "docs/openapi.json is stale: run `make openapi`"


def test_functions_behind_api_keys_can_resolve_their_tenant():
    for fn in FUNCTIONS:
        if any(r.auth != "none" for r in fn.routes):
            assert "tenancy:r" in fn.access or "tenancy:rw" in fn.access, f"{fn.name} cannot read the tenancy table"


def test_path_parameters_have_one_name_per_position():
    """API Gateway refuses sibling resources with different parameter names."""
    seen: dict[tuple[str, ...], str] = {}
    for route, _fn in routes():
        parts = route.path.strip("/").split("/")
        for i, part in enumerate(parts):
            if part.startswith("{"):
                prefix = tuple(parts[:i])
                assert seen.setdefault(prefix, part) == part, f"{route.path}: {part} vs {seen[prefix]}"


def test_manifest_is_complete_whatever_module_is_imported_first():
    """A fragment imported before ``einvoice.routes`` used to be merged while half-imported, and its
    functions vanished from the manifest (enrolment routes answered 403 on the local server)."""
    import subprocess
    import sys

    code = (
        "import einvoice.enrolment.routes, einvoice.routes as r; "
        "names = {f.name for f in r.FUNCTIONS}; "
        "paths = {route.path for route, _ in r.routes()}; "
        "print('enrolment_start' in names, '/v1/enrolments' in paths, len(r.FUNCTIONS))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[:2] == ["True", "True"]
    assert int(out[2]) == len(FUNCTIONS)


def test_openapi_document_is_valid_and_publishes_the_typed_invoice():
    from openapi_spec_validator import validate

    spec = build_openapi()
    validate(spec)
    body = spec["paths"]["/v1/invoices"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    create = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert create["properties"]["invoice"]["$ref"].endswith("/Invoice")
    invoice = spec["components"]["schemas"]["Invoice"]
    assert invoice.get("additionalProperties") is False
    assert invoice["properties"]["number"]["description"].startswith("BT-1 ")
    assert invoice["properties"]["lines"]["maxItems"] == 2000
    line = spec["components"]["schemas"]["InvoiceLine"]
    assert "BT-129" in line["properties"]["quantity"]["description"]
    assert {"maxLength", "pattern"} <= set(spec["components"]["schemas"]["Seller"]["properties"]["name"])


def test_openapi_declares_the_error_statuses_content_types_and_idempotency():
    spec = build_openapi()
    for route, _fn in routes():
        op = spec["paths"][route.path][route.method.lower()]
        statuses = set(op["responses"])
        assert {"400", "413", "414", "422", "429", "431", "500"} <= statuses, route
        assert str(route.status) in statuses
        flow_api = route.auth == "oauth2" or route.path == "/v1/healthcheck"
        for status, response in op["responses"].items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                if not flow_api or status in ("401", "403", "414", "429", "431", "504"):  # API Gateway's own
                    assert schema == {"$ref": "#/components/schemas/Error"}, (route, status)
                elif status == "413":  # the gateway's, or the Flow API's FileSizeExceeded
                    assert schema == {"anyOf": [{"$ref": "#/components/schemas/FlowError"},
                                                {"$ref": "#/components/schemas/Error"}]}
                else:  # the Flow API answers in the standard's shape (einvoice.flows.errors)
                    assert schema == {"$ref": "#/components/schemas/FlowError"}, (route, status)
        if route.content_types:
            assert "415" in statuses and set(op["requestBody"]["content"]) == set(route.content_types)
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        assert ("Idempotency-Key" in headers) is route.idempotent
    creates = {(r.method, r.path) for r, _ in routes() if r.idempotent}
    assert creates == {("POST", "/v1/companies"), ("POST", "/v1/companies/imports"), ("POST", "/v1/enrolments"),
                       ("POST", "/v1/invoices"), ("POST", "/v1/invoices/{id}/issue"), ("POST", "/v1/invoices/files"),
                       ("POST", "/v1/invoices/ocr"), ("POST", "/v1/webhooks"), ("POST", "/v1/invoices/{id}/status"),
                       ("POST", "/v1/payments")}
    # POST /v1/flows is idempotent by the standard's own rule instead: the flow id derives from the sender,
    # the trackingId and the SHA-256, and the same flow again is 409 AlreadyExistingFlow with that id
    assert spec["paths"]["/v1/flows"]["post"]["security"] == [{"oauth2": ["einvoice/flows.write"]}]
