"""Transmission state machine task (`${PrepareFunctionArn}` in statemachines/transmission.asl.json): `tasks.prepare`.

Errors propagate: their class name is the Step Functions error name (ASL Retry/Catch).
"""

from einvoice.observability import task_handler
from einvoice.transmission import tasks


@task_handler
def lambda_handler(event, context):
    return tasks.prepare(event)
