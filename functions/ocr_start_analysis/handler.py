"""OCR state machine task (`${OcrStartAnalysisFunctionArn}` in statemachines/ocr.asl.json): `tasks.start_analysis`.

Errors propagate: their class name is the Step Functions error name (ASL Retry/Catch).
"""

from einvoice.ocr import tasks
from einvoice.observability import task_handler


@task_handler
def lambda_handler(event, context):
    return tasks.start_analysis(event)
