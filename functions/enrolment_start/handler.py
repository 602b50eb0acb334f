"""POST /v1/enrolments: validate, record and start an enrolment (202 ``{id, state}``)."""

from aws_lambda_powertools.event_handler import Response

from einvoice.api.http import ApiApp
from einvoice.enrolment import service
from einvoice.enrolment.models import EnrolmentAccepted, EnrolmentCreate

app = ApiApp()


@app.post("/v1/enrolments")
def start_enrolment(body: EnrolmentCreate) -> Response[EnrolmentAccepted]:
    def start():
        out = service.start_enrolment(app.tenant(), body.company_ids, body.signatory_dict(), body.accept_terms,
                                      request_id=app.request_id())
        return app.model_response(202, EnrolmentAccepted.model_validate(out))

    return app.idempotent(start)


lambda_handler = app.lambda_handler
