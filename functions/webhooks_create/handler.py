"""POST /v1/webhooks: subscribe a URL to event types (201 with the signing secret, shown only here)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.webhooks import api
from einvoice.webhooks.models import WebhookCreate, WebhookOut

app = ApiApp()


@app.post("/v1/webhooks")
def create_webhook(body: WebhookCreate) -> Response[WebhookOut]:
    return app.idempotent(lambda: app.model_response(201, api.create(app.tenant(), body)))


lambda_handler = app.lambda_handler
