"""GET /v1/directory/siren/{siren}: the legal unit in the directory (Annuaire) with its lines."""

from typing import Any

from einvoice.api.http import ApiApp
from einvoice.directory import service

app = ApiApp()


@app.get("/v1/directory/siren/<siren>")
def get_siren(siren: str) -> dict[str, Any]:
    app.tenant()
    return service.get_legal_unit(siren)


lambda_handler = app.lambda_handler
