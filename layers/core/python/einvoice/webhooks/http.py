"""The HTTP sender of webhook deliveries (standard library only: nothing to package).

A POST with a 5 s timeout; redirects are not followed (a 3xx is a failed attempt); at most 1 KB of
the response is read. Before connecting, the host's resolved addresses must all be public (or
loopback when the local setting allows loopback http), so a subscription whose name resolves to a
private or link-local address (e.g. the instance metadata service) is never called. Residual risk:
a name that changes its DNS answer between this check and the connection (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from einvoice.webhooks.ports import SendResult

TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 1024


def _addresses_allowed(host: str, port: int, allow_loopback: bool) -> bool:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return True  # the connection attempt reports the resolution failure
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global or address.is_multicast:
            return False
    return True


class UrllibSender:
    def __init__(self, *, timeout: float = TIMEOUT_SECONDS, allow_loopback: bool = False) -> None:
        self.timeout = timeout
        self.allow_loopback = allow_loopback

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        import urllib.error
        import urllib.request

        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if not _addresses_allowed(parts.hostname or "", port, self.allow_loopback):
            return SendResult(None, "refused: the host resolves to a non-public address")

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
                return None

        opener = urllib.request.build_opener(NoRedirect)
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with opener.open(request, timeout=self.timeout) as response:
                response.read(MAX_RESPONSE_BYTES)
                return SendResult(response.status, None)
        except urllib.error.HTTPError as exc:
            return SendResult(exc.code, f"HTTP {exc.code}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return SendResult(None, f"{type(exc).__name__}: {reason}"[:300])
