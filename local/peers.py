"""Simulated peer platforms: the receiving side of the AFNOR XP Z12-013 Flow API on loopback.

``make run`` starts ``0238:PA-0042`` and ``0238:PA-0117`` (the platforms of the directory data set),
each on its own port, registered in the platform registry with its OAuth2 client credentials. Each
peer has a switch (``/_local/peers`` on the local API) so a person can watch retries and faults:

* ``ok``: 202 with a flow id (a repeated ``trackingId`` with the same SHA-256 -> 409 AlreadyExistingFlow);
* ``down``: 503 to everything; ``slow``: answers after ``slowSeconds`` (the client times out first by
  default); ``reject``: 422 with an acknowledgement in error (``InvalidSchema``).

Endpoints: ``POST /oauth/token`` (client credentials), ``POST /v1/flows`` (multipart ``flowInfo`` +
``file``, Bearer token, SHA-256 checked), ``GET /v1/flows/{flowId}``, ``GET /v1/healthcheck``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from werkzeug.wrappers import Request, Response

MODES = ("ok", "down", "slow", "reject")
DEFAULT_PEERS = (("0238:PA-0042", "Plateforme 0042 (simulée)", "UBL"),
                 ("0238:PA-0117", "Plateforme 0117 (simulée)", None))


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


@dataclass
class Peer:
    platform_id: str
    name: str
    preferred_syntax: str | None = None
    mode: str = "ok"
    slow_seconds: float = 12.0
    client_id: str = field(default_factory=lambda: "einvoice-" + uuid.uuid4().hex[:8])
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    flows: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: int = 0
    refused: int = 0
    url: str = ""
    _tokens: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- WSGI -------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests += 1
            mode = self.mode
        if request.path == "/v1/healthcheck":
            return _json(503 if mode == "down" else 200, {"status": mode})
        if mode == "down":
            return _json(503, {"errorCode": "ServiceUnavailable", "errorMessage": f"{self.platform_id} is down"})
        if mode == "slow":
            time.sleep(self.slow_seconds)
        if request.method == "POST" and request.path == "/oauth/token":
            return self._token(request)
        if request.method == "POST" and request.path == "/v1/flows":
            return self._flow(request, mode)
        if request.method == "GET" and request.path.startswith("/v1/flows/"):
            flow_id = request.path.rsplit("/", 1)[-1]
            found = next((f for f in self.flows.values() if f["flowId"] == flow_id), None)
            return _json(200, found) if found else _json(404, {"errorCode": "NotFound"})
        return _json(404, {"errorCode": "NotFound"})

    def _token(self, request: Request) -> Response:
        if request.form.get("grant_type") != "client_credentials" or (
                request.form.get("client_id"), request.form.get("client_secret")) != (self.client_id,
                                                                                       self.client_secret):
            return _json(401, {"error": "invalid_client"})
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        return _json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def _flow(self, request: Request, mode: str) -> Response:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self._tokens:
            return _json(401, {"errorCode": "Unauthorized"})
        try:
            info = json.loads(request.form.get("flowInfo") or request.files["flowInfo"].read())
            upload = request.files["file"]
            data = upload.read()
        except (KeyError, ValueError):
            return _json(400, {"errorCode": "BadRequest", "errorMessage": "flowInfo and file are required"})
        if not data:
            return self._refuse(422, "EmptyFlow", "the file is empty")
        if hashlib.sha256(data).hexdigest() != info.get("sha256"):
            return self._refuse(422, "ChecksumMismatch", "the SHA-256 announced does not match the file")
        if mode == "reject":
            return self._refuse(422, "InvalidSchema", "the flow does not match the expected schema (simulated)")
        with self._lock:
            known = self.flows.get(info.get("trackingId", ""))
            if known is not None:
                return _json(409, {"flowId": known["flowId"], "ackStatus": "Error", "acknowledgement": {
                    "details": [{"level": "Error", "reasonCode": "AlreadyExistingFlow",
                                 "reasonMessage": "this trackingId was already received"}]}})
            flow = {"flowId": str(uuid.uuid4()), "trackingId": info.get("trackingId"), "name": info.get("name"),
                    "flowSyntax": info.get("flowSyntax"), "flowProfile": info.get("flowProfile"),
                    "processingRule": info.get("processingRule"), "sha256": info.get("sha256"), "size": len(data),
                    "submittedAt": datetime.now(timezone.utc).isoformat(timespec="seconds"), "ackStatus": "Ok",
                    "contentType": upload.mimetype}
            self.flows[flow["trackingId"]] = flow
        return _json(202, flow)

    def _refuse(self, status: int, code: str, message: str) -> Response:
        with self._lock:
            self.refused += 1
        return _json(status, {"ackStatus": "Error", "acknowledgement": {
            "details": [{"level": "Error", "item": "file", "reasonCode": code, "reasonMessage": message}]}})

    def summary(self) -> dict[str, Any]:
        return {"platformId": self.platform_id, "name": self.name, "url": self.url, "mode": self.mode,
                "slowSeconds": self.slow_seconds, "preferredSyntax": self.preferred_syntax,
                "requests": self.requests, "refused": self.refused, "flowsReceived": len(self.flows),
                "lastFlows": list(self.flows.values())[-5:]}


class PeerNetwork:
    """The simulated peers, each served on its own loopback port, and their registry entries."""

    def __init__(self, host: str = "127.0.0.1", peers=DEFAULT_PEERS) -> None:
        self.host = host
        self.peers = {pid: Peer(pid, name, syntax) for pid, name, syntax in peers}
        self._servers: list[Any] = []

    def start(self, ports: dict[str, int] | None = None) -> "PeerNetwork":
        from werkzeug.serving import make_server

        for pid, peer in self.peers.items():
            server = make_server(self.host, (ports or {}).get(pid, 0), peer, threaded=True)
            peer.url = f"http://{self.host}:{server.server_address[1]}"
            threading.Thread(target=server.serve_forever, name=f"peer-{pid}", daemon=True).start()
            self._servers.append(server)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()

    def register(self, settings: Any) -> None:
        """Registry entries (directory table) and client secrets (SSM SecureStrings) of every peer."""
        from einvoice.adapters.aws.clients import client, table
        from einvoice.transmission.ports import Platform
        from einvoice.transmission.registry import TablePlatformRegistry

        registry = TablePlatformRegistry(table(settings.directory_table, settings))
        ssm = client("ssm", settings)
        for peer in self.peers.values():
            ref = f"/einvoice/{settings.stage}/platforms/{peer.platform_id.replace(':', '-')}"
            ssm.put_parameter(Name=ref, Value=peer.client_secret, Type="SecureString", Overwrite=True)
            registry.put(Platform(peer.platform_id, peer.name, peer.url, token_url=f"{peer.url}/oauth/token",
                                  client_id=peer.client_id, client_secret_ref=ref,
                                  preferred_syntax=peer.preferred_syntax))

    def switch(self, platform_id: str, mode: str, slow_seconds: float | None = None) -> dict[str, Any]:
        if platform_id not in self.peers:
            raise KeyError(platform_id)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        peer = self.peers[platform_id]
        peer.mode = mode
        if slow_seconds is not None:
            peer.slow_seconds = float(slow_seconds)
        return peer.summary()

    # --- /_local/peers on the local API --------------------------------------------------------
    def page(self, request: Request) -> Response:
        """``GET /_local/peers`` (HTML, or JSON with ``Accept: application/json`` or ``?format=json``);
        ``POST /_local/peers/<platform id>`` with ``{"mode": "down", "slowSeconds": 3}`` or a form."""
        parts = request.path.rstrip("/").split("/")
        if request.method == "POST" and len(parts) == 4:
            body = request.get_json(silent=True) or request.form
            try:
                out = self.switch(parts[3], str(body.get("mode", "")), body.get("slowSeconds"))
            except KeyError:
                return _json(404, {"code": "NotFound", "message": f"no peer {parts[3]}"})
            except (ValueError, TypeError) as exc:
                return _json(422, {"code": "ValidationError", "message": str(exc)})
            if request.form:
                return Response(status=303, headers={"Location": "/_local/peers"})
            return _json(200, out)
        peers = [p.summary() for p in self.peers.values()]
        if request.args.get("format") == "json" or "application/json" in request.headers.get("Accept", ""):
            return _json(200, peers)
        return Response(_html(peers), content_type="text/html; charset=utf-8")


def _html(peers: list[dict[str, Any]]) -> str:
    import html

    rows = []
    for p in peers:
        buttons = "".join(
            f'<button name="mode" value="{m}"{" disabled" if m == p["mode"] else ""}>{m}</button>' for m in MODES)
        flows = "".join(f"<li>{html.escape(str(f['name']))} ({f['flowSyntax']}, {f['size']} bytes, "
                        f"{f['submittedAt']})</li>" for f in p["lastFlows"])
        rows.append(f'<article><h2>{html.escape(p["platformId"])} &middot; {html.escape(p["name"])}</h2>'
                    f'<p>Flow API: <code>{p["url"]}</code> &middot; mode <b>{p["mode"]}</b> &middot; '
                    f'{p["flowsReceived"]} flows received, {p["refused"]} refused, {p["requests"]} requests</p>'
                    f'<form method="post" action="/_local/peers/{p["platformId"]}">{buttons}</form>'
                    f"<ul>{flows}</ul></article>")
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">'
            "<title>Local peer platforms</title><style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
            "article{border:1px solid #ccc;border-radius:6px;padding:0 1rem;margin:1rem 0}</style></head><body>"
            "<h1>Simulated peer platforms</h1><p>JSON: <a href=\"/_local/peers?format=json\">"
            "/_local/peers?format=json</a></p>" + "".join(rows) + "</body></html>")
