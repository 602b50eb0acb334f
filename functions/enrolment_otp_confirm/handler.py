"""POST /v1/enrolments/{id}/otp: confirm the e-mailed code (the body is never logged)."""

from einvoice.api.http import ApiApp
from einvoice.enrolment import service
from einvoice.enrolment.models import EnrolmentOut, OtpIn

app = ApiApp()


@app.post("/v1/enrolments/<id>/otp")
def confirm_otp(id: str, body: OtpIn) -> EnrolmentOut:
    return EnrolmentOut.model_validate(service.confirm_otp(app.tenant(), id, body.code))


lambda_handler = app.lambda_handler
