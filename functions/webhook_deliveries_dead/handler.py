"""GET /v1/webhook-deliveries: the dead-letter list (deliveries that failed every attempt)."""

from einvoice.api.http import ApiApp
from einvoice.webhooks import api
from einvoice.webhooks.models import DeliveryList

app = ApiApp()


@app.get("/v1/webhook-deliveries")
def dead_deliveries() -> DeliveryList:
    return api.dead_letters(app.tenant())


lambda_handler = app.lambda_handler
