"""S3 ObjectCreated on the drop bucket (imports/<accountId>/*.csv): start the import."""

from einvoice.imports import service
from einvoice.observability import task_handler


@task_handler
def lambda_handler(event, context):
    return {"started": service.start_drops(event)}
