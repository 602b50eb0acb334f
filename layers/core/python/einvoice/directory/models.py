"""Directory (Annuaire) records, independent of where they come from.

Plain frozen dataclasses (cheap to build in bulk imports); ``to_json()`` gives the camelCase
shape of the API (close to the AFNOR XP Z12-013 Directory Service vocabulary).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACTIVE = "active"
CLOSED = "closed"


@dataclass(frozen=True)
class LegalUnit:
    """A legal unit (unité légale), identified by its SIREN."""

    siren: str
    name: str
    vat_liable: bool
    status: str = ACTIVE  # "active" | "closed"
    reception_platform: str | None = None  # e.g. "0238:PA-0042"; None when no platform designated

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def to_json(self) -> dict[str, Any]:
        return {
            "siren": self.siren,
            "name": self.name,
            "vatLiable": self.vat_liable,
            "status": self.status,
            "receptionPlatform": self.reception_platform,
        }


@dataclass(frozen=True)
class Establishment:
    """An establishment (établissement), identified by its SIRET (SIREN + NIC)."""

    siret: str
    siren: str
    name: str  # legal unit name
    establishment: str = ""  # label, e.g. "siège", "établissement 1"
    city: str = ""
    vat_liable: bool = True
    status: str = ACTIVE
    reception_platform: str | None = None

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def to_json(self) -> dict[str, Any]:
        return {
            "siret": self.siret,
            "siren": self.siren,
            "name": self.name,
            "establishment": self.establishment,
            "city": self.city,
            "vatLiable": self.vat_liable,
            "status": self.status,
            "receptionPlatform": self.reception_platform,
        }


@dataclass(frozen=True)
class DirectoryLine:
    """A directory line: an addressing mesh of a recipient bound to its receiving platform for a period.

    ``addressing_identifier`` is the mesh: ``<siren>``, ``<siren>_<siret>``,
    ``<siren>_<siret>_<routing code>`` or ``<siren>_<suffix>``. Lines are historised: a recipient may
    have several lines for one mesh with consecutive validity periods (``valid_from`` /
    ``valid_to``, ISO dates, inclusive, open when None).
    """

    siren: str
    platform_id: str  # "0238:<matricule>" of the receiving platform
    siret: str | None = None
    routing_identifier: str | None = None
    status: str = "Enabled"  # Enabled | Disabled | Upcoming (AFNOR directoryLineStatus)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    suffix: str | None = None  # addressing suffix (SIREN_SUFFIXE mesh), not attached to an establishment
    valid_from: str | None = None
    valid_to: str | None = None

    @property
    def addressing_identifier(self) -> str:
        parts = [self.siren]
        if self.siret:
            parts.append(self.siret)
            if self.routing_identifier:
                parts.append(self.routing_identifier)
        elif self.suffix:
            parts.append(self.suffix)
        return "_".join(parts)

    def active_on(self, day: str) -> bool:
        """In force on ``day`` (ISO date): not disabled, and within its validity period."""
        if self.status == "Disabled":
            return False
        if self.valid_from and day < self.valid_from:
            return False
        if self.valid_to and day > self.valid_to:
            return False
        return self.status != "Upcoming" or bool(self.valid_from)

    def to_json(self) -> dict[str, Any]:
        return {
            "addressingIdentifier": self.addressing_identifier,
            "siren": self.siren,
            "siret": self.siret,
            "routingIdentifier": self.routing_identifier,
            "addressingSuffix": self.suffix,
            "platformId": self.platform_id,
            "directoryLineStatus": self.status,
            "validFrom": self.valid_from,
            "validTo": self.valid_to,
        }
