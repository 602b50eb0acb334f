"""Scheduled (every minute): send the due webhook deliveries, signed; failures are retried with backoff."""

from einvoice.observability import task_handler
from einvoice.webhooks import api


@task_handler
def lambda_handler(event, context):
    return api.deliver_due(getattr(context, "get_remaining_time_in_millis", None))
