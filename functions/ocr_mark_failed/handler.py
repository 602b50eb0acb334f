"""OCR state machine task (`${OcrMarkFailedFunctionArn}` in statemachines/ocr.asl.json): `tasks.mark_failed`.

Errors propagate: their class name is the Step Functions error name (ASL Retry/Catch).
"""

from einvoice.ocr import tasks
from einvoice.observability import task_handler


@task_handler
def lambda_handler(event, context):
    return tasks.mark_failed(event)
