"""Routes and functions of the reception area (merged by ``einvoice.routes``).

One Lambda serves both tasks of ``statemachines/reception.asl.json`` (the payload's ``step``): fewer
functions keep the synthesized template small (decision log 2026-12-02, OCR).
"""

from __future__ import annotations

from einvoice.routing import Function, StateMachine

FUNCTIONS = (
    Function("reception_task",
             access=("data:rw", "directory:r", "drop:r", "archive:r", "archive:w", "outbox:w", "events:put",
                     "ssm:platforms", "sqs:send:status", "seal"),
             asl_substitutions=("ReceptionTaskFunctionArn",), timeout_seconds=60, memory_mb=1536,
             needs=("validation", "render", "seal"),
             description="Reception: validate, duplicate control, archive and seal, 202/203 or 213; answer the issuer"),
)

STATE_MACHINES = (StateMachine("reception", "reception_state_machine_arn", type="EXPRESS"),)
