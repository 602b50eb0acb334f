"""Routes and functions of the directory (Annuaire) area (merged by ``einvoice.routes``)."""

from __future__ import annotations

from einvoice.routing import Function, Route

FUNCTIONS = (
    Function("directory_siren", routes=(Route("GET", "/v1/directory/siren/{siren}", summary="Directory: legal unit"),),
             access=("tenancy:r", "directory:r"), memory_mb=256, description="Directory lookup by SIREN"),
    Function("directory_siret", routes=(Route("GET", "/v1/directory/siret/{siret}", summary="Directory: establishment"),),
             access=("tenancy:r", "directory:r"), memory_mb=256, description="Directory lookup by SIRET"),
)
