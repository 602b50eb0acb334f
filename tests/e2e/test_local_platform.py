"""End-to-end smoke test: start the local platform (the `make run` entry point) and call it over HTTP."""

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import running_platform

KEYS = ("e2e-key-partner-a-00000000000001", "e2e-key-partner-b-00000000000002")

pytestmark = pytest.mark.e2e


def _get(url, key=None):
    req = urllib.request.Request(url, headers={"x-api-key": key} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _directory_sirens(n: int) -> list[str]:
    """Active, VAT-liable SIRENs with no reception platform yet, from the directory data set the
    local platform always generates (the ../shared fixture may be absent, e.g. on a bare clone)."""
    from einvoice.directory import seed

    out: list[str] = []
    seen: set[str] = set()
    for siren, _siret, _name, _label, _city, vat, status, platform in seed.generate_seed(
        seed.LOCAL_SEED_UNITS, seed.LOCAL_SEED
    ):
        if siren in seen or siren == seed.LA_POSTE_SIREN:
            continue
        seen.add(siren)
        if status == "active" and vat == "1" and platform == "":
            out.append(siren)
            if len(out) == n:
                return out
    raise AssertionError("the generated directory has too few free SIRENs")


ENROL_SIREN, IMPORT_SIREN_1, IMPORT_SIREN_2, SELLER_SIREN = _directory_sirens(4)


def _buyer_on(platform_id: str) -> str:
    """An active, VAT-liable SIREN of the generated directory whose line names ``platform_id``."""
    from einvoice.directory import seed

    for siren, _siret, _name, _label, _city, vat, status, platform in seed.generate_seed(
        seed.LOCAL_SEED_UNITS, seed.LOCAL_SEED
    ):
        if platform == platform_id and vat == "1" and status == "active" and siren != seed.LA_POSTE_SIREN:
            return siren
    raise AssertionError(f"no SIREN on {platform_id} in the generated directory")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    with running_platform(tmp_path_factory, {"EINVOICE_DEMO_API_KEYS": ",".join(KEYS)}) as started:
        yield started


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


def _call(method, url, key=None, body=None, ctype="application/json"):
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    headers = {"content-type": ctype} if data is not None else {}
    if key:
        headers["x-api-key"] = key
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_company_enrolment_with_the_mailed_code_over_http(platform):
    """The whole enrolment flow through the real server: moto executes the state machine, whose tasks
    call back into this process's handlers, and the code is read from the local mailbox."""
    import re

    base = platform["base"]
    status, body = _call("POST", f"{base}/v1/companies", KEYS[0], {
        "identifierType": "SIREN", "identifier": ENROL_SIREN, "employees": "11-20", "purchaseInvoices": True,
        "purchasePayment": False, "salesInvoices": True, "duplicateControl": True})
    assert status == 201, body
    company = json.loads(body)
    status, body = _call("POST", f"{base}/v1/enrolments", KEYS[0], {
        "companyIds": [company["id"]], "acceptTerms": True,
        "signatory": {"firstName": "Jeanne", "lastName": "Dupont", "role": "Gérante", "email": "jeanne@example.fr"}})
    assert status == 202, body
    enrolment_id = json.loads(body)["id"]
    code = None
    deadline = time.monotonic() + 60
    while code is None and time.monotonic() < deadline:
        mails = json.loads(_get(f"{base}/_local/mail.json")[1])
        found = [re.search(r"\b(\d{6})\b", m["text"]) for m in mails if "jeanne@example.fr" in m["to"]]
        code = found[-1].group(1) if found and found[-1] else None
        time.sleep(0.2)
    assert code, "no one-time password in the local mailbox"
    status, body = _call("POST", f"{base}/v1/enrolments/{enrolment_id}/otp", KEYS[0], {"code": code})
    assert status == 200, body
    deadline = time.monotonic() + 90
    state = None
    while time.monotonic() < deadline:
        state = json.loads(_get(f"{base}/v1/enrolments/{enrolment_id}", KEYS[0])[1])["state"]
        if state in ("DONE", "FAILED", "LOCKED", "EXPIRED"):
            break
        time.sleep(0.3)
    assert state == "DONE"
    status, pdf = _get(f"{base}/v1/enrolments/{enrolment_id}/certificate", KEYS[0])
    assert status == 200 and pdf[:5] == b"%PDF-"
    got = json.loads(_get(f"{base}/v1/companies/{company['id']}", KEYS[0])[1])
    assert got["enrolmentState"] == "DONE" and got["links"]["certificate"]
    assert got["receptionPlatform"] == "0238:PA-THIS"
    status, body = _get(f"{base}/v1/directory/siren/{ENROL_SIREN}", KEYS[0])
    assert status == 200 and "0238:PA-THIS" in body.decode(), "the directory line names this platform"
    assert _get(f"{base}/v1/enrolments/{enrolment_id}", KEYS[1])[0] == 404, "other tenant"


def test_csv_import_over_http(platform):
    base = platform["base"]
    csv = (
        f"SIREN;{IMPORT_SIREN_1};1-10;1;0;1;0\r\nSIREN;{IMPORT_SIREN_2};11-20;0;0;1;1\r\nSIREN;123;1-10;1;0;1;0\r\n"
    ).encode()
    status, body = _call("POST", f"{base}/v1/companies/imports?header=false", KEYS[1], csv, "text/csv")
    assert status == 202, body
    import_id = json.loads(body)["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = json.loads(_get(f"{base}/v1/companies/imports/{import_id}", KEYS[1])[1])
        if out["state"] != "RUNNING":
            break
        time.sleep(0.2)
    assert out["state"] == "SUCCEEDED" and out["imported"] == 2 and out["rejected"] == 1
    assert out["errors"][0]["line"] == 3
    # the per-line report: 303 to a pre-signed URL of the local S3, followed by the client
    status, report = _get(f"{base}/v1/companies/imports/{import_id}/report", KEYS[1])
    assert status == 200, report
    lines = report.decode().splitlines()
    assert lines[0] == "line,outcome,companyId,field,reason" and len(lines) == 4
    assert lines[1].startswith("1,created,co_") and lines[3].startswith("3,rejected,,identifier,")


def _vat(siren: str) -> str:
    return "FR%02d%s" % ((12 + 3 * (int(siren) % 97)) % 97, siren)


def test_issue_invoices_to_both_peer_platforms_over_http(platform):
    """Issue to 0238:PA-0042 and 0238:PA-0117 (the simulated peers, on free ports) through the real
    server: Express state machine in moto, Flow API over loopback, statuses read back over HTTP."""
    from tests.unit.invoicing.model_samples import sample_body

    base = platform["base"]
    status, body = _call("POST", f"{base}/v1/companies", KEYS[0], {
        "identifierType": "SIREN", "identifier": SELLER_SIREN, "employees": "11-20", "purchaseInvoices": False,
        "purchasePayment": False, "salesInvoices": True, "duplicateControl": True})
    assert status == 201, body
    company_id = json.loads(body)["id"]
    issued = {}
    for n, peer in enumerate(("0238:PA-0042", "0238:PA-0117"), 1):
        buyer = _buyer_on(peer)
        invoice = sample_body()
        invoice["number"] = invoice["paymentInstructions"]["remittanceInformation"] = f"E2E-{n:04d}"
        invoice["seller"].update({"siren": SELLER_SIREN, "vatId": _vat(SELLER_SIREN), "identifiers": [],
                                  "electronicAddress": {"value": SELLER_SIREN, "scheme": "0225"}})
        invoice["buyer"].update({"siren": buyer, "vatId": _vat(buyer),
                                 "electronicAddress": {"value": buyer, "scheme": "0225"}})
        status, body = _call("POST", f"{base}/v1/invoices", KEYS[0], {"companyId": company_id, "invoice": invoice})
        assert status == 201, body
        invoice_id = json.loads(body)["id"]
        status, body = _call("POST", f"{base}/v1/invoices/{invoice_id}/issue", KEYS[0])
        assert status == 202, body
        issued[peer] = invoice_id
    for peer, invoice_id in issued.items():
        deadline = time.monotonic() + 90
        view = {}
        while time.monotonic() < deadline:
            view = json.loads(_get(f"{base}/v1/invoices/{invoice_id}", KEYS[0])[1])
            if view["state"] == "DONE":
                break
            time.sleep(0.3)
        assert [s["code"] for s in view["statusHistory"]] == ["200", "201"], view
        assert view["route"]["platformId"] == peer and view["deliveryAttempts"][-1]["outcome"] == "delivered"
        status, body = _get(f"{base}/v1/invoices/{invoice_id}/archive", KEYS[0])
        assert status == 200 and json.loads(body)["verified"] is True
    peers = {p["platformId"]: p for p in json.loads(_get(f"{base}/_local/peers?format=json")[1])}
    assert peers["0238:PA-0042"]["flowsReceived"] == 1 and peers["0238:PA-0117"]["flowsReceived"] == 1
    assert peers["0238:PA-0042"]["lastFlows"][0]["flowSyntax"] == "UBL"
    assert "/_local/peers" in platform["log"].read_text()
