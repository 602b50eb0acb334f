"""GET /v1/companies: list or search the account's companies (SIREN/SIRET prefix, name), paginated."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from einvoice.api.http import ApiApp
from einvoice.companies import service
from einvoice.companies.models import CompanyPage

app = ApiApp()


@app.get("/v1/companies")
def list_companies(
    identifier: Annotated[str | None, Query(description="SIREN or SIRET, exact or prefix")] = None,
    name: Annotated[str | None, Query(description="part of the name (case and accents ignored)")] = None,
    exact: Annotated[bool, Query(description="identifier must match exactly")] = False,
    includeSecondary: Annotated[bool, Query(description="also the secondary accounts' companies")] = False,  # noqa: N803
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = service.DEFAULT_LIMIT,
    nextToken: Annotated[str | None, Query(description="from the previous page")] = None,  # noqa: N803
) -> CompanyPage:
    return service.search_companies(
        app.tenant(), identifier=identifier, name=name, exact=exact, include_secondary=includeSecondary,
        limit=limit, next_token=nextToken,
    )


lambda_handler = app.lambda_handler
