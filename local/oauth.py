"""Local stand-in for Cognito's OAuth2 side of the Flow API: a token endpoint and the authorizer's check.

* ``POST /oauth2/token`` (RFC 6749 client credentials): the client authenticates with HTTP Basic or
  ``client_id`` / ``client_secret`` form fields, against the Flow API client records of the tenancy
  table (``einvoice.flows.clients``: the same records the handlers resolve); ``scope`` is optional
  (default: every scope of the client). Answers ``{access_token, token_type, expires_in}`` or an
  RFC 6749 error (``invalid_client`` 401, ``unsupported_grant_type`` / ``invalid_scope`` 400).
* the token is a JWT (HS256, key made at start-up, one hour) with Cognito's access-token claims
  (``client_id``, ``scope``, ``token_use``, ``iss``, ``exp``); ``LocalAuthorizer.claims`` checks it as
  API Gateway's Cognito authorizer does for a route with authorization scopes, and the local server puts
  the claims in ``requestContext.authorizer.claims``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

TOKEN_PATH = "/oauth2/token"
LIFETIME_SECONDS = 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LocalAuthorizer:
    def __init__(self, issuer: str = "http://127.0.0.1/local-oauth", key: bytes | None = None,
                 clients: Any = None) -> None:
        self.issuer = issuer
        self.key = key or secrets.token_bytes(32)
        self._clients = clients

    @property
    def clients(self) -> Any:
        if self._clients is None:
            from einvoice.adapters.aws.clients import table
            from einvoice.flows.clients import TableClients
            from einvoice.settings import get_settings

            s = get_settings()
            self._clients = TableClients(table(s.tenancy_table, s), ttl=5.0)
        return self._clients

    # --- tokens ----------------------------------------------------------------------------------
    def issue(self, client_id: str, scopes: tuple[str, ...], *, lifetime: int = LIFETIME_SECONDS) -> str:
        now = int(time.time())
        header = {"alg": "HS256", "typ": "JWT", "kid": "local"}
        claims = {"sub": client_id, "client_id": client_id, "token_use": "access", "scope": " ".join(scopes),
                  "iss": self.issuer, "iat": now, "exp": now + lifetime, "jti": str(uuid.uuid4())}
        signing = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
        signature = hmac.new(self.key, signing.encode(), hashlib.sha256).digest()
        return signing + "." + _b64(signature)

    def claims(self, authorization: str | None, scopes: tuple[str, ...]) -> dict[str, Any] | None:
        """The token's claims when it is valid, unexpired and carries one of ``scopes``; else None."""
        if not authorization or not authorization.startswith("Bearer ") or len(authorization) > 4096:
            return None
        parts = authorization[7:].strip().split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(self.key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                return None
            header, claims = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
        except (ValueError, TypeError):
            return None
        if header.get("alg") != "HS256" or claims.get("iss") != self.issuer or claims.get("token_use") != "access":
            return None
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
            return None
        granted = set(str(claims.get("scope", "")).split())
        if scopes and not granted & set(scopes):
            return None
        return claims

    # --- POST /oauth2/token ------------------------------------------------------------------------
    def token_page(self, request: Request) -> Response:
        if request.method != "POST" or request.path != TOKEN_PATH:
            return _oauth_error(405 if request.path == TOKEN_PATH else 404, "invalid_request",
                                "POST /oauth2/token only")
        if request.form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                client_id, secret = unquote(client_id), unquote(secret)
            except (ValueError, UnicodeDecodeError):
                return _oauth_error(401, "invalid_client", "unreadable Basic credentials")
        from einvoice.flows.clients import secret_matches

        client = self.clients.get(client_id) if client_id and len(client_id) <= 128 else None
        if client is None or not secret or not secret_matches(secret, client.secret_hash):
            return _oauth_error(401, "invalid_client", "unknown client or wrong secret")
        asked = tuple((request.form.get("scope") or "").split()) or client.scopes
        if not set(asked) <= set(client.scopes):
            return _oauth_error(400, "invalid_scope", f"this client may ask for {' '.join(client.scopes)}")
        token = self.issue(client.client_id, asked)
        return Response(json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": LIFETIME_SECONDS}),
                        content_type="application/json", headers={"Cache-Control": "no-store"})


def _oauth_error(status: int, error: str, description: str) -> Response:
    headers = {"WWW-Authenticate": 'Basic realm="einvoice"'} if status == 401 else {}
    return Response(json.dumps({"error": error, "error_description": description}), status=status,
                    content_type="application/json", headers=headers)
