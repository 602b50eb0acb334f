"""POST /v1/webhook-deliveries/{id}/replay: send a dead or delivered delivery again (202)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.webhooks import api
from einvoice.webhooks.models import DeliveryOut

app = ApiApp()


@app.post("/v1/webhook-deliveries/<id>/replay")
def replay_delivery(id: str) -> Response[DeliveryOut]:  # noqa: A002 - the path parameter is {id}
    return app.model_response(202, api.replay(app.tenant(), id))


lambda_handler = app.lambda_handler
