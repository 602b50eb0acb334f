"""One HTTP app per Lambda, mapping domain errors to one error body.

Error body (every 4xx/5xx): ``{"code", "message", "details": [...], "requestId"}``.
Validation errors are 422 with the field path in ``details[].field``.

Usage in ``functions/<name>/handler.py``::

    from einvoice.api.http import ApiApp
    app = ApiApp()

    @app.get("/v1/me")
    def me() -> MeOut:
        return service.me(app.tenant())

    lambda_handler = app.lambda_handler
"""

from __future__ import annotations

import json
from typing import Any, Callable

from einvoice.errors import DomainError, ErrorDetail
from einvoice.tenancy import Tenant


def error_body(code: str, message: str, details: list[dict] | None, request_id: str | None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details or [], "requestId": request_id}


class ApiApp:
    def __init__(self, *, tenant_resolver: Callable[[str | None], Tenant] | None = None) -> None:
        from aws_lambda_powertools.event_handler import APIGatewayRestResolver
        from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

        self.resolver = APIGatewayRestResolver(enable_validation=True)
        self._tenant_resolver = tenant_resolver
        r = self.resolver

        @r.exception_handler(DomainError)
        def _domain(ex: DomainError):
            if ex.http_status >= 500:
                from einvoice.observability import logger

                logger().warning("upstream failure", extra={"code": ex.code, "error": ex.message})
            return self._error(ex.http_status, ex.code, ex.message, [d.to_dict() for d in ex.details])

        @r.exception_handler(RequestValidationError)
        def _validation(ex: RequestValidationError):
            details = []
            for err in ex.errors():
                loc = [str(p) for p in err.get("loc", ())]
                details.append(ErrorDetail(err.get("msg", "invalid"), field=".".join(loc) or None).to_dict())
            return self._error(422, "ValidationError", "The request does not match the schema", details)

        @r.not_found
        def _not_found(ex):
            return self._error(404, "NotFound", "No such route", [])

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
        return self.resolver.current_event.headers.get(name) or self.resolver.current_event.headers.get(name.lower())

    def raw_body(self) -> bytes:
        ev = self.resolver.current_event
        if ev.body is None:
            return b""
        if ev.is_base64_encoded:
            import base64

            return base64.b64decode(ev.body)
        return ev.body.encode()

    def model_response(self, status: int, model: Any, headers: dict[str, str] | None = None):
        """A typed response with a status other than 200 (handler annotated ``-> Response[Model]``)."""
        from aws_lambda_powertools.event_handler import Response

        return Response(status, "application/json", model, headers=headers)

    def binary_response(self, body: bytes, content_type: str, filename: str | None = None):
        from aws_lambda_powertools.event_handler import Response

        headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if filename else None
        return Response(200, content_type, body, headers=headers)

    def _error(self, status: int, code: str, message: str, details: list[dict]):
        from aws_lambda_powertools.event_handler import Response

        body = error_body(code, message, details, self.request_id())
        return Response(status, "application/json", json.dumps(body, default=str))

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
                    out = self.resolver.resolve(e, c)
                    metrics().add_metric(name=f"Http{int(out.get('statusCode', 500)) // 100}xx", unit=MetricUnit.Count, value=1)
                    return out

                fn = state["fn"] = instrument(resolve, correlation_id_path=correlation_paths.API_GATEWAY_REST)
            return fn(event, context)

        lambda_handler.app = self  # type: ignore[attr-defined]
        return lambda_handler
