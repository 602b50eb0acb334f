"""POST /v1/enrolments/{id}/certificate: issue again a DONE enrolment's certificate left PENDING (idempotent)."""

from einvoice.api.http import ApiApp
from einvoice.enrolment import service
from einvoice.enrolment.models import EnrolmentOut

app = ApiApp()


@app.post("/v1/enrolments/<id>/certificate")
def retry_certificate(id: str) -> EnrolmentOut:
    return EnrolmentOut.model_validate(service.retry_certificate(app.tenant(), id))


lambda_handler = app.lambda_handler
