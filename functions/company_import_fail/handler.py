"""Import state machine Catch: mark the import FAILED."""

from einvoice.companies import workflow
from einvoice.observability import task_handler


@task_handler
def lambda_handler(event, context):
    return workflow.fail_task(event)
