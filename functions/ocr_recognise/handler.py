"""OCR state machine task (`${OcrRecogniseFunctionArn}` in statemachines/ocr.asl.json): `tasks.recognise`.

Errors propagate: their class name is the Step Functions error name (ASL Retry/Catch).
"""

from einvoice.ocr import tasks
from einvoice.observability import task_handler


@task_handler
def lambda_handler(event, context):
    return tasks.recognise(event)
