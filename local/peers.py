"""Simulated peer platforms: the receiving side of the AFNOR XP Z12-013 Flow API on loopback.

``make run`` starts ``0238:PA-0042`` and ``0238:PA-0117`` (the platforms of the directory data set),
each on its own port, registered in the platform registry with its OAuth2 client credentials. Each
peer has a switch (``/_local/peers`` on the local API) so a person can watch retries and faults:

* ``ok``: 202 with a flow id (a repeated ``trackingId`` with the same SHA-256 -> 409 AlreadyExistingFlow);
* ``down``: 503 to everything; ``slow``: answers after ``slowSeconds`` (the client times out first by
  default); ``reject``: 422 with an acknowledgement in error (``InvalidSchema``).

Endpoints: ``POST /oauth/token`` (client credentials), ``POST /v1/flows`` (multipart ``flowInfo`` +
``file``, Bearer token, SHA-256 checked), ``GET /v1/flows/{flowId}``, ``GET /v1/healthcheck``.

Each peer is also a client of OUR Flow API (``connect_home``: its OAuth2 client credentials on this
platform, ``0238:PA-0042`` with the demo credentials the banner prints): when it receives an invoice from
us it answers, after ``answer_delay`` seconds, with its own statuses 202, 203 and 204 as CDAR flows posted
to our ``POST /v1/flows``; statuses we send it (CDAR) are kept like any flow. ``POST /_local/peers/<id>/send``
makes it deliver an invoice to one of our companies (``{"buyerSiren", "syntax", "corrupt", "number"}``;
``corrupt`` announces a wrong SHA-256) and returns our answer.
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
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

MODES = ("ok", "down", "slow", "reject")
DEFAULT_PEERS = (("0238:PA-0042", "Plateforme 0042 (simulée)", "UBL"),
                 ("0238:PA-0117", "Plateforme 0117 (simulée)", None))
#: the peers' OAuth2 credentials on THIS platform's Flow API (``EINVOICE_DEMO_FLOW_CLIENTS=id:secret,id:secret``)
DEFAULT_HOME_CLIENTS = {"0238:PA-0042": ("demo-pa-0042", "einvoice-demo-flow-secret-0042"),
                        "0238:PA-0117": ("demo-pa-0117", "einvoice-demo-flow-secret-0117")}
#: a company of each peer (generated directory): the seller of the invoices the peer sends
PEER_SELLERS = {"0238:PA-0042": ("382158764", "Fournitures Lyonnaises SA"),
                "0238:PA-0117": ("259880003", "Services Atlantique SAS")}
ANSWERS = (202, 203, 204)
EXAMPLE_INVOICE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "invoice.json"


def home_clients() -> dict[str, tuple[str, str]]:
    import os

    raw = [c.strip() for c in os.environ.get("EINVOICE_DEMO_FLOW_CLIENTS", "").split(",") if c.strip()]
    out = dict(DEFAULT_HOME_CLIENTS)
    for pid, value in zip(DEFAULT_HOME_CLIENTS, raw, strict=False):
        client_id, _, secret = value.partition(":")
        out[pid] = (client_id, secret)
    return out


def vat_id(siren: str) -> str:
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def sample_invoice(seller: tuple[str, str], buyer: tuple[str, str], number: str) -> Any:
    """The README's example invoice (docs/examples/invoice.json) from ``seller`` to ``buyer`` (SIREN, name)."""
    from einvoice.invoicing import calc
    from einvoice.invoicing.model import Invoice

    body = json.loads(EXAMPLE_INVOICE.read_text())
    body["number"] = number
    for role, (siren, name) in (("seller", seller), ("buyer", buyer)):
        party = body[role]
        party.update({"name": name, "siren": siren, "vatId": vat_id(siren),
                      "electronicAddress": {"value": siren, "scheme": "0225"}})
        party.pop("identifiers", None)
    return calc.compute(Invoice.model_validate(body))


def render(invoice: Any, syntax: str) -> tuple[bytes, str]:
    from einvoice.invoicing.service import render_invoice

    fmt = {"CII": "cii", "UBL": "ubl", "Factur-X": "facturx"}[syntax]
    return render_invoice(invoice, fmt, "en16931"), "application/pdf" if fmt == "facturx" else "application/xml"


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
    home_url: str = ""  # this platform's API (its Flow API and token endpoint)
    home_client: tuple[str, str] | None = None  # the peer's client id and secret on this platform
    answer_delay: float = 1.0
    answers: bool = True
    sent: list[dict[str, Any]] = field(default_factory=list)  # what the peer posted to this platform
    _tokens: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _home_token: tuple[float, str] | None = None

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
        if info.get("flowSyntax") != "CDAR" and self.answers and self.home_url and self.home_client:
            threading.Thread(target=self._answer, args=(data,), name=f"peer-answer-{self.platform_id}",
                             daemon=True).start()
        return _json(202, flow)

    # --- as a client of this platform's Flow API ---------------------------------------------------
    def _home_bearer(self) -> str:
        import base64
        import urllib.request

        if self._home_token and self._home_token[0] > time.monotonic():
            return self._home_token[1]
        client_id, secret = self.home_client or ("", "")
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        req = urllib.request.Request(f"{self.home_url}/oauth2/token", data=b"grant_type=client_credentials",
                                     headers={"Authorization": f"Basic {basic}",
                                              "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback
            token = json.loads(resp.read())["access_token"]
        self._home_token = (time.monotonic() + 3000, token)
        return token

    def post_home(self, data: bytes, flow_info: dict[str, Any], content_type: str) -> tuple[int, Any]:
        """``POST /v1/flows`` on this platform with the peer's token; (status, JSON answer)."""
        import urllib.error
        import urllib.request

        from einvoice.transmission.flow_api import multipart

        body, ctype = multipart([("flowInfo", "application/json", None, json.dumps(flow_info).encode()),
                                 ("file", content_type, flow_info.get("name"), data)])
        req = urllib.request.Request(f"{self.home_url}/v1/flows", data=body, method="POST",
                                     headers={"Content-Type": ctype, "Authorization": f"Bearer {self._home_bearer()}",
                                              "Request-Id": str(uuid.uuid4())})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = raw[:500].decode("utf-8", "replace")
        with self._lock:
            self.sent.append({"name": flow_info.get("name"), "flowSyntax": flow_info.get("flowSyntax"),
                              "status": status, "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              "errorCode": answer.get("errorCode") if isinstance(answer, dict) else None})
        return status, answer

    def _answer(self, data: bytes) -> None:
        """Statuses of the buyer's platform and of the buyer on an invoice we received from this platform."""
        from datetime import date

        from einvoice.invoicing.service import parse_document
        from einvoice.lifecycle import builder, cdar_xml
        from einvoice.lifecycle.statuses import Actor
        from einvoice.lifecycle.transitions import StatusRequest

        try:
            inv = parse_document(data)
        except Exception:  # noqa: BLE001 - a peer answers what it can read
            return

        def company(p):
            siren = (p.siren or "")[:9]
            address = p.electronic_address.value if p.electronic_address else siren
            return builder.Company(siren, p.name or siren, address)

        ref = builder.InvoiceRef(inv.number, date.fromisoformat(inv.issue_date.isoformat()), company(inv.seller),
                                 company(inv.buyer), inv.type_code)
        received = datetime.now(timezone.utc)
        for code in ANSWERS:
            time.sleep(self.answer_delay)
            actor = Actor.BUYER if code == 204 else Actor.BUYER_PLATFORM
            at = datetime.now(timezone.utc)
            xml = cdar_xml.to_xml(builder.peer_copy(builder.StatusEvent(ref, StatusRequest(code), actor, at,
                                                                        received)))
            info = {"trackingId": f"{self.platform_id[-4:]}-{inv.number}-{code}"[:64], "name": f"{code}.xml",
                    "processingRule": "B2B", "flowSyntax": "CDAR", "sha256": hashlib.sha256(xml).hexdigest()}
            for attempt in range(10):  # 503: our delivery is still being recorded; retry shortly
                try:
                    status, _answer = self.post_home(xml, info, "application/xml")
                except OSError as exc:  # our API busy or stopping: a real peer retries later, quietly
                    status = -1
                    with self._lock:
                        self.sent.append({"name": info["name"], "flowSyntax": "CDAR", "status": status,
                                          "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                          "errorCode": type(exc).__name__})
                if status not in (503, -1):
                    break
                time.sleep(min(30, 2 ** attempt))

    def send_invoice(self, buyer_siren: str, *, buyer_name: str = "Client", syntax: str = "CII",
                     corrupt: bool = False, number: str | None = None) -> tuple[int, Any]:
        """Deliver an invoice of this peer's company to ``buyer_siren`` through our Flow API."""
        if syntax not in ("CII", "UBL", "Factur-X"):
            raise ValueError("syntax must be CII, UBL or Factur-X")
        if not (len(buyer_siren) == 9 and buyer_siren.isdigit()):
            raise ValueError("buyerSiren must be 9 digits")
        number = number or f"P{self.platform_id[-4:]}-{uuid.uuid4().hex[:8].upper()}"
        invoice = sample_invoice(PEER_SELLERS[self.platform_id], (buyer_siren, buyer_name), number)
        data, ctype = render(invoice, syntax)
        digest = hashlib.sha256(data).hexdigest()
        info = {"trackingId": number, "name": f"{number}.{'pdf' if syntax == 'Factur-X' else 'xml'}",
                "processingRule": "B2B", "flowSyntax": syntax, "flowProfile": "CIUS",
                "sha256": ("0" * 64 if digest != "0" * 64 else "1" * 64) if corrupt else digest}
        return self.post_home(data, info, ctype)

    def _refuse(self, status: int, code: str, message: str) -> Response:
        with self._lock:
            self.refused += 1
        return _json(status, {"ackStatus": "Error", "acknowledgement": {
            "details": [{"level": "Error", "item": "file", "reasonCode": code, "reasonMessage": message}]}})

    def summary(self) -> dict[str, Any]:
        return {"platformId": self.platform_id, "name": self.name, "url": self.url, "mode": self.mode,
                "slowSeconds": self.slow_seconds, "preferredSyntax": self.preferred_syntax,
                "requests": self.requests, "refused": self.refused, "flowsReceived": len(self.flows),
                "lastFlows": list(self.flows.values())[-5:], "flowsSent": len(self.sent), "lastSent": self.sent[-5:],
                "answers": self.answers}


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
        """Registry entries (directory table) and client secrets (SSM SecureStrings) of every peer, and each
        peer's OAuth2 client on this platform's Flow API (tenancy table)."""
        from einvoice.adapters.aws.clients import client, table
        from einvoice.flows.clients import PLATFORM, TableClients, new_client
        from einvoice.transmission.ports import Platform
        from einvoice.transmission.registry import TablePlatformRegistry

        registry = TablePlatformRegistry(table(settings.directory_table, settings))
        clients = TableClients(table(settings.tenancy_table, settings))
        ssm = client("ssm", settings)
        credentials = home_clients()
        for peer in self.peers.values():
            client_id, secret = credentials[peer.platform_id]
            record, _ = new_client(PLATFORM, peer.name, platform_id=peer.platform_id, client_id=client_id,
                                   secret=secret)
            clients.put(record)
            peer.home_client = (client_id, secret)
            ref = f"/einvoice/{settings.stage}/platforms/{peer.platform_id.replace(':', '-')}"
            ssm.put_parameter(Name=ref, Value=peer.client_secret, Type="SecureString", Overwrite=True)
            registry.put(Platform(peer.platform_id, peer.name, peer.url, token_url=f"{peer.url}/oauth/token",
                                  client_id=peer.client_id, client_secret_ref=ref,
                                  preferred_syntax=peer.preferred_syntax))

    def connect_home(self, api_url: str, *, answer_delay: float | None = None) -> None:
        """Where this platform's API listens (each peer posts its flows there)."""
        for peer in self.peers.values():
            peer.home_url = api_url
            if answer_delay is not None:
                peer.answer_delay = answer_delay

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
        if request.method == "POST" and len(parts) == 5 and parts[4] == "send":
            return self._send_page(parts[3], request)
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


    def _send_page(self, platform_id: str, request: Request) -> Response:
        """``POST /_local/peers/<id>/send`` ``{"buyerSiren", "buyerName", "syntax", "corrupt", "number"}``."""
        peer = self.peers.get(platform_id)
        if peer is None:
            return _json(404, {"code": "NotFound", "message": f"no peer {platform_id}"})
        body = request.get_json(silent=True) or {}
        try:
            status, answer = peer.send_invoice(str(body.get("buyerSiren", "")), buyer_name=str(body.get("buyerName")
                                               or "Client"), syntax=str(body.get("syntax") or "CII"),
                                               corrupt=body.get("corrupt") is True, number=body.get("number"))
        except ValueError as exc:
            return _json(422, {"code": "ValidationError", "message": str(exc)})
        return _json(200, {"platformId": platform_id, "status": status, "answer": answer})


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
