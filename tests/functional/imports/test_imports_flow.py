"""Bulk imports on the production path: REST API -> Lambda -> Step Functions loop (moto runs the ASL)
-> chunk Lambda -> DynamoDB transactions / S3, with the directory table as the directory."""

from __future__ import annotations

import csv
import importlib
import io
import json
import threading

import pytest
from imports_api_support import headers, wait_execution, wait_stopped
from werkzeug.test import Client

from einvoice.errors import UpstreamUnavailableError


def _lines(sirens: list[str]) -> list[str]:
    return [f"SIREN;{s};1-10;1;0;1;0" for s in sirens]


def _csv(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def _post(client, tenants, data: bytes, who="a") -> dict:
    resp = client.post("/v1/companies/imports?header=false", data=data,
                       headers=headers(tenants, who, **{"content-type": "text/csv"}))
    assert resp.status_code == 202, resp.json
    return resp.json


def _execution_arn(aws, name: str) -> str:
    return aws.settings.import_state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + name


def _companies(account_id: str) -> list[dict]:
    from einvoice.adapters.aws.clients import client
    from einvoice.settings import get_settings

    ddb, items, kwargs = client("dynamodb"), [], {
        "TableName": get_settings().data_table,
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :c)",
        "ExpressionAttributeValues": {":p": {"S": f"ACC#{account_id}"}, ":c": {"S": "COMPANY#"}},
    }
    while True:
        page = ddb.query(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _report(aws, api, tenants, import_id: str) -> list[dict]:
    from einvoice.adapters.aws.clients import client

    resp = api.get(f"/v1/companies/imports/{import_id}/report", headers=headers(tenants))
    assert resp.status_code == 303, resp.json
    key = f"reports/account-a/{import_id}/report"
    assert key in resp.headers["Location"] and resp.json["url"] == resp.headers["Location"]
    body = client("s3").get_object(Bucket=aws.settings.drop_bucket, Key=key)["Body"].read().decode()
    return list(csv.DictReader(io.StringIO(body)))


class _ShortContext:
    """A Lambda context with 10 s left: under the task's 15 s reserve, so each invocation does one chunk."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@pytest.fixture
def short_lambda_time(aws):
    from local import dispatch

    real = importlib.import_module("functions.company_import_chunk.handler").lambda_handler
    dispatch.register("company_import_chunk", lambda event, context: real(event, _ShortContext(context)))
    yield
    dispatch.register("company_import_chunk", "functions.company_import_chunk.handler")


def test_chunk_loop_goes_round_the_state_machine_when_the_lambda_runs_out_of_time(
    aws, api, tenants, valid_sirens, chunk_lines, short_lambda_time
):
    from einvoice.adapters.aws.clients import client
    from local import dispatch

    chunk_lines(50)
    before = sum(1 for name, _ in dispatch.invocations if name == "company_import_chunk")
    started = _post(api, tenants, _csv(_lines(valid_sirens[:300])))
    out = wait_stopped(api, tenants, started["id"])
    assert (out["state"], out["linesRead"], out["imported"], out["lastLine"]) == ("SUCCEEDED", 300, 300, 300)
    chunk_calls = sum(1 for name, _ in dispatch.invocations if name == "company_import_chunk") - before
    assert chunk_calls == 6  # 300 lines, 50 per chunk, one chunk per invocation
    sfn = client("stepfunctions")
    ex = wait_execution(sfn, _execution_arn(aws, started["id"]))
    events = sfn.get_execution_history(executionArn=ex["executionArn"], maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"] == "TaskStateEntered"]
    assert entered == ["ProcessChunks"] * 6
    assert len(_companies("account-a")) == 300


def test_directory_outage_mid_import_stops_exactly_then_resume_finishes(
    aws, api, tenants, directory, valid_sirens, chunk_lines
):
    class Flaky:
        def __init__(self, inner, fail_after):
            self.inner, self.calls, self.fail_after = inner, 0, fail_after

        def get_many(self, sirens, sirets):
            self.calls += 1
            if self.fail_after is not None and self.calls > self.fail_after:
                raise UpstreamUnavailableError("The directory is unavailable (ThrottlingException)")
            return self.inner.get_many(sirens, sirets)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    chunk_lines(50)
    flaky = directory.inner = Flaky(directory.inner, fail_after=2)
    data = _csv(_lines(valid_sirens[:250]) + ["SIREN;123;1-10;1;0;1;0"] * 50)
    started = _post(api, tenants, data)
    out = wait_stopped(api, tenants, started["id"])
    # two chunks committed, then 5 attempts met the outage (the state machine backed off between them)
    assert out["state"] == "FAILED" and out["failure"]["code"] == "DirectoryUnavailable"
    assert (out["linesRead"], out["lastLine"], out["imported"], out["rejected"]) == (100, 100, 100, 0)
    assert flaky.calls == 2 + 5
    assert len(_companies("account-a")) == 100
    rows = _report(aws, api, tenants, started["id"])
    assert [int(r["line"]) for r in rows] == list(range(1, 101))
    assert {r["companyId"] for r in rows} == {c["id"]["S"] for c in _companies("account-a")}

    flaky.fail_after = None  # the directory is back
    resumed = api.post(f"/v1/companies/imports/{started['id']}/resume", headers=headers(tenants))
    assert resumed.status_code == 202, resumed.json
    assert resumed.json["state"] == "RUNNING" and resumed.json["resumes"] == 1
    out = wait_stopped(api, tenants, started["id"])
    assert (out["state"], out["linesRead"], out["imported"], out["rejected"]) == ("SUCCEEDED", 300, 250, 50)
    assert out["failure"] is None and out["resumes"] == 1
    companies = _companies("account-a")
    assert len(companies) == 250 and {c["importLine"]["N"] for c in companies} == {str(i) for i in range(1, 251)}
    assert len(_report(aws, api, tenants, started["id"])) == 300
    again = api.post(f"/v1/companies/imports/{started['id']}/resume", headers=headers(tenants))
    assert again.status_code == 409 and again.json["code"] == "Conflict"
    assert api.post(f"/v1/companies/imports/{started['id']}/resume", headers=headers(tenants, "b")).status_code == 404


def test_four_parallel_imports_of_one_file_create_each_company_once(aws, tenants, valid_sirens, chunk_lines):
    from einvoice.adapters.aws.clients import client
    from local.server import LocalApi

    chunk_lines(60)
    distinct = valid_sirens[:270]
    lines = _lines(distinct) + _lines(distinct[:15]) + ["SIRET;123;1-10;1;0;1;0"] * 15
    assert len(lines) == 300
    data = _csv(lines)
    written: list[str] = []
    lock = threading.Lock()
    ddb = client("dynamodb")

    def before(params, context, **kw):
        context["companyPuts"] = [
            a["Put"]["Item"]["sk"]["S"] for a in params["TransactItems"]
            if "Put" in a and a["Put"]["Item"]["sk"]["S"].startswith("COMPANY#")
        ]

    def after(parsed, context, **kw):
        if "Error" not in parsed:
            with lock:
                written.extend(context.get("companyPuts", []))

    ddb.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", before)
    ddb.meta.events.register("after-call.dynamodb.TransactWriteItems", after)
    try:
        barrier = threading.Barrier(4)
        ids: list[str] = []

        def one() -> None:
            client_ = Client(LocalApi())
            barrier.wait()
            ids.append(_post(client_, tenants, data)["id"])

        threads = [threading.Thread(target=one) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        outs = [wait_stopped(Client(LocalApi()), tenants, i) for i in ids]
    finally:
        ddb.meta.events.unregister("before-parameter-build.dynamodb.TransactWriteItems", before)
        ddb.meta.events.unregister("after-call.dynamodb.TransactWriteItems", after)
    assert [o["state"] for o in outs] == ["SUCCEEDED"] * 4
    assert sum(o["imported"] for o in outs) == len(distinct) == 270
    assert len(written) == len(set(written)) == 270  # each company written exactly once
    assert all(o["imported"] + o["existing"] + o["rejected"] == 300 for o in outs)
    owners = [c["importId"]["S"] for c in _companies("account-a")]
    assert {o["id"]: owners.count(o["id"]) for o in outs} == {o["id"]: o["imported"] for o in outs}


def test_no_stack_trace_in_the_record_the_report_or_the_execution(aws, api, tenants, valid_sirens, monkeypatch):
    from einvoice.adapters.aws.clients import client
    from einvoice.companies.dynamodb import DynamoCompanyRepository

    def broken(self, *a, **kw):
        raise RuntimeError('Traceback (most recent call last):\n  File "/var/task/x.py", line 1, in <module>')

    monkeypatch.setattr(DynamoCompanyRepository, "get_many", broken)
    started = _post(api, tenants, _csv(_lines(valid_sirens[:5])))
    out = wait_stopped(api, tenants, started["id"])
    assert out["state"] == "FAILED" and out["failure"]["code"] == "InternalError"
    sfn = client("stepfunctions")
    ex = wait_execution(sfn, _execution_arn(aws, started["id"]))
    events = sfn.get_execution_history(executionArn=ex["executionArn"], maxResults=1000)["events"]
    report = client("s3").get_object(Bucket=aws.settings.drop_bucket, Key=f"reports/account-a/{started['id']}/report")
    stored = client("dynamodb").get_item(
        TableName=aws.settings.data_table,
        Key={"pk": {"S": "ACC#account-a"}, "sk": {"S": f"IMPORT#{started['id']}"}},
    )["Item"]
    for text in (json.dumps(out), json.dumps(events, default=str), json.dumps(ex, default=str),
                 report["Body"].read().decode(), json.dumps(stored)):
        assert "Traceback" not in text and 'File "' not in text and "stackTrace" not in text


@pytest.mark.slow
def test_write_requests_per_1000_lines(aws, api, tenants, valid_sirens, directory):
    """1,000 lines (SIRENs and SIRETs of the generated directory): one transaction per 98 companies."""
    from einvoice.adapters.aws.clients import client
    from einvoice.directory.seed import generate_seed

    sirets = [r[1] for r in generate_seed(400, seed=5)]
    lines = (_lines(valid_sirens) + [f"SIRET;{s};1-10;1;0;1;0" for s in sirets])[:1000]
    assert len(lines) == 1000
    writes: list[str] = []

    def count(params, model, **kw):
        if model.name in ("PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems", "DeleteItem"):
            if params.get("TableName", aws.settings.data_table) == aws.settings.data_table:
                writes.append(model.name)

    ddb = client("dynamodb")
    ddb.meta.events.register("before-parameter-build.dynamodb", count)
    try:
        started = _post(api, tenants, _csv(lines))
        out = wait_stopped(api, tenants, started["id"])
    finally:
        ddb.meta.events.unregister("before-parameter-build.dynamodb", count)
    assert out["state"] == "SUCCEEDED" and out["imported"] + out["rejected"] == 1000
    assert len(writes) <= 15, writes  # before: 39 (BatchWriteItem, unconditional)
