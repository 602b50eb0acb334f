"""Routes and functions of the companies area: companies and bulk CSV imports (merged by ``einvoice.routes``)."""

from __future__ import annotations

from einvoice.routing import CSV, JSON, Function, Route, StateMachine

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
    Function("company_imports_create",
             routes=(Route("POST", "/v1/companies/imports", summary="Bulk CSV import (202)", content_types=CSV,
                           idempotent=True, status=202),),
             access=("tenancy:r", "data:rw", "drop:rw", "sfn:start:company-import"), description="Start a CSV import"),
    Function("company_imports_get",
             routes=(Route("GET", "/v1/companies/imports/{id}", summary="Import progress and errors"),),
             access=("tenancy:r", "data:r"), memory_mb=256, description="Read an import"),
    Function("company_import_drop", access=("tenancy:r", "data:rw", "drop:rw", "sfn:start:company-import"),
             s3_trigger=("drop", ".csv"), description="S3 drop of a CSV file: start the import"),
    Function("company_import_chunk", access=("data:rw", "directory:r", "drop:rw"), timeout_seconds=900,
             memory_mb=1024, asl_substitutions=("ImportChunkFunctionArn",),
             description="Import task: validate and write chunks"),
    Function("company_import_fail", access=("data:rw", "drop:rw"), asl_substitutions=("ImportFailFunctionArn",),
             description="Import task: mark the import failed"),
)

STATE_MACHINES = (StateMachine("company-import", "import_state_machine_arn"),)
