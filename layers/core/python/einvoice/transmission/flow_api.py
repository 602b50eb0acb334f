"""AFNOR XP Z12-013 Flow Service client (``POST /v1/flows``, Annex A v1.3.0; ``docs/fr-reform.md`` §9.1).

* multipart/form-data: part ``flowInfo`` (JSON: ``trackingId``, ``name``, ``processingRule``,
  ``flowSyntax``, ``flowProfile``, ``sha256``) and part ``file``; headers ``Request-Id`` and
  ``Authorization: Bearer`` (OAuth2 client credentials, token cached until it expires);
* 2xx -> delivered; an ``AlreadyExistingFlow`` refusal -> duplicate (the flow was delivered before:
  success); other 4xx refusals -> refused with the AFNOR reason code;
* timeouts, connection errors, 408/429/5xx, a refused token and ``ChecksumMismatch`` ->
  ``PeerUnavailableError`` (retried by the state machine, then redelivered).

Standard library only (urllib): no extra dependency in the Lambda layer.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from einvoice.transmission.errors import PeerUnavailableError
from einvoice.transmission.ports import DeliveryResult, Platform

MAX_RESPONSE_BYTES = 64 * 1024
DUPLICATE = "AlreadyExistingFlow"
RETRYABLE_REASONS = {"ChecksumMismatch"}
# AFNOR acknowledgement reason codes -> CDAR reasons of status 501 Irrecevable (fr-reform §9.1)
IRR_REASONS = {
    "EmptyFlow": "IRR_VID_F", "InvalidSchema": "IRR_SYNTAX", "FileSizeExceeded": "IRR_TAILLE_F",
    "VirusFound": "IRR_ANTIVIRUS", "FlowTypeError": "IRR_TYPE_F", "AttachmentTypeError": "IRR_EXT_DOC",
    "EmptyAttachement": "IRR_VID_PJ", "InvalidFileName": "IRR_NOM_F",
}


def multipart(fields: list[tuple[str, str, str | None, bytes]]) -> tuple[bytes, str]:
    """``[(name, content_type, filename, data)]`` -> (body, content type with boundary)."""
    boundary = "einvoice-" + uuid.uuid4().hex
    out = bytearray()
    for name, ctype, filename, data in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n".encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def _reason(body: Any) -> tuple[str | None, str | None]:
    """The AFNOR reason code and message of an error body (several shapes are seen in the wild)."""
    if not isinstance(body, dict):
        return None, None
    for key in ("reasonCode", "errorCode", "code"):
        if isinstance(body.get(key), str):
            return body[key], str(body.get("reasonMessage") or body.get("message") or body.get("errorMessage") or "")
    ack = body.get("acknowledgement") or body
    for detail in ack.get("details") or []:
        if isinstance(detail, dict) and detail.get("reasonCode"):
            return str(detail["reasonCode"]), str(detail.get("reasonMessage") or "")
    return None, None


class AfnorFlowClient:
    def __init__(self, secrets: Any = None, *, timeout: float = 10.0) -> None:
        self.secrets = secrets
        self.timeout = timeout
        self._tokens: dict[tuple[str, str], tuple[float, str]] = {}
        self._lock = threading.Lock()

    # ---- OAuth2 client credentials ------------------------------------------------------------
    def _token(self, platform: Platform, *, fresh: bool = False) -> str | None:
        if not platform.token_url or not platform.client_id:
            return None
        key = (platform.token_url, platform.client_id)
        with self._lock:
            hit = self._tokens.get(key)
            if hit and hit[0] > time.monotonic() and not fresh:
                return hit[1]
        secret = self.secrets.get(platform.client_secret_ref) if (self.secrets and platform.client_secret_ref) else ""
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": platform.client_id,
                                       "client_secret": secret}).encode()
        request = urllib.request.Request(platform.token_url, data=form, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        status, body = self._call(request, "token")
        if status != 200 or not isinstance(body, dict) or not body.get("access_token"):
            raise PeerUnavailableError("PeerAuthRefused", f"{platform.id} refused the client credentials ({status})")
        expires = float(body.get("expires_in") or 300)
        with self._lock:
            self._tokens[key] = (time.monotonic() + max(expires - 30, 1), str(body["access_token"]))
        return str(body["access_token"])

    def _call(self, request: urllib.request.Request, what: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310 - registry URLs
                status, raw = resp.status, resp.read(MAX_RESPONSE_BYTES)
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read(MAX_RESPONSE_BYTES)
        except TimeoutError:
            raise PeerUnavailableError("PeerTimeout",
                                       f"no answer to the {what} request in {self.timeout:g} s") from None
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise PeerUnavailableError("PeerTimeout", f"no answer to the {what} request") from None
            raise PeerUnavailableError("PeerUnreachable", f"{what} request failed: {type(reason).__name__}") from None
        if status in (408, 429) or status >= 500:
            raise PeerUnavailableError(f"PeerHttp{status}", f"the platform answered {status} to the {what} request")
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return status, body

    # ---- POST /v1/flows -------------------------------------------------------------------------
    def send(self, platform: Platform, *, flow_info: dict[str, Any], data: bytes, filename: str,
             content_type: str) -> DeliveryResult:
        url = platform.flow_api_url.rstrip("/") + "/v1/flows"
        body, ctype = multipart([("flowInfo", "application/json", None, json.dumps(flow_info).encode()),
                                 ("file", content_type, filename, data)])
        for fresh in (False, True):
            headers = {"Content-Type": ctype, "Request-Id": str(uuid.uuid4()), "Accept": "application/json"}
            token = self._token(platform, fresh=fresh)
            if token:
                headers["Authorization"] = f"Bearer {token}"
            status, answer = self._call(urllib.request.Request(url, data=body, method="POST", headers=headers),
                                        "flow")
            if status == 401 and token and not fresh:
                continue  # expired or revoked token: one retry with a new one
            break
        if 200 <= status < 300:
            flow_id = answer.get("flowId") if isinstance(answer, dict) else None
            return DeliveryResult("delivered", flow_id=flow_id)
        code, message = _reason(answer)
        if code == DUPLICATE:
            return DeliveryResult("duplicate", flow_id=(answer or {}).get("flowId"), reason_code=code, message=message)
        if status in (401, 403) or code in RETRYABLE_REASONS:
            raise PeerUnavailableError(code or f"PeerHttp{status}", message or f"the platform answered {status}")
        return DeliveryResult("refused", reason_code=code or f"Http{status}", message=(message or "")[:300])
