"""The local REST API: API Gateway (REST v1, Lambda proxy) emulated on loopback.

Routes come from the manifest (``einvoice.routes``). Every route except ``auth="none"`` ones
requires a valid ``x-api-key``; the key's id goes into ``requestContext.identity.apiKeyId`` as in AWS.

What API Gateway answers itself is answered here the same way, with the bodies the stack's Gateway
Responses configure (``infra/stack.py``, ``GATEWAY_RESPONSES``), i.e. the one error body
``{"code", "message", "details", "requestId"}``:

* 403 ``Forbidden`` (missing or unknown key), 403 ``MissingAuthenticationToken`` (unknown route or method);
* 401 ``Unauthorized`` on the ``oauth2`` routes (Flow API) without a valid Bearer token carrying the
  route's scope, as the Cognito authorizer answers (``local/oauth.py``, which also serves the token endpoint);
* 413 ``PayloadTooLarge`` above ``limits.MAX_BODY_BYTES`` (the body is not read);
* 414 ``UriTooLong`` above ``limits.MAX_URL_BYTES``, 431 ``HeadersTooLarge`` above ``limits.MAX_HEADER_BYTES``
  (and malformed HTTP: ``JsonErrorRequestHandler`` replaces the HTML error pages of ``http.server``);
* a failed integration (the handler raised or returned garbage, which ``ApiApp`` prevents) is a
  500 ``InternalError`` (API Gateway's INTEGRATION_FAILURE response, configured to the same body).

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

from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from einvoice.api import limits
from einvoice.api.http import error_body
from local import dispatch, mailbox

BINARY_TYPES = ("application/pdf", "application/octet-stream", "image/", "multipart/form-data", "application/zip")


def _compile(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{([A-Za-z0-9_]+)\}", r"(?P<\1>[^/]+)", path)
    return re.compile(f"^{pattern}$")


class LocalApi:
    def __init__(self, *, stage: str = "local", key_lookup=None, api_id: str = "local", access_log: bool = False,
                 pages: dict | None = None, authorizer=None) -> None:
        from einvoice.routes import routes
        from local.oauth import TOKEN_PATH, LocalAuthorizer

        self.access_log = access_log
        # the Cognito authorizer of the oauth2 routes and Cognito's token endpoint (local.oauth)
        self.authorizer = authorizer or LocalAuthorizer()
        pages = {TOKEN_PATH: self.authorizer.token_page, **(pages or {})}
        self.pages = dict(pages or {})  # local-only pages: path prefix -> callable(request) -> Response
        self.stage = stage
        self.api_id = api_id
        self._key_lookup = key_lookup
        self._key_cache: dict[str, tuple[float, str | None]] = {}
        self._openapi: str | None = None
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
        if len(self._key_cache) >= 10_000:  # bounded: a flood of random keys must not grow the process
            self._key_cache.clear()
        self._key_cache[value] = (time.monotonic(), key_id)
        return key_id

    # --- WSGI --------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        request.max_content_length = None  # checked in handle() (413 in the error body)
        t0 = time.perf_counter()
        try:
            response = self.handle(request)
        except Exception:  # noqa: BLE001 - the emulated API Gateway never answers an HTML 500
            import traceback

            traceback.print_exc()
            response = _error(500, "InternalError", "Internal server error")
        finally:
            if (request.content_length or 0) > _TRIM_ABOVE:
                _release_memory()
        if self.access_log:
            ms = (time.perf_counter() - t0) * 1000
            print(f"{request.method} {request.full_path.rstrip('?')} -> {response.status_code} ({ms:.0f} ms)", flush=True)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        gateway_error = _gateway_limits(request)
        if gateway_error is not None:
            return gateway_error
        path = request.path
        if path in ("/", "/docs", "/docs/"):
            return Response(_swagger_html(), content_type="text/html; charset=utf-8")
        if path.startswith("/_static/"):
            return _static(path.rsplit("/", 1)[-1])
        if path == "/openapi.json":
            if self._openapi is None:  # built once: the document cannot change while the server runs
                from einvoice.api.openapi import build_openapi

                self._openapi = json.dumps(build_openapi(), indent=2)
            return Response(self._openapi, content_type="application/json")
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
            authorizer = None
            if route.auth == "oauth2":
                claims = self.authorizer.claims(request.headers.get("Authorization"), route.scopes)
                if claims is None:
                    return _error(401, "Unauthorized", "Unauthorized")
                authorizer = {"claims": claims}
            elif route.auth != "none":
                value = request.headers.get("x-api-key")
                key_id = self.key_id(value)
                if key_id is None:
                    return _error(403, "Forbidden", "Forbidden")
                identity.update({"apiKey": value, "apiKeyId": key_id})
            event = self.event(request, route, m.groupdict(), identity)
            if authorizer is not None:
                event["requestContext"]["authorizer"] = authorizer
            try:
                result = dispatch.call(fn.name, event)
                return _to_response(result)
            except Exception:  # noqa: BLE001 - integration failure: the configured Gateway Response
                import traceback

                traceback.print_exc()
                return _error(500, "InternalError", "Internal server error", event["requestContext"]["requestId"])
        # API Gateway REST answers unknown routes/methods with 403 "Missing Authentication Token"
        return _error(403, "MissingAuthenticationToken", "Missing Authentication Token")

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


def _error(status: int, code: str, message: str, request_id: str | None = None) -> Response:
    """An answer of API Gateway itself, with the body its Gateway Responses are configured to."""
    return _json(status, error_body(code, message, [], request_id or str(uuid.uuid4())))


_TRIM_ABOVE = 256 * 1024


def _release_memory() -> None:
    """Give freed heap back to the system after a large request (glibc keeps it in its arenas
    otherwise, and a threaded server grows to its peak for good)."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _gateway_limits(request: Request) -> Response | None:
    """What API Gateway refuses before any integration runs (limits in ``einvoice.api.limits``)."""
    url_bytes = len(request.environ.get("RAW_URI") or request.full_path)
    if url_bytes > limits.MAX_URL_BYTES:
        return _error(414, "UriTooLong", f"The URL is limited to {limits.MAX_URL_BYTES} bytes")
    header_bytes = url_bytes + sum(len(k) + len(v) + 4 for k, v in request.headers.items())
    if header_bytes > limits.MAX_HEADER_BYTES:
        return _error(431, "HeadersTooLarge", f"Request line and headers are limited to {limits.MAX_HEADER_BYTES} bytes")
    length = request.content_length
    if length is not None and length > limits.MAX_BODY_BYTES:
        return _error(413, "PayloadTooLarge", f"The request body is limited to {limits.MAX_BODY_BYTES} bytes")
    if length is None and request.headers.get("transfer-encoding", "").lower() == "chunked":
        data = request.stream.read(limits.MAX_BODY_BYTES + 1)
        if len(data) > limits.MAX_BODY_BYTES:
            return _error(413, "PayloadTooLarge", f"The request body is limited to {limits.MAX_BODY_BYTES} bytes")
        request._cached_data = data  # werkzeug's cache of get_data()
    return None


class JsonErrorRequestHandler(WSGIRequestHandler):
    """``http.server`` answers malformed requests (request line over 64 KB, too many or too long
    headers, bad syntax) with an HTML page: this one answers with the error body instead."""

    _CODES = {400: "BadRequest", 408: "RequestTimeout", 414: "UriTooLong", 431: "HeadersTooLarge",
              501: "NotImplemented", 505: "HttpVersionNotSupported"}

    def send_error(self, code, message=None, explain=None):  # noqa: D401 - http.server API
        body = json.dumps(error_body(self._CODES.get(code, "BadRequest"), message or self.responses.get(code, ("",))[0],
                                     [], str(uuid.uuid4()))).encode()
        try:
            self.log_error("code %d, message %s", code, message)
        except Exception:  # noqa: BLE001 - logging must not break the answer
            pass
        self.send_response(code, message)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if getattr(self, "command", None) != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)


def _to_response(result: dict[str, Any]) -> Response:
    if not isinstance(result, dict) or not isinstance(result.get("statusCode", 200), int):
        raise ValueError("malformed Lambda proxy response")
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
        return _error(404, "NotFound", "Not Found")
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
