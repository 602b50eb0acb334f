"""GET /v1/payments/{id}/file: the batch's SEPA credit transfer file (pain.001 XML, XSD-checked)."""

from einvoice.api.http import ApiApp
from einvoice.payments import api

app = ApiApp()


@app.get("/v1/payments/<id>/file")
def get_payment_file(id: str):  # noqa: A002 - the path parameter is {id}
    data, filename = api.file(app.tenant(), id)
    return app.binary_response(data, "application/xml", filename)


lambda_handler = app.lambda_handler
