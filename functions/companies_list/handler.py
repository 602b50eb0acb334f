"""GET /v1/companies: list or search the account's companies (SIREN/SIRET prefix, name), paginated."""

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from einvoice.api import limits
from einvoice.api.http import ApiApp
from einvoice.companies import service
from einvoice.companies.models import CompanyPage

app = ApiApp()


@app.get("/v1/companies")
def list_companies(
    identifier: Annotated[str | None, Query(max_length=40, description="SIREN or SIRET, exact or prefix")] = None,
    name: Annotated[str | None, Query(max_length=limits.MAX_SEARCH_CHARS,
                                      description="words of the name (case and accents ignored)")] = None,
    exact: Annotated[Literal["true", "false"], Query(description="identifier must match exactly")] = "false",
    includeSecondary: Annotated[Literal["true", "false"],  # noqa: N803
                                Query(description="also the secondary accounts' companies")] = "false",
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = service.DEFAULT_LIMIT,
    nextToken: Annotated[str | None, Query(description="from the previous page")] = None,  # noqa: N803
) -> CompanyPage:
    return service.search_companies(
        app.tenant(), identifier=identifier, name=name, exact=exact == "true", include_secondary=includeSecondary == "true",
        limit=limit, next_token=nextToken,
    )


lambda_handler = app.lambda_handler
