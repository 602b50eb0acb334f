"""GET /v1/webhooks/{id}: one subscription (404 for an unknown id or another tenant's)."""

from einvoice.api.http import ApiApp
from einvoice.webhooks import api
from einvoice.webhooks.models import WebhookOut

app = ApiApp()


@app.get("/v1/webhooks/<id>")
def get_webhook(id: str) -> WebhookOut:  # noqa: A002 - the path parameter is {id}
    return api.get(app.tenant(), id)


lambda_handler = app.lambda_handler
