"""Companies, imports (state machine and S3 drop) and directory through the local API Gateway."""

import json
import time

import pytest

from tests.functional.companies.companies_testdata import (
    ACTIVE,
    ACTIVE_SIRET,
    CLOSED,
    DIRECTORY_CSV,
    EXTRA,
    NOT_VAT,
    UNKNOWN,
)


@pytest.fixture
def directory(aws):
    from einvoice.directory.cache import reset_directory_cache
    from einvoice.directory.loader import load_csv

    reset_directory_cache()
    load_csv(DIRECTORY_CSV)
    yield
    reset_directory_cache()


def _h(tenants, who="a", **extra):
    return {"x-api-key": tenants[who].value, **extra}


def _body(identifier, itype="SIREN", **options):
    body = {"identifierType": itype, "identifier": identifier, "employees": "11-20", "purchaseInvoices": True,
            "purchasePayment": False, "salesInvoices": True, "duplicateControl": False}
    body.update(options)
    return body


def test_create_view_modify_list_and_isolation(api, tenants, directory):
    created = api.post("/v1/companies", json=_body(ACTIVE), headers=_h(tenants))
    assert created.status_code == 201, created.json
    company = created.json
    assert company["name"] and company["vatLiable"] is True and company["enrolmentState"] == "TO_DO"
    assert api.post("/v1/companies", json=_body(ACTIVE), headers=_h(tenants)).status_code == 409
    got = api.get(f"/v1/companies/{company['id']}", headers=_h(tenants))
    assert got.status_code == 200 and got.json["id"] == company["id"]
    assert api.get(f"/v1/companies/{company['id']}", headers=_h(tenants, "b")).status_code == 404
    patched = api.patch(f"/v1/companies/{company['id']}", json={"employees": "51-250", "purchaseInvoices": False},
                        headers=_h(tenants))
    assert patched.status_code == 200, patched.json
    assert patched.json["employees"] == "51-250" and patched.json["enrolmentState"] == "NOT_REQUIRED"
    listed = api.get(f"/v1/companies?identifier={ACTIVE[:5]}", headers=_h(tenants))
    assert [c["id"] for c in listed.json["items"]] == [company["id"]]
    assert api.get("/v1/companies", headers=_h(tenants, "b")).json["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_body(ACTIVE, purchaseInvoices=False, salesInvoices=False), "purchaseInvoices"),
        (_body(ACTIVE, purchaseInvoices=False, purchasePayment=True), "purchasePayment"),
        (_body("123456789"), "identifier"),
        (_body(UNKNOWN), "identifier"),
        (_body(CLOSED), "identifier"),
    ],
)
def test_rules_are_422_naming_the_field(api, tenants, directory, body, field):
    resp = api.post("/v1/companies", json=body, headers=_h(tenants))
    assert resp.status_code == 422, resp.json
    assert any(d.get("field") == field for d in resp.json["details"]), resp.json


def test_not_vat_liable_company_is_not_applicable(api, tenants, directory):
    resp = api.post("/v1/companies", json=_body(NOT_VAT), headers=_h(tenants))
    assert resp.status_code == 201 and resp.json["enrolmentState"] == "NOT_APPLICABLE"


def test_directory_lookups(api, tenants, directory):
    unit = api.get(f"/v1/directory/siren/{ACTIVE}", headers=_h(tenants))
    assert unit.status_code == 200 and unit.json["siren"] == ACTIVE
    est = api.get(f"/v1/directory/siret/{ACTIVE_SIRET}", headers=_h(tenants))
    assert est.status_code == 200 and est.json["siret"] == ACTIVE_SIRET
    assert api.get(f"/v1/directory/siren/{UNKNOWN}", headers=_h(tenants)).status_code == 404
    assert api.get("/v1/directory/siren/123456789", headers=_h(tenants)).status_code == 422
    assert api.get(f"/v1/directory/siren/{ACTIVE}").status_code == 403


def _wait_import(api, tenants, import_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = api.get(f"/v1/companies/imports/{import_id}", headers=_h(tenants)).json
        if out["state"] != "RUNNING":
            return out
        time.sleep(0.1)
    pytest.fail("import still RUNNING")


def test_import_through_the_state_machine(api, tenants, directory):
    lines = ["SIREN;" + EXTRA[0] + ";1-10;1;0;1;0", "SIREN;" + EXTRA[1] + ";1-10;0;0;0;0", "SIRET;123;x;1;0;1;0", "",
             "SIREN;" + EXTRA[2] + ";11-20;1;1;1;1"]
    csv = ("type;identifier;employees;purchase;payment;sales;duplicates\r\n" + "\r\n".join(lines) + "\r\n").encode()
    resp = api.post("/v1/companies/imports?header=true", data=csv, headers=_h(tenants, **{"content-type": "text/csv"}))
    assert resp.status_code == 202, resp.json
    out = _wait_import(api, tenants, resp.json["id"])
    assert out["state"] == "SUCCEEDED"
    assert out["imported"] == 2 and out["rejected"] == 2
    assert {e["line"] for e in out["errors"]} == {3, 4}
    again = api.post("/v1/companies/imports?header=true", data=csv, headers=_h(tenants, **{"content-type": "text/csv"}))
    _wait_import(api, tenants, again.json["id"])
    items = api.get("/v1/companies?limit=100", headers=_h(tenants)).json["items"]
    assert sorted(c["identifier"] for c in items) == sorted([EXTRA[0], EXTRA[2]]), "re-import creates no duplicates"
    assert api.get(f"/v1/companies/imports/{resp.json['id']}", headers=_h(tenants, "b")).status_code == 404


def test_s3_drop_imports_and_writes_a_report(api, tenants, directory, aws):
    from einvoice.adapters.aws.clients import client

    s3 = client("s3")
    csv = f"SIREN,{EXTRA[3]},1-10,1,0,1,0\nSIREN,{EXTRA[4]},51-250,0,0,1,0\n".encode()
    s3.put_object(Bucket=aws.settings.drop_bucket, Key="imports/account-a/lot 1.csv", Body=csv)
    deadline = time.monotonic() + 60
    report = None
    while time.monotonic() < deadline and report is None:
        try:
            body = s3.get_object(Bucket=aws.settings.drop_bucket, Key="imports/account-a/lot 1.csv.report.json")["Body"]
            report = json.loads(body.read())
        except s3.exceptions.NoSuchKey:
            time.sleep(0.1)
    assert report is not None, "no report written next to the dropped file"
    assert report["state"] == "SUCCEEDED" and report["imported"] == 2
    items = api.get("/v1/companies?limit=100", headers=_h(tenants)).json["items"]
    assert {EXTRA[3], EXTRA[4]} <= {c["identifier"] for c in items}
