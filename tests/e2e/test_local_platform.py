"""End-to-end smoke test: start the local platform (the `make run` entry point) and call it over HTTP."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("e2e-key-partner-a-00000000000001", "e2e-key-partner-b-00000000000002")

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, key=None):
    req = urllib.request.Request(url, headers={"x-api-key": key} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    api_port, aws_port = _free_port(), _free_port()
    env = dict(os.environ)
    env.pop("AWS_ENDPOINT_URL", None)
    env["EINVOICE_DEMO_API_KEYS"] = ",".join(KEYS)
    env["PYTHONPATH"] = f"{ROOT / 'layers' / 'core' / 'python'}:{ROOT}"
    log = tmp_path_factory.mktemp("e2e") / "platform.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "einvoice.local", "--port", str(api_port), "--aws-port", str(aws_port)],
            cwd=tmp_path_factory.mktemp("cwd"),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the platform exited early:\n{log.read_text()[-3000:]}")
        try:
            if _get(f"{base}/v1/health")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"the platform was not ready in time:\n{log.read_text()[-3000:]}")
    yield {"base": base, "proc": proc, "log": log}
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the platform did not stop on Ctrl-C")


def test_health_and_keys(platform):
    base = platform["base"]
    status, body = _get(f"{base}/v1/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert _get(f"{base}/v1/me")[0] == 403
    status, body = _get(f"{base}/v1/me", KEYS[0])
    assert status == 200
    assert json.loads(body)["partner"]["id"] == "demo-partner-a"
    status, body = _get(f"{base}/v1/me", KEYS[1])
    assert json.loads(body)["partner"]["id"] == "demo-partner-b"


def test_docs_openapi_mailbox(platform):
    base = platform["base"]
    assert _get(f"{base}/docs")[0] == 200
    status, body = _get(f"{base}/openapi.json")
    assert status == 200 and "/v1/me" in json.loads(body)["paths"]
    status, body = _get(f"{base}/_local/mail.json")
    assert status == 200 and isinstance(json.loads(body), list)


def test_banner_prints_urls_and_the_configured_keys(platform):
    text = platform["log"].read_text()
    assert "/docs" in text and "/_local/mail" in text
    assert KEYS[0] in text and KEYS[1] in text


def test_local_aws_is_reachable_by_other_clients(platform):
    import boto3

    text = platform["log"].read_text()
    aws_url = [line.split()[2] for line in text.splitlines() if line.strip().startswith("Local AWS")][0]
    ddb = boto3.client("dynamodb", endpoint_url=aws_url, region_name="eu-west-3")
    assert "einvoice-data" in ddb.list_tables()["TableNames"]
    s3 = boto3.client("s3", endpoint_url=aws_url, region_name="eu-west-3")
    lock = s3.get_object_lock_configuration(Bucket="einvoice-archive")["ObjectLockConfiguration"]
    retention = lock["Rule"]["DefaultRetention"]
    assert retention["Mode"] == "COMPLIANCE" and retention["Years"] == 10
