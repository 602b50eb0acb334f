"""Routes and functions of the OCR area (merged by ``einvoice.routes``).

Task functions are wired to ``statemachines/ocr.asl.json`` by their ``asl_substitutions``; each
handler calls the task function of the same substitution in ``einvoice.ocr.tasks.TASKS``.
"""

from __future__ import annotations

from einvoice.routing import IMAGES, JSON, Function, Route, StateMachine

FUNCTIONS = (
    Function("ocr_create", routes=(Route("POST", "/v1/invoices/ocr",
                                         summary="Submit a supplier's PDF, scan or photo for OCR (202)",
                                         content_types=IMAGES, idempotent=True, status=202),),
             access=("tenancy:r", "data:rw", "drop:rw", "sfn:start:ocr"), needs=("ocr",), memory_mb=1024,
             description="Check and store the document, start the OCR state machine"),
    Function("ocr_get", routes=(Route("GET", "/v1/invoices/ocr/{id}", summary="OCR state, fields and findings"),),
             access=("tenancy:r", "data:r"), memory_mb=256, description="Read an OCR job"),
    Function("ocr_update", routes=(Route("PATCH", "/v1/invoices/ocr/{id}",
                                         summary="Correct OCR fields; the checks run again", content_types=JSON),),
             access=("tenancy:r", "data:rw", "drop:r", "directory:r"), memory_mb=1024,
             description="Apply a reviewer's corrections and re-run the cross-checks"),
    Function("ocr_accept", routes=(Route("POST", "/v1/invoices/ocr/{id}/accept",
                                         summary="Accept the result: Factur-X generated, validated and archived"),),
             access=("tenancy:r", "data:rw", "drop:r", "archive:w", "sfn:start:reception"),
             needs=("render", "validation"),
             memory_mb=1536, timeout_seconds=29, description="Make the received invoice of an OCR result"),
    # Step Functions tasks: one function for the six steps (one Lambda per step pushed the CloudFormation
    # template past its 1 MB limit); the payload's "step" names the task (einvoice.ocr.tasks.run)
    Function("ocr_task", access=("data:rw", "drop:rw", "directory:r", "textract"),
             asl_substitutions=("OcrTaskFunctionArn",), needs=("ocr",), memory_mb=2048, timeout_seconds=900,
             description="OCR tasks: prepare, recognise, Textract job, extraction and checks, FAILED"),
)

STATE_MACHINES = (StateMachine("ocr", "ocr_state_machine_arn"),)
