"""GET /v1/enrolments/{id}: state, per-company results, errors, OTP counters, certificate link."""

from einvoice.api.http import ApiApp
from einvoice.enrolment import service
from einvoice.enrolment.models import EnrolmentOut

app = ApiApp()


@app.get("/v1/enrolments/<id>")
def get_enrolment(id: str) -> EnrolmentOut:
    return EnrolmentOut.model_validate(service.get_enrolment(app.tenant(), id))


lambda_handler = app.lambda_handler
