"""Import state machine Catch: the chunk task itself failed; the import stops (resumable)."""

from einvoice.imports import service
from einvoice.observability import task_handler


@task_handler
def lambda_handler(event, context):
    return service.stop_task(event)
