"""Reception state machine tasks (`${ReceptionTaskFunctionArn}` in statemachines/reception.asl.json):
`service.run_task`, the payload's ``step`` naming the task (receive, answer).

Errors propagate: their class name is the Step Functions error name (ASL Retry/Catch).
"""

from einvoice.observability import task_handler
from einvoice.reception import service


@task_handler
def lambda_handler(event, context):
    return service.run_task(event)
