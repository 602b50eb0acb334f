"""GET /v1/invoices?companyId=&direction=sent|received&status=: the tenant's invoices, newest first."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from einvoice.api.http import ApiApp
from einvoice.invoicing import service
from einvoice.invoicing.models import InvoicePage

app = ApiApp()


@app.get("/v1/invoices")
def list_invoices(
    companyId: Annotated[str | None, Query(description="Only this company's invoices")] = None,  # noqa: N803
    direction: Annotated[str, Query(pattern="^(sent|received)$", description="sent or received")] = "sent",
    status: Annotated[str | None, Query(pattern="^[0-9]{3}$", description="Lifecycle status code, e.g. 201")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 50,
    nextToken: Annotated[str | None, Query(description="From the previous page")] = None,  # noqa: N803
) -> InvoicePage:
    return service.list_invoices(app.tenant(), company_id=companyId, direction=direction, status=status,
                                 limit=limit, next_token=nextToken)


lambda_handler = app.lambda_handler
