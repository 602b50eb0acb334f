"""Enrolment state machine task (`${MarkTerminalFunctionArn}` in statemachines/enrolment.asl.json): `tasks.mark_terminal`.

Errors propagate: their class name is the Step Functions error name (ASL Retry/Catch).
"""

from einvoice.enrolment import tasks
from einvoice.observability import task_handler


@task_handler
def lambda_handler(event, context):
    return tasks.mark_terminal(event)
