"""S3 ObjectCreated on the drop bucket (imports/<accountId>/*.csv): start the import."""

from einvoice.companies import workflow
from einvoice.observability import task_handler


@task_handler
def lambda_handler(event, context):
    return {"started": workflow.begin_drop_import(event)}
