"""GET /v1/webhooks: the account's webhook subscriptions (secrets masked)."""

from einvoice.api.http import ApiApp
from einvoice.webhooks import api
from einvoice.webhooks.models import WebhookList

app = ApiApp()


@app.get("/v1/webhooks")
def list_webhooks() -> WebhookList:
    return api.list_all(app.tenant())


lambda_handler = app.lambda_handler
