"""Status queue consumer (SQS): send each status (CDAR) to the other platform (`actions.send_batch`)."""

from einvoice.lifecycle import actions
from einvoice.observability import task_handler
from einvoice.transmission.service import default_deps


@task_handler
def lambda_handler(event, context):
    return actions.send_batch(event, default_deps())
