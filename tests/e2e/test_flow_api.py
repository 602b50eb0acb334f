"""Must-show, over HTTP on the local platform (``python -m local`` on free ports): a simulated peer platform
delivers an invoice to one of our companies through ``POST /v1/flows`` (OAuth2 client credentials) -> the
reception records 202 then 203, and answers both to the peer as CDAR flows; a second delivery with a wrong
SHA-256 is refused ``ChecksumMismatch`` in the standard's error shape. Also: getting a token and posting a
flow by hand, as the README shows."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import running_platform

pytestmark = pytest.mark.e2e
KEY = "einvoice-demo-key-partner-a-0001"
PEER = "0238:PA-0042"


def _call(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    req = urllib.request.Request(url, data=data, method=method, headers={
        **({"content-type": "application/json"} if isinstance(body, dict) else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as err:
        raw, status = err.read(), err.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def _until(fn, what, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    with running_platform(tmp_path_factory) as started:
        yield started


def _buyer(base: str, siren: str) -> str:
    status, company = _call("POST", f"{base}/v1/companies", {
        "identifierType": "SIREN", "identifier": siren, "employees": "11-20", "purchaseInvoices": True,
        "purchasePayment": False, "salesInvoices": False, "duplicateControl": True}, {"x-api-key": KEY})
    assert status == 201, company
    return company["id"]


def test_a_peer_delivers_through_the_flow_api_and_a_checksum_mismatch_is_refused(platform):
    from tests.e2e.test_local_platform import _directory_sirens

    base = platform["base"]
    siren = _directory_sirens(6)[5]
    company = _buyer(base, siren)
    status, sent = _call("POST", f"{base}/_local/peers/{PEER}/send", {"buyerSiren": siren, "syntax": "CII"})
    assert status == 200 and sent["status"] == 202, sent
    flow = sent["answer"]
    assert flow["flowSyntax"] == "CII" and flow["acknowledgement"]["status"] == "Pending"

    def received():
        _, page = _call("GET", f"{base}/v1/invoices?companyId={company}&direction=received",
                        headers={"x-api-key": KEY})
        items = [i for i in page["items"] if i["status"]["code"] == "203"]
        return items[0] if items else None

    item = _until(received, "203 Mise à disposition")
    _, full = _call("GET", f"{base}/v1/invoices/{item['id']}", headers={"x-api-key": KEY})
    assert [s["code"] for s in full["statusHistory"]] == ["202", "203"]
    assert full["counterpart"]["platform"] == PEER and full["documents"]["pdf"].endswith("format=pdf")

    def answered():
        _, peers = _call("GET", f"{base}/_local/peers?format=json")
        peer = next(p for p in peers if p["platformId"] == PEER)
        cdar = [f for f in peer["lastFlows"] if f["flowSyntax"] == "CDAR"]
        return cdar if len(cdar) >= 2 else None

    assert len(_until(answered, "the CDAR answers at the peer")) == 2

    status, refused = _call("POST", f"{base}/_local/peers/{PEER}/send",
                            {"buyerSiren": siren, "syntax": "UBL", "corrupt": True})
    assert status == 200 and refused["status"] == 422, refused
    answer = refused["answer"]
    assert answer["errorCode"] == "ChecksumMismatch" and answer["status"] == 422
    assert answer["acknowledgement"]["details"][0]["reasonCode"] == "ChecksumMismatch"
    assert {"type", "message", "details", "instance", "requestId"} <= set(answer)


def test_a_token_then_post_v1_flows_by_hand(platform):
    base = platform["base"]
    basic = base64.b64encode(b"demo-pa-0042:einvoice-demo-flow-secret-0042").decode()
    status, token = _call("POST", f"{base}/oauth2/token", b"grant_type=client_credentials", {
        "Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and token["token_type"] == "Bearer" and token["expires_in"] == 3600
    from einvoice.transmission.flow_api import multipart

    data = b"<x/>"
    info = {"trackingId": "by-hand", "flowSyntax": "CII", "sha256": hashlib.sha256(data).hexdigest()}
    body, ctype = multipart([("flowInfo", "application/json", None, json.dumps(info).encode()),
                             ("file", "application/xml", "x.xml", data)])
    status, answer = _call("POST", f"{base}/v1/flows", body, {"Content-Type": ctype,
                                                               "Authorization": f"Bearer {token['access_token']}"})
    assert status == 422 and answer["errorCode"] == "InvalidSchema"
    status, _ = _call("POST", f"{base}/v1/flows", body, {"Content-Type": ctype})
    assert status == 401
    status, health = _call("GET", f"{base}/v1/healthcheck")
    assert status == 200 and health["status"] == "UP"
