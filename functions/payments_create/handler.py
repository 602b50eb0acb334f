"""POST /v1/payments: pay approved received invoices by SEPA credit transfer (201, the batch)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.payments import api
from einvoice.payments.models import PaymentCreate, PaymentOut

app = ApiApp()


@app.post("/v1/payments")
def create_payment(body: PaymentCreate) -> Response[PaymentOut]:
    return app.idempotent(lambda: app.model_response(201, PaymentOut.model_validate(api.create(app.tenant(), body))))


lambda_handler = app.lambda_handler
