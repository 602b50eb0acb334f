"""``/_local/webhooks``: a webhook receiver on loopback that verifies signatures and shows what arrived.

Subscribe ``http://127.0.0.1:<port>/_local/webhooks/sink`` (the local platform accepts loopback http
webhook URLs). Each POST is checked as a client should (``einvoice.webhooks.signing.verify_signature``
with the secret of the subscriptions pointing at the sink, read from the local data table): 200 when a
signature matches, 400 otherwise. ``GET /_local/webhooks`` lists what was received (newest first;
``?format=json`` for JSON); ``POST /_local/webhooks`` with ``{"mode": "down"}`` makes the sink answer
503 (the platform retries with backoff, then dead-letters), ``{"mode": "ok"}`` brings it back.
"""

from __future__ import annotations

import html
import json
import threading
import time
from collections import deque
from typing import Any

from werkzeug.wrappers import Request, Response

PREFIX = "/_local/webhooks"
MAX_KEPT = 200


class WebhookSink:
    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.mode = "ok"
        self.received: deque[dict[str, Any]] = deque(maxlen=MAX_KEPT)
        self._lock = threading.Lock()

    def _secrets(self, url_path: str) -> list[tuple[str, str]]:
        """(subscription id, secret) of the subscriptions whose URL ends at this sink path (local only: a scan)."""
        from boto3.dynamodb.conditions import Attr

        from einvoice.adapters.aws.clients import table

        data = table(self.settings.data_table, self.settings)
        out, kwargs = [], {"FilterExpression": Attr("type").eq("WEBHOOK")}
        while True:
            page = data.scan(**kwargs)
            out += [(i["id"], i["secret"]) for i in page.get("Items", []) if str(i.get("url", "")).endswith(url_path)]
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def receive(self, request: Request) -> Response:
        from einvoice.webhooks.signing import HEADER, SignatureError, verify_signature

        body = request.get_data(cache=False)
        entry: dict[str, Any] = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "path": request.path,
                                 "eventType": request.headers.get("X-Einvoice-Event-Type"),
                                 "eventId": request.headers.get("X-Einvoice-Event-Id"),
                                 "deliveryId": request.headers.get("X-Einvoice-Delivery-Id")}
        if self.mode == "down":
            entry.update(status=503, verified=None)
            self._keep(entry)
            return Response(json.dumps({"sink": "down"}), status=503, content_type="application/json")
        verified, problem = None, "no subscription points at this sink"
        for sub_id, secret in self._secrets(request.path):
            try:
                verify_signature(secret, body, request.headers.get(HEADER))
                verified, problem = sub_id, None
                break
            except SignatureError as exc:
                problem = exc.reason
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        entry.update(status=200 if verified else 400, verified=bool(verified), subscriptionId=verified,
                     problem=problem, body=payload)
        self._keep(entry)
        return Response(json.dumps({"verified": bool(verified), "problem": problem}), status=entry["status"],
                        content_type="application/json")

    def _keep(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.received.appendleft(entry)

    def page(self, request: Request) -> Response:
        if request.path != PREFIX and request.method == "POST":
            return self.receive(request)
        if request.method == "POST":
            try:
                mode = json.loads(request.get_data() or b"{}").get("mode")
            except (ValueError, AttributeError):
                mode = None
            if mode not in ("ok", "down"):
                return Response(json.dumps({"code": "BadRequest", "message": "mode must be ok or down"}), status=400,
                                content_type="application/json")
            self.mode = mode
        with self._lock:
            items = list(self.received)
        if request.args.get("format") == "json" or request.method == "POST":
            return Response(json.dumps({"mode": self.mode, "received": items}, indent=2),
                            content_type="application/json")
        return Response(_html(self.mode, items), content_type="text/html; charset=utf-8")


def _html(mode: str, items: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(i['at'])}</td><td>{html.escape(str(i.get('eventType')))}</td>"
        f"<td>{i['status']}</td><td>{'yes' if i.get('verified') else 'no'}</td>"
        f"<td><pre>{html.escape(json.dumps(i.get('body'), ensure_ascii=False, indent=1)[:2000])}</pre></td></tr>"
        for i in items)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Local webhooks</title>
<style>body{{font-family:sans-serif}} td,th{{border:1px solid #ccc;padding:4px;vertical-align:top}}</style></head>
<body><h1>Webhook sink ({html.escape(mode)})</h1><p>Subscribe <code>…{PREFIX}/sink</code>; JSON:
<a href="{PREFIX}?format=json">{PREFIX}?format=json</a></p>
<table><tr><th>received</th><th>event</th><th>answer</th><th>signature verified</th><th>body</th></tr>{rows}</table>
</body></html>"""
