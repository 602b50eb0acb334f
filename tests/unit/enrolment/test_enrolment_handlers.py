"""The thin handlers: API Gateway REST proxy events in, status + JSON out (in-memory deps)."""

from __future__ import annotations

import base64
import importlib
import json

import pytest

from einvoice.enrolment import service
from tests.unit.enrolment.enrolment_testing import last_code


def _event(method: str, path: str, resource: str, body=None, path_params=None) -> dict:
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": {"content-type": "application/json"}, "multiValueHeaders": {},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": path_params, "stageVariables": None,
        "requestContext": {"requestId": "req-http-1", "resourcePath": resource, "httpMethod": method,
                           "stage": "v1", "path": path, "identity": {"apiKeyId": "k1", "sourceIp": "127.0.0.1"}},
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    }


class Ctx:
    function_name = "enrolment"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-3:123456789012:function:enrolment"
    memory_limit_in_mb = 256
    aws_request_id = "ctx-1"
    log_group_name = log_stream_name = "local"

    def get_remaining_time_in_millis(self):
        return 10_000


@pytest.fixture
def call(world, monkeypatch):
    monkeypatch.setattr(service, "_default", world.deps)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "test")

    def invoke(function: str, method: str, path: str, resource: str, body=None, params=None):
        module = importlib.import_module(f"functions.{function}.handler")
        monkeypatch.setattr(module.app, "_tenant_resolver", lambda key: world.tenant)
        out = module.lambda_handler(_event(method, path, resource, body, params), Ctx())
        payload = out["body"]
        if out.get("isBase64Encoded"):
            return out["statusCode"], base64.b64decode(payload), out
        return out["statusCode"], json.loads(payload) if payload else None, out

    return invoke


def test_enrolment_over_http(world, call):
    from einvoice.enrolment import tasks

    status, body, _ = call("enrolment_start", "POST", "/v1/enrolments", "/v1/enrolments",
                           {"companyIds": ["c1"], "signatory": world.signatory, "acceptTerms": True})
    assert status == 202 and body["state"] == "OTP_SENT" and set(body) == {"id", "state"}
    eid = body["id"]
    params = {"id": eid}
    tasks.send_otp({"accountId": "a1", "enrolmentId": eid, "taskToken": "tok"}, world.deps)
    code = last_code(world)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    status, body, _ = call("enrolment_otp_confirm", "POST", f"/v1/enrolments/{eid}/otp", "/v1/enrolments/{id}/otp",
                           {"code": wrong}, params)
    assert status == 422 and body["code"] == "OtpInvalid"
    assert body["details"][0]["remainingAttempts"] == 4 and body["details"][0]["messageFr"]
    assert code not in json.dumps(body)
    status, body, _ = call("enrolment_otp_resend", "POST", f"/v1/enrolments/{eid}/otp/resend",
                           "/v1/enrolments/{id}/otp/resend", None, params)
    assert status == 200 and body["otp"]["remainingResends"] == 2
    status, body, _ = call("enrolment_otp_confirm", "POST", f"/v1/enrolments/{eid}/otp", "/v1/enrolments/{id}/otp",
                           {"code": last_code(world)}, params)
    assert status == 200 and body["state"] == "REGISTERING"
    status, body, _ = call("enrolment_get", "GET", f"/v1/enrolments/{eid}", "/v1/enrolments/{id}", None, params)
    assert status == 200 and body["companies"][0]["companyId"] == "c1"
    status, body, _ = call("enrolment_certificate", "GET", f"/v1/enrolments/{eid}/certificate",
                           "/v1/enrolments/{id}/certificate", None, params)
    assert status == 404 and body["details"][0]["rule"] == "CERTIFICATE_NOT_ISSUED"


def test_start_422_names_the_fields(call):
    status, body, _ = call("enrolment_start", "POST", "/v1/enrolments", "/v1/enrolments",
                           {"companyIds": ["novat"], "signatory": {"email": "x"}, "acceptTerms": False})
    assert status == 422 and body["code"] == "ValidationError"
    fields = {d["field"] for d in body["details"]}
    assert {"acceptTerms", "signatory.email", "signatory.firstName", "companyIds[0]"} <= fields
    assert body["requestId"] == "req-http-1"


def test_unknown_enrolment_is_404(call):
    status, body, _ = call("enrolment_get", "GET", "/v1/enrolments/nope", "/v1/enrolments/{id}", None, {"id": "nope"})
    assert status == 404


def test_every_manifest_function_has_a_handler():
    from einvoice.enrolment.routes import FUNCTIONS

    for fn in FUNCTIONS:
        module = importlib.import_module(fn.module)
        assert callable(module.lambda_handler), fn.name


def test_the_code_never_reaches_logs_or_responses(world, call, capsys, monkeypatch):
    import io
    import logging
    import re

    from einvoice.enrolment import otp, tasks

    monkeypatch.setattr(otp.secrets, "randbelow", lambda n: 271828)  # a code we can search for
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    status, body, _ = call("enrolment_start", "POST", "/v1/enrolments", "/v1/enrolments",
                           {"companyIds": ["c1", "c2"], "signatory": world.signatory, "acceptTerms": True})
    eid = body["id"]
    tasks.send_otp({"accountId": "a1", "enrolmentId": eid, "taskToken": "tok"}, world.deps)
    code = last_code(world)
    responses = []
    for _ in range(2):
        responses.append(call("enrolment_otp_confirm", "POST", f"/v1/enrolments/{eid}/otp",
                              "/v1/enrolments/{id}/otp", {"code": f"{(int(code) + 3) % 10**6:06d}"}, {"id": eid}))
    responses.append(call("enrolment_otp_confirm", "POST", f"/v1/enrolments/{eid}/otp", "/v1/enrolments/{id}/otp",
                          {"code": code}, {"id": eid}))
    responses.append(call("enrolment_get", "GET", f"/v1/enrolments/{eid}", "/v1/enrolments/{id}", None, {"id": eid}))
    root.removeHandler(handler)
    root.setLevel(old_level)
    out = capsys.readouterr()
    assert code == "271828"
    found = re.compile(r"(?<![0-9A-Za-z])271828(?![0-9A-Za-z])")
    assert not found.search(stream.getvalue()) and not found.search(out.out) and not found.search(out.err)
    assert all(code not in json.dumps(r[1]) for r in responses)
    assert world.deps.workflow.succeeded and code not in json.dumps(world.deps.workflow.succeeded)
