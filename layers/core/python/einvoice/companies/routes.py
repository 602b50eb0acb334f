"""Routes and functions of the companies area (merged by ``einvoice.routes``; bulk imports: ``einvoice.imports``)."""

from __future__ import annotations

from einvoice.routing import JSON, Function, Route

FUNCTIONS = (
    Function("companies_create",
             routes=(Route("POST", "/v1/companies", summary="Create a company", content_types=JSON, idempotent=True,
                           status=201),),
             access=("tenancy:r", "data:rw", "directory:r"), description="Create a company (directory checks)"),
    Function("companies_list", routes=(Route("GET", "/v1/companies", summary="List / search companies"),),
             access=("tenancy:r", "data:r"), description="List and search companies"),
    Function("companies_get", routes=(Route("GET", "/v1/companies/{id}", summary="A company"),),
             access=("tenancy:r", "data:r"), memory_mb=256, description="Read a company"),
    Function("companies_update",
             routes=(Route("PATCH", "/v1/companies/{id}", summary="Change options and number of employees",
                           content_types=JSON),),
             access=("tenancy:r", "data:rw"), description="Modify a company"),
)
