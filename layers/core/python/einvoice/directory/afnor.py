"""Directory adapter for a remote directory service shaped like the AFNOR XP Z12-013 Directory API
(Annex B, swagger 1.3.0; see ``docs/fr-reform.md`` 4.4).

Endpoints used (relative to ``base_url``, e.g. ``https://pa.example/directory-service``)::

    GET  /v1/siren/code-insee:{siren}                         legal unit
    GET  /v1/siret/code-insee:{siret}                         establishment
    GET  /v1/routing-code/siret:{siret}/code:{routing-id}     routing code
    POST /v1/directory-line/search                            directory lines (filter on siren)
    POST /v1/directory-line                                   create a line -- NOT in the standard
         (1.2.0 removed write endpoints; the PPF's own directory-update API plays that role).

Mapping: 404 -> ``None``; 5xx, 429, timeouts, connection errors, unreadable bodies and
authentication failures -> ``UpstreamUnavailableError`` (we cannot answer, we never guess).
Standard library only (urllib): no extra dependency in the Lambda layer.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from einvoice.directory.models import DirectoryLine, Establishment, LegalUnit
from einvoice.directory.port import get_many_one_by_one
from einvoice.errors import UpstreamUnavailableError

_STATUS = {"A": "active", "C": "closed", "F": "closed"}


def _status(v: Any) -> str:
    if isinstance(v, str):
        return _STATUS.get(v.upper()[:1], "active" if v.lower().startswith("act") else "closed")
    return "active"


def _vat_liable(doc: dict) -> bool:
    if isinstance(doc.get("vatLiable"), bool):  # extension some services provide
        return doc["vatLiable"]
    return doc.get("entityType") == "PrivateVatRegistered"


def _platform(doc: dict) -> str | None:
    for key in ("receptionPlatform", "platformId", "platformIdentifier"):
        v = doc.get(key)
        if v:
            return str(v)
    return None


class AfnorDirectory:
    """``DirectoryPort`` over an AFNOR-shaped Directory Service."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 3.0,
        opener: urllib.request.OpenerDirector | None = None,
    ) -> None:
        if not base_url:
            raise ValueError("AfnorDirectory needs a base URL (EINVOICE_DIRECTORY_API_URL)")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._opener = opener or urllib.request.build_opener()

    # --- HTTP ----------------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: Any = None) -> Any | None:
        url = self.base_url + path
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise UpstreamUnavailableError(f"The directory service answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise UpstreamUnavailableError(f"The directory service is unreachable ({type(exc).__name__})") from exc
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise UpstreamUnavailableError("The directory service returned an unreadable answer") from exc

    @staticmethod
    def _q(v: str) -> str:
        return urllib.parse.quote(v, safe="")

    # --- port ----------------------------------------------------------------------------------
    def get_siren(self, siren: str) -> LegalUnit | None:
        doc = self._request("GET", f"/v1/siren/code-insee:{self._q(siren)}")
        if doc is None:
            return None
        return LegalUnit(
            siren=str(doc.get("siren", siren)),
            name=str(doc.get("businessName") or doc.get("name") or ""),
            vat_liable=_vat_liable(doc),
            status=_status(doc.get("administrativeStatus")),
            reception_platform=_platform(doc),
        )

    def get_siret(self, siret: str) -> Establishment | None:
        doc = self._request("GET", f"/v1/siret/code-insee:{self._q(siret)}")
        if doc is None:
            return None
        address = doc.get("address") or {}
        return Establishment(
            siret=str(doc.get("siret", siret)),
            siren=str(doc.get("siren") or siret[:9]),
            name=str(doc.get("name") or doc.get("businessName") or ""),
            establishment="siège" if doc.get("facilityType") == "P" else str(doc.get("facilityName") or ""),
            city=str(address.get("locality") or address.get("city") or ""),
            vat_liable=_vat_liable(doc),
            status=_status(doc.get("administrativeStatus")),
            reception_platform=_platform(doc),
        )

    def get_routing_code(self, siret: str, routing_identifier: str) -> dict | None:
        return self._request("GET", f"/v1/routing-code/siret:{self._q(siret)}/code:{self._q(routing_identifier)}")

    def lines_for(self, siren: str) -> list[DirectoryLine]:
        body = {"filters": {"siren": {"op": "strict", "value": siren}}, "limit": 100}
        doc = self._request("POST", "/v1/directory-line/search", body)
        if doc is None:
            return []
        rows = doc.get("results", doc.get("items", [])) if isinstance(doc, dict) else doc
        lines = []
        for r in rows or []:
            lines.append(
                DirectoryLine(
                    siren=str(r.get("siren", siren)),
                    siret=r.get("siret") or None,
                    routing_identifier=r.get("routingIdentifier") or None,
                    platform_id=_platform(r) or str(r.get("platformType") or ""),
                    status=str(r.get("directoryLineStatus") or "Enabled"),
                    extra={"addressingIdentifier": r.get("addressingIdentifier")},
                    suffix=r.get("addressingSuffix") or None,
                    valid_from=(r.get("validFrom") or r.get("effectiveDate") or None),
                    valid_to=(r.get("validTo") or r.get("endDate") or None),
                )
            )
        return lines

    def register_line(self, siren: str, siret: str | None, platform_id: str) -> DirectoryLine:
        line = DirectoryLine(siren=siren, siret=siret or None, platform_id=platform_id)
        self._request("POST", "/v1/directory-line", line.to_json())
        return line

    def get_many(
        self, sirens: Iterable[str], sirets: Iterable[str]
    ) -> tuple[dict[str, LegalUnit], dict[str, Establishment]]:
        return get_many_one_by_one(self, sirens, sirets)
