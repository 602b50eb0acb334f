"""SQS consumer of the redelivery queue: `tasks.redeliver` (partial batch failures reported)."""

from einvoice.observability import task_handler
from einvoice.transmission import tasks


@task_handler
def lambda_handler(event, context):
    return tasks.redeliver(event)
