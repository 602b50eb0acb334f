"""What a webhook URL may be.

``https`` only, except ``http`` to a loopback host (127.0.0.1, ::1, localhost) when the setting
``webhooks_allow_loopback_http`` is on (the local platform). No credentials in the URL, no fragment,
at most 2,048 characters, and never an address that is not public (private, loopback, link-local such
as the instance metadata service 169.254.169.254, reserved) nor ``localhost`` / ``*.local`` /
``*.internal`` names. The sender checks the resolved addresses again at delivery time.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from einvoice.errors import ErrorDetail, InvalidInputError

MAX_URL = 2048
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")


def _refuse(message: str, message_fr: str, rule: str) -> InvalidInputError:
    return InvalidInputError(message, [ErrorDetail(message, field="url", rule=rule, message_fr=message_fr)])


def is_public_address(host: str) -> bool | None:
    """True/False for an IP literal, None for a name."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return address.is_global and not address.is_multicast


def check_url(url: str, *, allow_loopback_http: bool = False) -> str:
    """The URL as given, or ``InvalidInputError`` (422) naming the rule (``WH-URL-*``)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        raise _refuse(f"url must be a string of 1 to {MAX_URL} characters", "URL de 1 à 2048 caractères attendue",
                      "WH-URL")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise _refuse(f"url is not a valid URL: {exc}", "URL invalide", "WH-URL") from exc
    if not host:
        raise _refuse("url has no host", "URL sans hôte", "WH-URL")
    if parts.username or parts.password:
        raise _refuse("url must not carry credentials", "l'URL ne doit pas contenir d'identifiants",
                      "WH-URL-CREDENTIALS")
    if parts.fragment:
        raise _refuse("url must not have a fragment", "l'URL ne doit pas avoir de fragment", "WH-URL")
    loopback = host in LOOPBACK_NAMES
    if parts.scheme == "http" and allow_loopback_http and loopback:
        return url
    if parts.scheme != "https":
        raise _refuse("url must use https", "l'URL doit être en https", "WH-URL-HTTPS")
    public = is_public_address(host)
    if loopback or public is False or host.endswith(_PRIVATE_SUFFIXES) or (public is None and "." not in host):
        if loopback and allow_loopback_http:
            return url
        raise _refuse("url must point to a public host (no private, loopback or link-local address)",
                      "l'URL doit désigner un hôte public", "WH-URL-PRIVATE")
    return url
