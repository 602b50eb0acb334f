"""POST /v1/enrolments/{id}/otp/resend: mail a new code (max 3 resends; the previous code stops working)."""

from einvoice.api.http import ApiApp
from einvoice.enrolment import service
from einvoice.enrolment.models import EnrolmentOut

app = ApiApp()


@app.post("/v1/enrolments/<id>/otp/resend")
def resend_otp(id: str) -> EnrolmentOut:
    return EnrolmentOut.model_validate(service.resend_otp(app.tenant(), id))


lambda_handler = app.lambda_handler
