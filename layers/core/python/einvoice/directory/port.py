"""The directory port. Adapters: ``TableDirectory`` (local table), ``AfnorDirectory`` (HTTP API),
wrapped per container by ``CachedDirectory``.

Contract for every adapter:
* an unknown identifier gives ``None`` (never an exception);
* an outage (network error, timeout, throttling, 5xx) raises
  ``einvoice.errors.UpstreamUnavailableError`` -- callers must never treat it as "unknown";
* identifiers are passed already normalised (digits only); adapters do not validate keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from einvoice.directory.models import DirectoryLine, Establishment, LegalUnit


@runtime_checkable
class DirectoryPort(Protocol):
    def get_siren(self, siren: str) -> LegalUnit | None: ...

    def get_siret(self, siret: str) -> Establishment | None: ...

    def lines_for(self, siren: str) -> list[DirectoryLine]: ...

    def register_line(self, siren: str, siret: str | None, platform_id: str) -> DirectoryLine: ...

    # Bulk lookups (CSV import). Missing identifiers are absent from the result.
    def get_many(
        self, sirens: Iterable[str], sirets: Iterable[str]
    ) -> tuple[dict[str, LegalUnit], dict[str, Establishment]]: ...


def get_many_one_by_one(
    port: DirectoryPort, sirens: Iterable[str], sirets: Iterable[str]
) -> tuple[dict[str, LegalUnit], dict[str, Establishment]]:
    """Fallback ``get_many`` for adapters without a bulk endpoint."""
    units: dict[str, LegalUnit] = {}
    ests: dict[str, Establishment] = {}
    for s in dict.fromkeys(sirens):
        u = port.get_siren(s)
        if u is not None:
            units[s] = u
    for s in dict.fromkeys(sirets):
        e = port.get_siret(s)
        if e is not None:
            ests[s] = e
    return units, ests
