"""One HTTP app per Lambda: limits checked first, one error body for every failure.

Error body (every 4xx/5xx, also for failures nobody foresaw)::

    {"code": "ValidationError", "message": "...", "details": [{"field", "rule", "message", "messageFr"}],
     "requestId": "..."}

Order of work for each request (``ApiApp.resolve``, the Lambda entry point):

1. the gate (``einvoice.api.limits``): body size (413), query/path parameter length and control
   characters (422), the content type against the manifest route's ``content_types`` (415, also
   multipart without a boundary), JSON decoding with depth / number limits (400);
2. Powertools validation of the Pydantic models (422 with the field path);
3. the handler; domain errors (``einvoice.errors``) map to their status once, here;
4. anything else is the last resort: 500 ``InternalError``, the trace logged with the request id,
   never returned (no exception ever leaves the Lambda, so API Gateway never answers 502).

Usage in ``functions/<name>/handler.py``::

    from einvoice.api.http import ApiApp
    app = ApiApp()

    @app.post("/v1/things")
    def create_thing(body: ThingIn) -> Response[ThingOut]:
        return app.idempotent(lambda: app.model_response(201, service.create(app.tenant(), body)))

    lambda_handler = app.lambda_handler
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Callable
from urllib.parse import quote

from einvoice.api import limits
from einvoice.errors import (
    BadRequestError,
    DomainError,
    ErrorDetail,
    InvalidInputError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from einvoice.routing import CSV
from einvoice.tenancy import Tenant

INTERNAL_MESSAGE = "Internal error; quote the request id to the support"


def error_body(code: str, message: str, details: list[dict] | None, request_id: str | None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details or [], "requestId": request_id}


def error_response(status: int, code: str, message: str, details: list[dict] | None,
                   request_id: str | None) -> dict[str, Any]:
    """A Lambda proxy answer carrying the error body (for paths outside the Powertools resolver)."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(error_body(code, message, details, request_id)),
        "isBase64Encoded": False,
    }


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the RFC 6266 / 5987 ``filename*`` (never raw input)."""
    name = "".join(ch for ch in filename if ch.isprintable() and ch not in "\\/\"") or "document"
    name = name[:150]
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _route_of(method: str | None, resource: str | None):
    from einvoice.routes import routes

    for route, _fn in routes():
        if route.method == method and route.path == resource:
            return route
    return None


def _details_from_validation(errors) -> list[dict]:
    details = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        elif err.get("type") == "missing":
            msg = "required"
        details.append(ErrorDetail(msg, field=".".join(loc) or None, rule=err.get("type")).to_dict())
    return details


class ApiApp:
    def __init__(self, *, tenant_resolver: Callable[[str | None], Tenant] | None = None,
                 error_format: Callable[..., dict[str, Any]] | None = None) -> None:
        """``error_format(status, code, message, details, request_id, instance=path)`` builds the error
        body of this app's routes (default: the platform's ``error_body``; the Flow API answers in the
        AFNOR shape, ``einvoice.flows.errors``)."""
        from aws_lambda_powertools.event_handler import APIGatewayRestResolver
        from aws_lambda_powertools.event_handler.openapi.exceptions import (
            RequestUnsupportedContentType,
            RequestValidationError,
        )

        self.resolver = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=self._json_body)
        self._tenant_resolver = tenant_resolver
        self._error_format = error_format
        self._parsed: tuple[str, Any] | None = None
        r = self.resolver

        @r.exception_handler(DomainError)
        def _domain(ex: DomainError):
            if ex.http_status >= 500:
                from einvoice.observability import logger

                logger().warning("upstream failure", extra={"code": ex.code, "error": ex.message})
            extra = {"flow_id": ex.flow_id} if self._error_format and getattr(ex, "flow_id", None) else {}
            return self._error(ex.http_status, ex.code, ex.message, [d.to_dict() for d in ex.details], **extra)

        @r.exception_handler(RequestValidationError)
        def _validation(ex: RequestValidationError):
            if any(tuple(err.get("loc", ()))[:1] == ("response",) for err in ex.errors()):
                # our answer does not match its model: a bug, not the caller's
                from einvoice.observability import log_exception

                log_exception("response does not match its model", ex, request_id=self.request_id(),
                              errors=[{"loc": e.get("loc"), "type": e.get("type")} for e in ex.errors()][:20])
                return self._error(500, "InternalError", INTERNAL_MESSAGE, [])
            return self._error(422, "ValidationError", "The request does not match the schema",
                               _details_from_validation(ex.errors()))

        @r.exception_handler(RequestUnsupportedContentType)
        def _media(ex):
            return self._error(415, UnsupportedMediaTypeError.code, "Unsupported content type", [])

        @r.not_found
        def _not_found(ex):
            return self._error(404, "NotFound", "No such route", [])

        @r.exception_handler(Exception)
        def _last_resort(ex: Exception):
            self.log_failure(ex)
            return self._error(500, "InternalError", INTERNAL_MESSAGE, [])

    # --- routing (delegates to Powertools) ---------------------------------------------------
    def get(self, path: str, **kw):
        return self.resolver.get(path, **kw)

    def post(self, path: str, **kw):
        return self.resolver.post(path, **kw)

    def put(self, path: str, **kw):
        return self.resolver.put(path, **kw)

    def patch(self, path: str, **kw):
        return self.resolver.patch(path, **kw)

    def delete(self, path: str, **kw):
        return self.resolver.delete(path, **kw)

    # --- request helpers -------------------------------------------------------------------------
    @property
    def event(self):
        return self.resolver.current_event

    def request_id(self) -> str | None:
        try:
            return self.resolver.current_event.request_context.request_id
        except Exception:  # noqa: BLE001 - no context in synthetic events
            return None

    def tenant(self) -> Tenant:
        identity = self.resolver.current_event.request_context.identity
        api_key_id = getattr(identity, "api_key_id", None)
        if self._tenant_resolver is not None:
            return self._tenant_resolver(api_key_id)
        from einvoice.accounts.service import resolve_tenant

        return resolve_tenant(api_key_id)

    def header(self, name: str) -> str | None:
        headers = self.resolver.current_event.headers or {}
        if name in headers:
            return headers[name]
        lower = name.lower()
        return next((v for k, v in headers.items() if k.lower() == lower), None)

    def raw_body(self) -> bytes:
        ev = self.resolver.current_event
        if ev.body is None:
            return b""
        if ev.is_base64_encoded:
            return base64.b64decode(ev.body)
        return ev.body.encode()

    def model_response(self, status: int, model: Any, headers: dict[str, str] | None = None):
        """A typed response with a status other than 200 (handler annotated ``-> Response[Model]``)."""
        from aws_lambda_powertools.event_handler import Response

        return Response(status, "application/json", model, headers=headers)

    def binary_response(self, body: bytes, content_type: str, filename: str | None = None):
        from aws_lambda_powertools.event_handler import Response

        headers = {"Content-Disposition": content_disposition(filename)} if filename else None
        return Response(200, content_type, body, headers=headers)

    def idempotent(self, produce: Callable[[], Any]):
        """Run a create operation once per ``Idempotency-Key`` (see ``einvoice.api.idempotency``)."""
        from einvoice.api.idempotency import run_idempotent

        return run_idempotent(self, produce)

    def error_payload(self, status: int, code: str, message: str, details: list[dict], request_id: str | None,
                      path: str | None = None, **extra: Any) -> dict[str, Any]:
        if self._error_format is not None:
            return self._error_format(status, code, message, details, request_id, instance=path, **extra)
        return error_body(code, message, details, request_id)

    def _error(self, status: int, code: str, message: str, details: list[dict], **extra: Any):
        from aws_lambda_powertools.event_handler import Response

        try:
            path = self.resolver.current_event.path
        except Exception:  # noqa: BLE001 - no event (synthetic calls)
            path = None
        body = self.error_payload(status, code, message, details, self.request_id(), path, **extra)
        return Response(status, "application/json", json.dumps(body, default=str))

    def _error_response(self, event: Any, status: int, code: str, message: str, details: list[dict],
                        request_id: str | None) -> dict[str, Any]:
        if self._error_format is None:
            return error_response(status, code, message, details, request_id)
        path = event.get("path") if isinstance(event, dict) else None
        return {"statusCode": status, "headers": {"Content-Type": "application/json"},
                "body": json.dumps(self.error_payload(status, code, message, details, request_id, path)),
                "isBase64Encoded": False}

    def log_failure(self, exc: BaseException) -> None:
        from einvoice.observability import log_exception

        log_exception("unhandled error in an API handler", exc, request_id=self.request_id())

    # --- the gate ------------------------------------------------------------------------------------
    def _json_body(self, text: str) -> Any:
        parsed = self._parsed
        if parsed is not None and parsed[0] is text:
            return parsed[1]
        return limits.parse_json(text)

    def gate(self, event: dict[str, Any]) -> None:
        """The checks done before any work (``DomainError`` -> its status in the error body)."""
        self._parsed = None
        for where, params in (("query", event.get("queryStringParameters")), ("path", event.get("pathParameters"))):
            for name, value in (params or {}).items():
                _check_param(f"{where}.{name}", value)
        for name, values in (event.get("multiValueQueryStringParameters") or {}).items():
            for value in values or ():
                _check_param(f"query.{name}", value)
        body = event.get("body")
        route = _route_of(event.get("httpMethod"), event.get("resource"))
        if not body:
            if route is not None and route.content_types and route.content_types != ("application/json",):
                raise BadRequestError("The request body is empty",
                                      [ErrorDetail("required", field="body", rule="BODY_REQUIRED")])
            return
        if len(body) > limits.MAX_BODY_BYTES * 4 // 3 + 4:
            raise _too_large(len(body))
        raw: bytes | str = body
        if event.get("isBase64Encoded"):
            try:
                raw = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise BadRequestError("The body is not valid base64", []) from None
        if len(raw) > limits.MAX_BODY_BYTES:
            raise _too_large(len(raw))
        if route is None or not route.content_types:
            return
        headers = event.get("headers") or {}
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        mtype, params = limits.media_type(ctype)
        if not mtype:
            mtype = route.content_types[0]
        bad_charset = mtype == "application/json" and params.get("charset", "utf-8") not in ("utf-8", "utf8")
        no_boundary = mtype.startswith("multipart/") and not params.get("boundary")
        if mtype not in route.content_types or bad_charset or no_boundary:  # CSV imports detect their own encoding
            raise UnsupportedMediaTypeError(
                f"Content type {ctype!r} is not accepted here; send {' or '.join(route.content_types)}",
                [ErrorDetail("unsupported content type", field="header.content-type", rule="CONTENT_TYPE",
                             extra={"accepted": list(route.content_types)})],
            )
        if route.content_types == CSV:
            _check_csv_shape(raw if isinstance(raw, bytes) else raw.encode())
        if mtype == "application/json":
            value = limits.parse_json(raw)
            text = raw if isinstance(raw, str) else raw.decode("utf-8")
            event["body"], event["isBase64Encoded"] = text, False
            self._parsed = (text, value)

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        """Gate, then Powertools; never raises (a failure here is the last-resort 500)."""
        request_id = ((event or {}).get("requestContext") or {}).get("requestId") if isinstance(event, dict) else None
        try:
            self.gate(event)
        except DomainError as ex:
            return self._error_response(event, ex.http_status, ex.code, ex.message, [d.to_dict() for d in ex.details],
                                        request_id)
        except Exception as ex:  # noqa: BLE001 - last resort
            self.log_failure(ex)
            return self._error_response(event, 500, "InternalError", INTERNAL_MESSAGE, [], request_id)
        try:
            return self.resolver.resolve(event, context)
        except Exception as ex:  # noqa: BLE001 - last resort (raised outside the route, e.g. serialising)
            self.log_failure(ex)
            return self._error_response(event, 500, "InternalError", INTERNAL_MESSAGE, [], request_id)
        finally:
            self._parsed = None

    # --- entry point -------------------------------------------------------------------------------
    @property
    def lambda_handler(self):
        """The Lambda entry point; instrumentation (Tracer pulls in the X-Ray SDK) is built on first call."""
        state: dict[str, Any] = {}

        def lambda_handler(event, context):
            fn = state.get("fn")
            if fn is None:
                from aws_lambda_powertools.logging import correlation_paths
                from aws_lambda_powertools.metrics import MetricUnit

                from einvoice.observability import instrument, metrics

                def resolve(e, c):
                    out = self.resolve(e, c)
                    metrics().add_metric(name=f"Http{int(out.get('statusCode', 500)) // 100}xx", unit=MetricUnit.Count, value=1)
                    return out

                fn = state["fn"] = instrument(resolve, correlation_id_path=correlation_paths.API_GATEWAY_REST)
            try:
                return fn(event, context)
            except Exception as ex:  # noqa: BLE001 - instrumentation itself failed: still the error body
                self.log_failure(ex)
                request_id = ((event or {}).get("requestContext") or {}).get("requestId") if isinstance(event, dict) else None
                return self._error_response(event, 500, "InternalError", INTERNAL_MESSAGE, [], request_id)

        lambda_handler.app = self  # type: ignore[attr-defined]
        return lambda_handler


_PARAM_CONTROLS = re.compile("[\x00-\x1f\x7f]")
#: a CSV body: its first non-blank character is a separator, or is not "[" / "{" (JSON) and a separator
#: follows (also the body's ``pattern`` in OpenAPI)
CSV_PATTERN = "^\\s*([;,]|[^\\s\\[{][\\s\\S]*[;,])"
_CSV_SHAPE = re.compile(rb"\s*(?:[;,]|[^\s\[{][\s\S]*?[;,])")


def _check_csv_shape(raw: bytes) -> None:
    head = raw[:65536]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not _CSV_SHAPE.match(head):
        raise BadRequestError("The body is not a CSV file (JSON, or no ; or , separator)",
                              [ErrorDetail("not CSV", field="body", rule="CSV_SHAPE")])


def _check_param(field: str, value: Any) -> None:
    if not isinstance(value, str):
        return
    if len(value) > limits.MAX_QUERY_VALUE_CHARS:
        raise InvalidInputError("A parameter is too long",
                                [ErrorDetail(f"at most {limits.MAX_QUERY_VALUE_CHARS} characters", field=field,
                                             rule="MAX_LENGTH")])
    if _PARAM_CONTROLS.search(value):
        raise InvalidInputError("A parameter contains a control character",
                                [ErrorDetail("control characters are not allowed", field=field, rule="CONTROL_CHARACTER")])


def _too_large(size: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"The request body is limited to {limits.MAX_BODY_BYTES // (1024 * 1024)} MB",
        [ErrorDetail(f"about {size} bytes", field="body", rule="BODY_SIZE")],
    )
