"""Routing of an invoice: its buyer's electronic address (BT-49, scheme 0225) -> the directory line in
force on the invoice date -> the receiving platform (``docs/fr-reform.md`` §4.3, §4.5).

An address is ``SIREN``, ``SIREN_SIRET``, ``SIREN_SIRET_CODEROUTAGE`` or ``SIREN_SUFFIXE``. The most
specific active line wins: SIREN_SIRET_CODEROUTAGE, then SIREN_SIRET, then SIREN_SUFFIXE, then SIREN.
A line is active on a day when it is not disabled and the day is within its validity period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from einvoice.directory.models import DirectoryLine

CTC_SCHEME = "0225"
_SIREN = re.compile(r"^[0-9]{9}$")
_SIRET = re.compile(r"^[0-9]{14}$")
MESHES = ("SIREN_SIRET_CODEROUTAGE", "SIREN_SIRET", "SIREN_SUFFIXE", "SIREN")


@dataclass(frozen=True)
class Address:
    siren: str
    siret: str | None = None
    routing: str | None = None
    suffix: str | None = None

    @property
    def value(self) -> str:
        parts = [self.siren, *(p for p in (self.siret, self.routing) if p)]
        if self.suffix:
            parts.append(self.suffix)
        return "_".join(parts)


def parse_address(value: str | None) -> Address | None:
    """``0225:123456789_12345678900012_SERVICE`` -> ``Address``; None when it is not a French address."""
    if not value:
        return None
    text = value.strip()
    if ":" in text:
        scheme, _, text = text.partition(":")
        if scheme != CTC_SCHEME:
            return None
    siren, _, rest = text.partition("_")
    if not _SIREN.match(siren):
        return None
    if not rest:
        return Address(siren)
    head, _, tail = rest.partition("_")
    if _SIRET.match(head) and head.startswith(siren):
        return Address(siren, siret=head, routing=tail or None)
    return Address(siren, suffix=rest)


def _mesh_of(line: DirectoryLine) -> str:
    if line.siret and line.routing_identifier:
        return "SIREN_SIRET_CODEROUTAGE"
    if line.siret:
        return "SIREN_SIRET"
    if line.suffix:
        return "SIREN_SUFFIXE"
    return "SIREN"


def _matches(line: DirectoryLine, address: Address, mesh: str) -> bool:
    if line.siren != address.siren or _mesh_of(line) != mesh:
        return False
    if mesh == "SIREN_SIRET_CODEROUTAGE":
        return line.siret == address.siret and line.routing_identifier == address.routing
    if mesh == "SIREN_SIRET":
        return line.siret == address.siret
    if mesh == "SIREN_SUFFIXE":
        return line.suffix == address.suffix
    return True


def resolve_line(lines: Iterable[DirectoryLine], address: Address, day: str) -> tuple[DirectoryLine, str] | None:
    """The most specific line in force on ``day`` for ``address``, with its mesh; None when none applies."""
    active = [line for line in lines if line.active_on(day)]
    for mesh in MESHES:
        found = [line for line in active if _matches(line, address, mesh)]
        if found:  # periods of one mesh never overlap; the latest start wins if the data says otherwise
            return max(found, key=lambda line: line.valid_from or ""), mesh
    return None
