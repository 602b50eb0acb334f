"""Two tenants of the local platform over HTTP: tenant A's company sells to tenant B's company, enrolled on
this platform through the API (its directory line names 0238:PA-THIS). The seller issues, the buyer
receives (202 Reçue, 203 Mise à disposition), disputes (207), approves (205), pays (211: SEPA pain.001 valid against its XSD), the seller
records 212; both timelines are identical; a second invoice refused (210); the PPF outbox holds exactly
the mandatory statuses; tenant B's webhook sink received every event, signature verified."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import running_platform
from tests.e2e.test_local_platform import _directory_sirens

pytestmark = pytest.mark.e2e

KEYS = ("e2e-key-partner-a-lifecycle-0001", "e2e-key-partner-b-lifecycle-0002")
ROOT = Path(__file__).resolve().parents[2]
SELLER_SIREN = "422034074"  # the README's seller (docs/examples/invoice-request.json)
BUYER_SIREN = _directory_sirens(2)[1]  # a free SIREN of the generated directory, not the seller


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    with running_platform(tmp_path_factory, {"EINVOICE_DEMO_API_KEYS": ",".join(KEYS)}) as started:
        yield started


def call(platform, method: str, path: str, key: str | None = None, body=None, headers=None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {**({"x-api-key": key} if key else {}), **({"content-type": "application/json"} if data else {}),
            **(headers or {})}
    req = urllib.request.Request(platform["base"] + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw, status, ctype = resp.read(), resp.status, resp.headers.get("content-type", "")
    except urllib.error.HTTPError as err:
        raw, status, ctype = err.read(), err.code, err.headers.get("content-type", "")
    return status, (json.loads(raw) if "json" in ctype and raw else raw)


def until(fn, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def vat_id(siren: str) -> str:
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def company(platform, key: str, siren: str, **options) -> str:
    status, body = call(platform, "POST", "/v1/companies", key, {
        "identifierType": "SIREN", "identifier": siren, "employees": "11-20", "duplicateControl": True, **options})
    assert status == 201, body
    return body["id"]


def enrol(platform, key: str, company_id: str) -> None:
    """The buyer's directory line names this platform once enrolled (OTP from the local mailbox)."""
    status, body = call(platform, "POST", "/v1/enrolments", key, {
        "companyIds": [company_id], "acceptTerms": True,
        "signatory": {"firstName": "Paul", "lastName": "Martin", "role": "Gérant", "email": "paul@acheteur.example"}})
    assert status == 202, body
    enrolment = body["id"]

    def code():
        mails = call(platform, "GET", "/_local/mail.json")[1]
        found = [re.search(r"\b(\d{6})\b", m["text"]) for m in mails if "paul@acheteur.example" in m["to"]]
        return found[-1].group(1) if found and found[-1] else None

    status, body = call(platform, "POST", f"/v1/enrolments/{enrolment}/otp", key, {"code": until(code, "the code")})
    assert status == 200, body
    until(lambda: call(platform, "GET", f"/v1/enrolments/{enrolment}", key)[1]["state"] == "DONE", "DONE")


def draft(platform, key: str, company_id: str, number: str) -> str:
    text = (ROOT / "docs" / "examples" / "invoice-request.json").read_text()
    text = text.replace("COMPANY_ID", company_id).replace("FR33382158764", vat_id(BUYER_SIREN))
    text = text.replace("382158764", BUYER_SIREN).replace("F2026-0001", number)
    status, body = call(platform, "POST", "/v1/invoices", key, json.loads(text))
    assert status == 201, body
    return body["id"]


def codes(view) -> list[str]:
    return [s["code"] for s in view["statusHistory"]]


def test_seller_and_buyer_on_this_platform_share_one_lifecycle(platform):
    from lxml import etree

    from einvoice.validation import xsd

    a, b = KEYS
    seller = company(platform, a, SELLER_SIREN, salesInvoices=True, purchaseInvoices=False, purchasePayment=False)
    buyer = company(platform, b, BUYER_SIREN, salesInvoices=False, purchaseInvoices=True, purchasePayment=True)
    enrol(platform, b, buyer)
    sink = f"{platform['base']}/_local/webhooks/sink"
    status, hook = call(platform, "POST", "/v1/webhooks", b, {"url": sink, "eventTypes": [
        "invoice.received", "invoice.status_changed", "payment.created"]})
    assert status == 201, hook

    sent = draft(platform, a, seller, "F2026-0101")
    assert call(platform, "POST", f"/v1/invoices/{sent}/issue", a)[0] == 202
    # B receives it through this platform's reception: 202 Reçue, 203 Mise à disposition (purchase invoices)
    received = until(lambda: next((i["id"] for i in call(platform, "GET", f"/v1/invoices?companyId={buyer}"
                                                          "&direction=received", b)[1]["items"]), None), "reception")
    view = call(platform, "GET", f"/v1/invoices/{received}", b)[1]
    assert codes(view) == ["202", "203"] and view["number"] == "F2026-0101"

    status, body = call(platform, "POST", f"/v1/invoices/{received}/status", b,
                        {"code": 207, "reason": "TX_TVA_ERR", "comment": "Taux de 10 % attendu"})
    assert status == 200 and body["status"]["code"] == "207", body
    status, body = call(platform, "POST", f"/v1/invoices/{received}/status", b, {"code": 205})
    assert status == 200, body
    status, payment = call(platform, "POST", "/v1/payments", b, {
        "companyId": buyer, "invoiceIds": [received], "executionDate": "2099-01-15",
        "debtorAccount": {"iban": "FR7630004000031234567890143", "bic": "BNPAFRPP", "name": "Acheteur"}},
        headers={"Idempotency-Key": "pay-0101"})
    assert status == 201, payment
    status, pain = call(platform, "GET", payment["links"]["file"], b)
    assert status == 200 and not xsd.validate("pain.001.001.09", etree.fromstring(pain))
    status, body = call(platform, "POST", f"/v1/invoices/{sent}/status", a, {"code": 212, "amount": payment["total"]})
    assert status == 200, body

    seller_view = call(platform, "GET", f"/v1/invoices/{sent}", a)[1]
    buyer_view = call(platform, "GET", f"/v1/invoices/{received}", b)[1]
    assert codes(buyer_view) == ["202", "203", "207", "205", "211", "212"]
    assert codes(seller_view) == ["200", "201", *codes(buyer_view)]
    assert seller_view["statusHistory"][2:] == buyer_view["statusHistory"]  # the same events, both sides

    # a second invoice, refused by the buyer (210, mandatory for the PPF)
    second = draft(platform, a, seller, "F2026-0102")
    call(platform, "POST", f"/v1/invoices/{second}/issue", a)
    refused = until(lambda: next((i["id"] for i in call(platform, "GET", "/v1/invoices?direction=received", b)[1]
                                  ["items"] if i["number"] == "F2026-0102"), None), "the second reception")
    status, body = call(platform, "POST", f"/v1/invoices/{refused}/status", b, {"code": 210, "reason": "DOUBLON"})
    assert status == 200, body
    status, body = call(platform, "POST", f"/v1/invoices/{refused}/status", b, {"code": 205})
    assert status == 409 and body["details"][0]["rule"] == "LC-TERMINAL"

    # the PPF outbox (Flux 6) holds exactly the mandatory statuses: two 200 Déposée, one 210 Refusée
    import boto3

    s3 = boto3.client("s3", endpoint_url=platform["aws"], region_name="eu-west-3", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="einvoice-outbox", Prefix="ppf/flux6/").get("Contents", [])]
    assert sorted(re.search(r"_(F2026-01\d\d)_(\d{3})_", k).groups() for k in keys) == [
        ("F2026-0101", "200"), ("F2026-0102", "200"), ("F2026-0102", "210")]

    # tenant B's webhook sink got every event, each signature verified
    def delivered():
        got = call(platform, "GET", "/_local/webhooks?format=json")[1]["received"]
        ok = [(e["eventType"], (e["body"] or {}).get("data", {}).get("status", {}).get("code")) for e in got
              if e["verified"]]
        return ok if len(ok) >= 12 else None  # 9 status changes, 2 receptions, 1 payment

    events = sorted(until(delivered, "the webhook deliveries", 60), key=str)
    changed = [("invoice.status_changed", c) for c in ("202", "202", "203", "203", "205", "207", "210", "211", "212")]
    assert events == sorted([("invoice.received", "202")] * 2 + changed + [("payment.created", None)], key=str)


def readme_block() -> str:
    text = (ROOT / "README.md").read_text()
    (block,) = re.findall(r"<!-- lifecycle -->\s*```bash\n(.*?)```", text, re.S)
    return block


def test_the_readme_lifecycle_block_runs_as_written(tmp_path_factory):
    """The README's block, on a platform of its own with the demo keys: only the ports change."""
    import subprocess
    import sys

    with running_platform(tmp_path_factory) as platform:
        work = tmp_path_factory.mktemp("readme-lifecycle")
        (work / "docs").symlink_to(ROOT / "docs")
        script = readme_block().replace("http://127.0.0.1:3000", platform["base"])
        script = script.replace(".venv/bin/einvoice directory load docs/examples/directory-this-platform.csv",
                                f"{sys.executable} -m einvoice.cli directory load "
                                f"docs/examples/directory-this-platform.csv --endpoint-url {platform['aws']}")
        script += '\necho "IDS $SENT $REC $PAY"\n'
        proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, capture_output=True, text=True,
                              timeout=240)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        sent, received, payment = proc.stdout.strip().splitlines()[-1].split()[1:]
        a, b = "einvoice-demo-key-partner-a-0001", "einvoice-demo-key-partner-b-0002"
        seller_view = call(platform, "GET", f"/v1/invoices/{sent}", a)[1]
        buyer_view = call(platform, "GET", f"/v1/invoices/{received}", b)[1]
        assert codes(seller_view) == ["200", "201", "202", "203", "207", "205", "211", "212"]
        assert seller_view["statusHistory"][2:] == buyer_view["statusHistory"]
        assert call(platform, "GET", f"/v1/payments/{payment}", b)[0] == 200
        assert b"pain.001.001.09" in (work / "virement.xml").read_bytes()
        got = until(lambda: (lambda r: r if len(r) >= 7 else None)(
            call(platform, "GET", "/_local/webhooks?format=json")[1]["received"]), "the webhooks", 60)
        time.sleep(2)  # nothing more arrives
        got = call(platform, "GET", "/_local/webhooks?format=json")[1]["received"]
        # invoice.received (202), then a status change each: 202, 203, 207, 205, 211, 212
        assert len(got) == 7 and all(e["verified"] for e in got)
