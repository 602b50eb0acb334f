"""Import state machine task: validate and write chunks until done or near the Lambda timeout."""

from einvoice.companies import workflow
from einvoice.observability import task_handler


@task_handler
def lambda_handler(event, context):
    return workflow.chunk_task(event, getattr(context, "get_remaining_time_in_millis", None))
