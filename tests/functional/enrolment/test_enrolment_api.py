"""Enrolment through the local REST API (API keys, handlers, dispatcher, real ASL, SES mailbox)."""

from __future__ import annotations

import json
import re
import time

import pytest


def _seed(aws, account_id: str, n: int) -> list[str]:
    import boto3

    from einvoice.companies.dynamodb import to_item
    from einvoice.companies.model import new_company, now_iso
    from einvoice.directory.models import LegalUnit

    ddb = boto3.client("dynamodb", region_name=aws.settings.region)
    ids = []
    from tests.functional.enrolment.conftest import siren_for  # noqa: PLC0415

    for i in range(n):
        siren = siren_for(5000 + i)
        item = to_item(new_company(account_id=account_id, identifier_type="SIREN", identifier=siren,
                                   employees="11-20", purchase_invoices=True, purchase_payment=False,
                                   sales_invoices=True, duplicate_control=False,
                                   record=LegalUnit(siren, f"Entreprise {i} SA", True, "A"), now=now_iso()))
        ddb.put_item(TableName=aws.settings.data_table, Item=item)
        ids.append(item["id"]["S"])
    return ids


def _poll(fn, timeout=120.0, every=0.2, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def _code(eid: str) -> str:
    from local import mailbox

    for m in reversed(mailbox.messages()):
        if eid in (m.get("text") or ""):
            return re.search(r"code de confirmation est : (\d{6})", m["text"]).group(1)
    return ""


@pytest.mark.slow
def test_mass_enrolment_of_50_through_the_local_api(api, tenants, aws):
    key = {"x-api-key": tenants["a"].value}
    ids = _seed(aws, "account-a", 50)
    signatory = {"firstName": "Jeanne", "lastName": "Dupont", "role": "Présidente", "email": "jeanne@example.fr"}
    resp = api.post("/v1/enrolments", json={"companyIds": ids, "signatory": signatory, "acceptTerms": True},
                    headers=key)
    assert resp.status_code == 202, resp.json
    eid = resp.json["id"]
    _poll(lambda: _code(eid), what="the OTP mail")
    # another tenant cannot see it
    assert api.get(f"/v1/enrolments/{eid}", headers={"x-api-key": tenants["b"].value}).status_code == 404
    wrong = api.post(f"/v1/enrolments/{eid}/otp", json={"code": "12345"}, headers=key)
    assert wrong.status_code == 422 and wrong.json["details"][0]["field"] == "body.code"
    trailing = api.post(f"/v1/enrolments/{eid}/otp", json={"code": _code(eid) + "\n"}, headers=key)
    assert trailing.status_code == 422, "a code with a trailing newline is malformed"
    assert api.get(f"/v1/enrolments/{eid}", headers=key).json["otp"]["remainingAttempts"] == 5, "no attempt burnt"
    t0 = time.monotonic()
    ok = api.post(f"/v1/enrolments/{eid}/otp", json={"code": _code(eid)}, headers=key)
    assert ok.status_code == 200, ok.json
    done = _poll(lambda: (lambda v: v if v["state"] in ("DONE", "FAILED") else None)(
        api.get(f"/v1/enrolments/{eid}", headers=key).json), what="DONE")
    elapsed = time.monotonic() - t0
    print(f"\nOTP confirmation -> DONE for 50 companies through the local API: {elapsed:.2f} s")
    assert done["state"] == "DONE", done
    assert {c["result"] for c in done["companies"]} == {"REGISTERED"}, [c for c in done["companies"] if c["result"] != "REGISTERED"][:3]
    # idempotent confirmation
    again = api.post(f"/v1/enrolments/{eid}/otp", json={"code": _code(eid)}, headers=key)
    assert again.status_code == 200 and again.json["state"] == "DONE"
    # the certificate: a sealed PDF
    cert = api.get(f"/v1/enrolments/{eid}/certificate", headers=key)
    assert cert.status_code == 200 and cert.headers["content-type"].startswith("application/pdf")
    from einvoice import seal
    from einvoice.settings import get_settings
    from local.seal import trust_root

    verdict = seal.verify(cert.data, [trust_root(get_settings())])
    assert verdict["intact"] and verdict["trusted"]
    # the company shows DONE with the certificate link
    company = api.get(f"/v1/companies/{ids[0]}", headers=key)
    assert company.status_code == 200
    assert company.json["enrolmentState"] == "DONE"
    assert f"/v1/enrolments/{eid}/certificate" in json.dumps(company.json)
    # the directory now points to this platform
    from einvoice.directory.cache import get_directory

    lines = get_directory().lines_for(done["companies"][0]["siren"])
    assert any(line.platform_id == aws.settings.platform_id for line in lines)
