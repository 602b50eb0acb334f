"""Scheduled daily: bundle the previous day's invoice containers per account (`transmission.bundles.run`)."""

from einvoice.observability import task_handler
from einvoice.transmission import bundles


@task_handler
def lambda_handler(event, context):
    return bundles.run(event)
