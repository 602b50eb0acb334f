"""GET /v1/payments/{id}: a payment batch of the tenant."""

from einvoice.api.http import ApiApp
from einvoice.payments import api
from einvoice.payments.models import PaymentOut

app = ApiApp()


@app.get("/v1/payments/<id>")
def get_payment(id: str) -> PaymentOut:  # noqa: A002 - the path parameter is {id}
    return PaymentOut.model_validate(api.get(app.tenant(), id))


lambda_handler = app.lambda_handler
