"""Helpers of the import flow tests (REST calls and waits)."""

from __future__ import annotations

import time

import pytest


def headers(tenants, who="a", **extra):
    return {"x-api-key": tenants[who].value, **extra}


def wait_stopped(api, tenants, import_id, timeout=120, who="a") -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = api.get(f"/v1/companies/imports/{import_id}", headers=headers(tenants, who)).json
        if out["state"] != "RUNNING":
            return out
        time.sleep(0.05)
    pytest.fail(f"import {import_id} still RUNNING")


def wait_execution(sfn, arn, timeout=120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ex = sfn.describe_execution(executionArn=arn)
        if ex["status"] != "RUNNING":
            return ex
        time.sleep(0.05)
    pytest.fail(f"execution {arn} still RUNNING")
