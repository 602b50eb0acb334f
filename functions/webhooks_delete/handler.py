"""DELETE /v1/webhooks/{id}: stop sending to a URL (204; its pending deliveries are dead-lettered)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.webhooks import api

app = ApiApp()


@app.delete("/v1/webhooks/<id>", responses={204: {"description": "Deleted"}})
def delete_webhook(id: str):  # noqa: A002 - the path parameter is {id}
    api.delete(app.tenant(), id)
    return Response(204, "application/json", "")


lambda_handler = app.lambda_handler
