"""Domain functions behind ``GET /v1/directory/siren/{siren}`` and ``GET /v1/directory/siret/{siret}``.

Errors: ``InvalidInputError`` (422, field ``siren``/``siret``) for a malformed identifier or a
bad key, ``NotFoundError`` (404) when the directory does not know it, ``UpstreamUnavailableError``
(503) when the directory cannot answer.
"""

from __future__ import annotations

from typing import Any

from einvoice.directory.port import DirectoryPort
from einvoice.errors import ErrorDetail, InvalidInputError, NotFoundError


def _directory(directory: DirectoryPort | None) -> DirectoryPort:
    if directory is not None:
        return directory
    from einvoice.directory.cache import get_directory

    return get_directory()


def _checked(value: str, kind: str) -> str:
    from einvoice.identifiers import normalize_identifier, validate_siren, validate_siret

    ident = normalize_identifier(value)
    reason = validate_siren(ident) if kind == "siren" else validate_siret(ident)
    if reason:
        raise InvalidInputError(
            f"Invalid {kind.upper()}: {reason}",
            [
                ErrorDetail(
                    f"{kind.upper()} {reason}",
                    field=kind,
                    rule="IDENT-SIREN" if kind == "siren" else "IDENT-SIRET",
                    message_fr=f"{kind.upper()} invalide : {reason}",
                )
            ],
        )
    return ident


def get_legal_unit(siren: str, *, directory: DirectoryPort | None = None) -> dict[str, Any]:
    """``{"siren", "name", "vatLiable", "status", "receptionPlatform", "directoryLines": [...]}``."""
    siren = _checked(siren, "siren")
    d = _directory(directory)
    unit = d.get_siren(siren)
    if unit is None:
        raise NotFoundError(f"SIREN {siren} is not in the directory")
    out = unit.to_json()
    out["directoryLines"] = [line.to_json() for line in d.lines_for(siren)]
    return out


def get_establishment(siret: str, *, directory: DirectoryPort | None = None) -> dict[str, Any]:
    """``{"siret", "siren", "name", "establishment", "city", "vatLiable", "status", "receptionPlatform"}``."""
    siret = _checked(siret, "siret")
    est = _directory(directory).get_siret(siret)
    if est is None:
        raise NotFoundError(f"SIRET {siret} is not in the directory")
    return est.to_json()
