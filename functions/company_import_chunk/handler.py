"""Import state machine task: check and commit chunks until done or near the Lambda timeout."""

from einvoice.imports import service
from einvoice.observability import task_handler


@task_handler
def lambda_handler(event, context):
    return service.run_task(event, getattr(context, "get_remaining_time_in_millis", None))
