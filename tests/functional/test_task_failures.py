"""Task Lambdas never let a trace out: not in the runtime's error payload, the Step Functions
history, nor a stored record (the trace goes to the log with the request id)."""

import json
import sys
import time

import pytest

from einvoice.errors import TransientError
from einvoice.observability import INTERNAL_MESSAGE, task_handler
from local.dispatch import LambdaContext, runtime_error_payload

TRACE_MARKS = ("Traceback (most recent call last)", 'File "', ".py\", line")


def _no_trace(text: str) -> None:
    for mark in TRACE_MARKS:
        assert mark not in text, f"trace found ({mark!r}): {text[:500]}"


def _fail(exc):
    @task_handler
    def handler(event, context):
        raise exc

    return handler


def test_unexpected_error_keeps_its_name_and_loses_its_message_and_frames():
    handler = _fail(KeyError("customer secret 4111-1111"))
    with pytest.raises(Exception) as info:
        handler({}, LambdaContext("t"))
    assert type(info.value).__name__ == "KeyError", "ASL Retry/Catch still match the class name"
    payload = runtime_error_payload(info.value, "req-1")
    assert payload["stackTrace"] == [], "what the Lambda runtime would put in the history"
    message = json.loads(payload["errorMessage"])
    assert message["code"] == "KeyError" and message["message"] == INTERNAL_MESSAGE
    assert "4111" not in json.dumps(payload)
    _no_trace(json.dumps(payload))
    assert getattr(sys, "tracebacklimit", 1000) != 0, "restored after the runtime read the frames"


def test_domain_errors_keep_name_code_and_message():
    class DirectoryTransientError(TransientError):
        pass

    handler = _fail(DirectoryTransientError("directory unavailable: timeout"))
    with pytest.raises(Exception) as info:
        handler({}, LambdaContext("t"))
    assert type(info.value).__name__ == "DirectoryTransientError"
    payload = runtime_error_payload(info.value, "req-2")
    assert json.loads(payload["errorMessage"])["message"] == "directory unavailable: timeout"
    assert payload["stackTrace"] == []


def test_error_from_catch_reads_the_code_and_message():
    from einvoice.observability import error_from_catch

    cause = json.dumps({"errorMessage": json.dumps({"code": "NothingRegisteredError", "message": "none"}),
                        "errorType": "NothingRegisteredError", "stackTrace": []})
    assert error_from_catch({"Error": "NothingRegisteredError", "Cause": cause}) == {
        "code": "NothingRegisteredError", "message": "none"}
    legacy = json.dumps({"errorMessage": "x", "stackTrace": ['  File "/var/task/a.py", line 1, in f\n']})
    assert error_from_catch({"Error": "X", "Cause": legacy})["message"] == "x"
    assert error_from_catch({"Error": "States.Timeout", "Cause": "Traceback (most recent call last): ..."})[
        "message"] == INTERNAL_MESSAGE


def test_a_failing_import_leaves_no_trace_in_history_or_record(api, tenants, aws, monkeypatch):
    from einvoice.adapters.aws.clients import client
    from einvoice.imports import service as imports

    def explode(*args, **kwargs):
        raise RuntimeError("boom with internals /etc/secret")

    monkeypatch.setattr(imports, "run_task", explode)  # the chunk task itself fails (Lambda error)
    key = {"x-api-key": tenants["a"].value, "content-type": "text/csv"}
    resp = api.post("/v1/companies/imports?header=false", data=b"SIREN;641989900;1-10;1;0;1;0\n", headers=key)
    assert resp.status_code == 202, resp.json
    import_id = resp.json["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = api.get(f"/v1/companies/imports/{import_id}", headers={"x-api-key": tenants["a"].value}).json
        if out["state"] != "RUNNING":
            break
        time.sleep(0.1)
    assert out["state"] == "FAILED"
    _no_trace(json.dumps(out))
    assert "/etc/secret" not in json.dumps(out)
    sfn = client("stepfunctions")
    histories = []
    for machine in sfn.list_state_machines()["stateMachines"]:
        for ex in sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]:
            histories.append(sfn.get_execution_history(executionArn=ex["executionArn"])["events"])
            histories.append(sfn.describe_execution(executionArn=ex["executionArn"]))
    assert histories
    text = json.dumps(histories, default=str)
    assert "RuntimeError" in text, "the failure is in the history, by name"
    _no_trace(text)
    assert "/etc/secret" not in text
