"""Route / function routes and functions of the enrolment area (merged by ``einvoice.routes``).

Task functions are wired to ``statemachines/enrolment.asl.json`` by their ``asl_substitutions``;
each handler calls the task function of the same substitution in ``einvoice.enrolment.tasks.TASKS``.
"""

from __future__ import annotations

from einvoice.routing import JSON, Function, Route, StateMachine

# Production wait for the code: long enough for the 10-minute code plus 3 resends.
OTP_TIMEOUT_SECONDS = 2700

FUNCTIONS = (
    Function("enrolment_start", routes=(Route("POST", "/v1/enrolments", summary="Start an enrolment (202)", content_types=JSON,
                                   idempotent=True, status=202),),
             access=("tenancy:r", "data:rw", "sfn:start:enrolment"), description="Validate and start an enrolment"),
    Function("enrolment_get", routes=(Route("GET", "/v1/enrolments/{id}", summary="Enrolment state and results"),),
             access=("tenancy:r", "data:r",), description="Read an enrolment", memory_mb=256),
    Function("enrolment_otp_confirm",
             routes=(Route("POST", "/v1/enrolments/{id}/otp", summary="Confirm the e-mailed one-time password",
                           content_types=JSON),),
             access=("tenancy:r", "data:rw", "sfn:callback"), description="Check the OTP and resume the state machine"),
    Function("enrolment_otp_resend",
             routes=(Route("POST", "/v1/enrolments/{id}/otp/resend", summary="Send a new one-time password"),),
             access=("tenancy:r", "data:rw", "ses:send"), description="Resend the OTP (max 3)"),
    Function("enrolment_certificate",
             routes=(Route("GET", "/v1/enrolments/{id}/certificate", summary="The sealed PDF certificate",
                           binary=True),),
             access=("tenancy:r", "data:r", "archive:r"), description="Download the sealed certificate"),
    Function("enrolment_certificate_retry",
             routes=(Route("POST", "/v1/enrolments/{id}/certificate",
                           summary="Issue again a certificate left PENDING (DONE enrolment)"),),
             access=("tenancy:r", "data:rw", "archive:w", "seal"), needs=("render", "seal"), memory_mb=1024,
             description="Render, seal and archive a pending certificate"),
    # Step Functions tasks
    Function("enrolment_record", access=("data:rw",), asl_substitutions=("RecordFunctionArn",),
             description="Enrolment task: record the request"),
    Function("enrolment_send_otp", access=("data:rw", "ses:send"), asl_substitutions=("SendOtpFunctionArn",),
             description="Enrolment task: mail the OTP, store its hash and the task token"),
    Function("enrolment_register_company", access=("data:rw", "directory:rw"),
             asl_substitutions=("RegisterCompanyFunctionArn",), timeout_seconds=60,
             description="Enrolment task: add one company's directory line"),
    Function("enrolment_company_failed", access=("data:rw",), asl_substitutions=("CompanyFailedFunctionArn",),
             description="Enrolment task: record one company's failure"),
    Function("enrolment_issue_certificate", access=("data:rw", "archive:w", "seal"),
             asl_substitutions=("CertificateFunctionArn",), timeout_seconds=120, memory_mb=1024,
             needs=("render", "seal"),
             description="Enrolment task: render, seal and archive the certificate"),
    Function("enrolment_finalise", access=("data:rw", "events:put"), asl_substitutions=("FinaliseFunctionArn",),
             timeout_seconds=120, description="Enrolment task: companies DONE with the certificate link"),
    Function("enrolment_mark_terminal", access=("data:rw", "events:put"), asl_substitutions=("MarkTerminalFunctionArn",),
             description="Enrolment task: record LOCKED / EXPIRED / FAILED"),
)

STATE_MACHINES = (
    StateMachine("enrolment", "enrolment_state_machine_arn",
                 substitutions={"OtpTimeoutSeconds": str(OTP_TIMEOUT_SECONDS)}),
)
