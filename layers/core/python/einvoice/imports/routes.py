"""Routes and functions of the bulk company imports (merged by ``einvoice.routes``).

The chunk and fail tasks are wired to ``statemachines/company-import.asl.json`` by their
``asl_substitutions``; the drop function is the drop bucket's ``.csv`` notification target.
"""

from __future__ import annotations

from einvoice.routing import CSV, Function, Route, StateMachine

FUNCTIONS = (
    Function("company_imports_create",
             routes=(Route("POST", "/v1/companies/imports", summary="Bulk CSV import (202)", content_types=CSV,
                           idempotent=True, status=202),),
             access=("tenancy:r", "data:rw", "drop:rw", "sfn:start:company-import"), description="Start a CSV import"),
    Function("company_imports_get",
             routes=(Route("GET", "/v1/companies/imports/{id}", summary="Import progress and first errors"),),
             access=("tenancy:r", "data:r"), memory_mb=256, description="Read an import"),
    Function("company_imports_resume",
             routes=(Route("POST", "/v1/companies/imports/{id}/resume", summary="Resume a stopped import (202)", status=202),),
             access=("tenancy:r", "data:rw", "sfn:start:company-import"), memory_mb=256,
             description="Resume a stopped import"),
    Function("company_imports_report",
             routes=(Route("GET", "/v1/companies/imports/{id}/report", summary="Per-line report (CSV) download link", status=303,
                           errors=(409,)),),
             access=("tenancy:r", "data:r", "drop:r"), memory_mb=256, description="Link to an import's report"),
    Function("company_import_drop", access=("tenancy:r", "data:rw", "drop:rw", "sfn:start:company-import"),
             s3_trigger=("drop", ".csv"), description="S3 drop of a CSV file: start the import"),
    Function("company_import_chunk", access=("data:rw", "directory:r", "drop:rw", "events:put"), timeout_seconds=900,
             memory_mb=1024, asl_substitutions=("ImportChunkFunctionArn",),
             description="Import task: check and commit chunks"),
    Function("company_import_fail", access=("data:rw", "drop:rw", "events:put"), asl_substitutions=("ImportFailFunctionArn",),
             description="Import task: the import stops (resumable)"),
)

STATE_MACHINES = (StateMachine("company-import", "import_state_machine_arn"),)
