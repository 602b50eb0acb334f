"""Transmission state machine task (`${DeliverFunctionArn}` in statemachines/transmission.asl.json): `tasks.deliver`.

Errors propagate: their class name is the Step Functions error name (ASL Retry/Catch).
"""

from einvoice.observability import task_handler
from einvoice.transmission import tasks


@task_handler
def lambda_handler(event, context):
    return tasks.deliver(event)
