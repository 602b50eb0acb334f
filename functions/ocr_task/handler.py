"""OCR state machine tasks (`${OcrTaskFunctionArn}` in statemachines/ocr.asl.json): `tasks.run`, the payload's
``step`` naming the task (prepare, recognise, start-analysis, poll-analysis, analyse, mark-failed).

Errors propagate: their class name is the Step Functions error name (ASL Retry/Catch).
"""

from einvoice.observability import task_handler
from einvoice.ocr import tasks


@task_handler
def lambda_handler(event, context):
    return tasks.run(event)
