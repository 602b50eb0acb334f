"""GET /v1/invoices/{id}/archive: the archived objects (SHA-256, retention, seal), verified on read."""

from typing import Any

from einvoice.api.http import ApiApp
from einvoice.transmission import service

app = ApiApp()


@app.get("/v1/invoices/<id>/archive")
def archive(id: str) -> dict[str, Any]:  # noqa: A002 - the path parameter is {id}
    return service.archive_listing(app.tenant(), id)


lambda_handler = app.lambda_handler
