"""The local REST API: API Gateway (REST v1, Lambda proxy) emulated on loopback.

Routes come from the manifest (``einvoice.routes``). Every route except ``auth="none"`` ones
requires a valid ``x-api-key`` (403 ``{"message": "Forbidden"}`` otherwise, as API Gateway
answers); the key's id goes into ``requestContext.identity.apiKeyId`` as in AWS.
Also serves ``/docs`` (Swagger UI, offline), ``/openapi.json`` and the local mailbox.
"""

from __future__ import annotations

import base64
import html
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from local import dispatch, mailbox

BINARY_TYPES = ("application/pdf", "application/octet-stream", "image/", "multipart/form-data", "application/zip")


def _compile(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{([A-Za-z0-9_]+)\}", r"(?P<\1>[^/]+)", path)
    return re.compile(f"^{pattern}$")


class LocalApi:
    def __init__(self, *, stage: str = "local", key_lookup=None, api_id: str = "local", access_log: bool = False,
                 pages: dict | None = None) -> None:
        from einvoice.routes import routes

        self.access_log = access_log
        self.pages = dict(pages or {})  # local-only pages: path prefix -> callable(request) -> Response
        self.stage = stage
        self.api_id = api_id
        self._key_lookup = key_lookup
        self._key_cache: dict[str, tuple[float, str | None]] = {}
        self.table = [(route, fn, _compile(route.path)) for route, fn in routes()]

    # --- keys ------------------------------------------------------------------------------------
    def key_id(self, value: str | None) -> str | None:
        if not value:
            return None
        hit = self._key_cache.get(value)
        if hit and time.monotonic() - hit[0] < 30:
            return hit[1]
        if self._key_lookup is not None:
            key_id = self._key_lookup(value)
        else:
            from einvoice.accounts.service import key_id_for_value

            key_id = key_id_for_value(value)
        self._key_cache[value] = (time.monotonic(), key_id)
        return key_id

    # --- WSGI --------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        t0 = time.perf_counter()
        response = self.handle(request)
        if self.access_log:
            ms = (time.perf_counter() - t0) * 1000
            print(f"{request.method} {request.full_path.rstrip('?')} -> {response.status_code} ({ms:.0f} ms)", flush=True)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = request.path
        if path in ("/", "/docs", "/docs/"):
            return Response(_swagger_html(), content_type="text/html; charset=utf-8")
        if path.startswith("/_static/"):
            return _static(path.rsplit("/", 1)[-1])
        if path == "/openapi.json":
            from einvoice.api.openapi import build_openapi

            return Response(json.dumps(build_openapi(), indent=2), content_type="application/json")
        if path == "/_local/mail.json":
            return Response(json.dumps(mailbox.messages(), indent=2), content_type="application/json")
        if path == "/_local/mail":
            return Response(_mail_html(mailbox.messages()), content_type="text/html; charset=utf-8")
        for prefix, page in self.pages.items():
            if path == prefix or path.startswith(prefix + "/"):
                return page(request)
        for route, fn, regex in self.table:
            m = regex.match(path)
            if not m or route.method != request.method:
                continue
            identity: dict[str, Any] = {"sourceIp": request.remote_addr or "127.0.0.1", "userAgent": request.user_agent.string}
            if route.auth != "none":
                value = request.headers.get("x-api-key")
                key_id = self.key_id(value)
                if key_id is None:
                    return _json(403, {"message": "Forbidden"})
                identity.update({"apiKey": value, "apiKeyId": key_id})
            event = self.event(request, route, m.groupdict(), identity)
            try:
                result = dispatch.call(fn.name, event)
            except Exception:  # noqa: BLE001 - API Gateway answers 502 when the integration fails
                import traceback

                traceback.print_exc()
                return _json(502, {"message": "Internal server error"})
            return _to_response(result)
        # API Gateway REST answers unknown routes/methods with 403 "Missing Authentication Token"
        return _json(403, {"message": "Missing Authentication Token"})

    def event(self, request: Request, route, path_params: dict[str, str], identity: dict[str, Any]) -> dict[str, Any]:
        raw = request.get_data()
        ctype = request.headers.get("content-type", "")
        is_b64 = False
        body: str | None
        if not raw:
            body = None
        elif ctype.startswith(BINARY_TYPES):
            body, is_b64 = base64.b64encode(raw).decode(), True
        else:
            try:
                body = raw.decode("utf-8")
            except UnicodeDecodeError:
                body, is_b64 = base64.b64encode(raw).decode(), True
        headers = {k: v for k, v in request.headers.items()}
        mv_headers: dict[str, list[str]] = {}
        for k, v in request.headers.items():
            mv_headers.setdefault(k, []).append(v)
        query = {k: v for k, v in request.args.items()} or None
        mv_query = {k: request.args.getlist(k) for k in request.args.keys()} or None
        request_id = str(uuid.uuid4())
        return {
            "resource": route.path,
            "path": request.path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": mv_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": mv_query,
            "pathParameters": path_params or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": route.path,
                "httpMethod": request.method,
                "path": f"/{self.stage}{request.path}",
                "stage": self.stage,
                "requestId": request_id,
                "extendedRequestId": request_id,
                "requestTimeEpoch": int(time.time() * 1000),
                "accountId": "123456789012",
                "apiId": self.api_id,
                "protocol": "HTTP/1.1",
                "identity": identity,
            },
            "body": body,
            "isBase64Encoded": is_b64,
        }


def _json(status: int, payload: Any) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def _to_response(result: dict[str, Any]) -> Response:
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    resp = Response(data, status=int(result.get("statusCode", 200)))
    resp.headers.pop("Content-Type", None)
    for k, v in (result.get("headers") or {}).items():
        resp.headers[k] = v
    for k, values in (result.get("multiValueHeaders") or {}).items():
        resp.headers.pop(k, None)
        for v in values:
            resp.headers.add(k, v)
    return resp


def _swagger_dir() -> Path:
    import aws_lambda_powertools.event_handler.openapi as oa

    return Path(oa.__file__).parent / "swagger_ui"


def _static(name: str) -> Response:
    allowed = {"swagger-ui-bundle.min.js": "application/javascript", "swagger-ui.min.css": "text/css"}
    if name not in allowed:
        return _json(404, {"message": "Not Found"})
    return Response((_swagger_dir() / name).read_bytes(), content_type=allowed[name])


def _swagger_html() -> str:
    return """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>einvoice API</title>
<link rel="stylesheet" href="/_static/swagger-ui.min.css"></head><body><div id="swagger-ui"></div>
<script src="/_static/swagger-ui-bundle.min.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
persistAuthorization: true});</script></body></html>"""


def _mail_html(messages: list[dict[str, Any]]) -> str:
    rows = "".join(
        "<article><h2>{subject}</h2><p><b>To:</b> {to} &middot; <b>Sent:</b> {sent}</p><pre>{text}</pre></article>".format(
            subject=html.escape(m["subject"]),
            to=html.escape(", ".join(m["to"])),
            sent=html.escape(m["sentAt"]),
            text=html.escape(m["text"] or ""),
        )
        for m in reversed(messages)
    )
    empty = "<p>No e-mail sent yet.</p>" if not messages else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Local mailbox</title><style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}
article{{border:1px solid #ccc;border-radius:6px;padding:0 1rem;margin:1rem 0}}pre{{white-space:pre-wrap}}</style>
</head><body><h1>Local mailbox ({len(messages)})</h1><p>E-mails sent through the local SES, newest first.
JSON: <a href="/_local/mail.json">/_local/mail.json</a></p>{empty}{rows}</body></html>"""
