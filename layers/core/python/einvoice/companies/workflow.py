"""Bulk imports as a Step Functions loop (chunked continuation, see docs/decisions.md).

``statemachines/company_import.asl.json`` calls ``chunk_task`` until the continuation says
``done``; each call validates and batch-writes chunks until its Lambda is close to its timeout,
so a 100,000-line file never times out one invocation and memory stays bounded.
"""

from __future__ import annotations

from typing import Any, Callable

from einvoice.companies import imports
from einvoice.companies.models import ImportOut
from einvoice.settings import Settings, get_settings
from einvoice.tenancy import Tenant


def _start(continuation: dict[str, Any], s: Settings) -> None:
    import json

    from einvoice.adapters.aws.clients import client

    sfn = client("stepfunctions", s)
    try:
        sfn.start_execution(
            stateMachineArn=s.import_state_machine_arn,
            name=continuation["importId"],  # one execution per import: a redelivered event starts nothing new
            input=json.dumps(continuation),
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        pass


def begin_import(
    tenant: Tenant, body: bytes, header: str | None, enrol: str | None, *, settings: Settings | None = None
) -> ImportOut:
    """``POST /v1/companies/imports``: store the file, record the import (RUNNING), start the loop."""
    s = settings or get_settings()
    out = imports.start_import(
        tenant, body, imports.parse_flag("header", header), bool(imports.parse_flag("enrol", enrol, False)), settings=s
    )
    if out.state == imports.RUNNING:
        _start(imports.continuation_of(out, tenant.account_pk[4:]), s)
    return out


def begin_drop_import(event: dict[str, Any], *, settings: Settings | None = None) -> list[dict[str, Any]]:
    """S3 ``ObjectCreated`` on the drop bucket: one import per ``imports/<accountId>/*.csv`` object."""
    s = settings or get_settings()
    started = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = record["s3"]["object"]["key"]
        continuation = imports.import_from_s3(bucket, key, settings=s)
        if continuation is None:
            continue
        if not continuation.get("done"):
            _start(continuation, s)
        started.append(continuation)
    return started


def chunk_task(event: dict[str, Any], time_left_ms: Callable[[], int] | None = None) -> dict[str, Any]:
    """State machine task: process chunks until done or close to the Lambda timeout."""
    return imports.run_import(event["accountId"], event["importId"], time_left_ms=time_left_ms)


def fail_task(event: dict[str, Any]) -> dict[str, Any]:
    """State machine Catch: mark the import FAILED with the error that stopped it."""
    error = event.get("error") or {}
    reason = f"{error.get('Error', 'Error')}: {error.get('Cause', '')}"[:500]
    return imports.fail_import(event["accountId"], event["importId"], reason)
