"""GET /v1/enrolments/{id}/certificate: the sealed PDF (PAdES) from the Object Lock archive."""

from einvoice.api.http import ApiApp
from einvoice.enrolment import service

app = ApiApp()


@app.get("/v1/enrolments/<id>/certificate")
def get_certificate(id: str):
    pdf = service.get_certificate(app.tenant(), id)
    return app.binary_response(pdf, "application/pdf", f"accord-formel-{id}.pdf")


lambda_handler = app.lambda_handler
