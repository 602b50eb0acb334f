"""Routes and functions of the transmission area (merged by ``einvoice.routes``).

Task functions are wired to ``statemachines/transmission.asl.json`` (an EXPRESS workflow, decision
log 2026-12-02) by their ``asl_substitutions``; the redelivery consumer reads the SQS queue.
"""

from __future__ import annotations

from einvoice.routing import DOCUMENTS, Function, Route, StateMachine

FUNCTIONS = (
    Function("invoices_issue",
             routes=(Route("POST", "/v1/invoices/{id}/issue", summary="Issue a draft to the buyer's platform (202)",
                           idempotent=True, status=202),),
             access=("tenancy:r", "data:rw", "sfn:start:transmission", "sqs:send:redelivery"),
             description="Start the transmission of an invoice"),
    Function("invoices_deposit",
             routes=(Route("POST", "/v1/invoices/files",
                           summary="Deposit a Factur-X / CII / UBL invoice file (201; 202 with issue=true)",
                           content_types=DOCUMENTS, idempotent=True, status=201, also=(202,)),),
             access=("tenancy:r", "data:rw", "drop:rw", "events:put", "sfn:start:transmission",
                     "sqs:send:redelivery"),
             memory_mb=1536, timeout_seconds=29, needs=("validation",),
             description="Deposit a ready invoice file: parse, check, store (and issue)"),
    Function("invoices_archive",
             routes=(Route("GET", "/v1/invoices/{id}/archive", summary="The invoice's archive, verified on read"),),
             access=("tenancy:r", "data:r", "archive:r", "seal"), memory_mb=1024, needs=("seal",),
             description="List and verify an invoice's archived objects"),
    # Step Functions tasks
    Function("transmission_prepare", access=("data:rw", "directory:r", "drop:r", "archive:r", "archive:w", "outbox:w",
                                             "events:put", "seal"),
             asl_substitutions=("PrepareFunctionArn",), timeout_seconds=60, memory_mb=1536,
             needs=("validation", "render", "seal"),
             description="Transmission: validate, duplicate control, generate, seal, archive, Flux 1, 200/213"),
    Function("transmission_deliver", access=("data:rw", "directory:r", "archive:r", "events:put", "ssm:platforms",
                                             "sfn:start:reception"),
             asl_substitutions=("DeliverFunctionArn",), timeout_seconds=35, memory_mb=512,
             description="Transmission: deliver to the buyer's platform (Flow API or internal), 201/501"),
    Function("transmission_defer", access=("data:rw", "sqs:send:redelivery", "events:put"),
             asl_substitutions=("DeferFunctionArn",), memory_mb=256,
             description="Transmission: schedule a redelivery, or record 221 when the schedule is exhausted"),
    Function("transmission_redeliver", access=("data:rw", "sqs:send:redelivery", "sfn:start:transmission"),
             queue_trigger="redelivery", memory_mb=256, timeout_seconds=60,
             description="Redelivery queue: restart due or stalled transmissions"),
    Function("archive_bundle", access=("archive:r", "archive:w"), schedule="cron(30 2 * * ? *)",
             memory_mb=512, timeout_seconds=900,
             description="Daily: bundle yesterday's invoice containers per account (ten-year COMPLIANCE copy)"),
)

STATE_MACHINES = (StateMachine("transmission", "transmission_state_machine_arn", type="EXPRESS"),)
