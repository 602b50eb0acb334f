"""Webhook events queue consumer (SQS, fed by an EventBridge rule): bus events -> webhook deliveries."""

from einvoice.observability import task_handler
from einvoice.webhooks import api


@task_handler
def lambda_handler(event, context):
    return api.fanout(event)
