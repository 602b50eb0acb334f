"""GET /v1/directory/siret/{siret}: the establishment in the directory (Annuaire)."""

from typing import Any

from einvoice.api.http import ApiApp
from einvoice.directory import service

app = ApiApp()


@app.get("/v1/directory/siret/<siret>")
def get_siret(siret: str) -> dict[str, Any]:
    app.tenant()
    return service.get_establishment(siret)


lambda_handler = app.lambda_handler
