"""Every create route is idempotent on the Idempotency-Key header (Powertools Idempotency, moto table)."""

import time

import pytest

from tests.functional.companies.companies_testdata import ACTIVE, DIRECTORY_CSV, EXTRA
from tests.unit.invoicing.model_samples import SELLER_SIREN, sample_body

INVOICE_DIRECTORY = (
    "siren;siret;name;establishment;city;vat_liable;status;reception_platform\n"
    f"{SELLER_SIREN};{SELLER_SIREN}00074;Vendeur SAS;siège;Paris;1;active;\n"
)


@pytest.fixture
def directory(aws):
    from einvoice.directory.cache import reset_directory_cache
    from einvoice.directory.loader import load_csv

    reset_directory_cache()
    load_csv(DIRECTORY_CSV)
    load_csv(INVOICE_DIRECTORY.encode())
    yield
    reset_directory_cache()


def _h(tenants, who="a", key=None, **extra):
    headers = {"x-api-key": tenants[who].value, **extra}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def _company(identifier=ACTIVE, **options):
    body = {"identifierType": "SIREN", "identifier": identifier, "employees": "11-20", "purchaseInvoices": True,
            "purchasePayment": False, "salesInvoices": True, "duplicateControl": False}
    body.update(options)
    return body


def _count(api, tenants, who="a"):
    return len(api.get("/v1/companies?limit=100", headers=_h(tenants, who)).json["items"])


def test_same_key_same_body_returns_the_stored_answer(api, tenants, directory):
    first = api.post("/v1/companies", json=_company(), headers=_h(tenants, key="k-1"))
    again = api.post("/v1/companies", json=_company(), headers=_h(tenants, key="k-1"))
    assert first.status_code == again.status_code == 201, (first.json, again.json)
    assert again.json == first.json
    assert _count(api, tenants) == 1


def test_same_key_other_body_is_409_in_the_error_body(api, tenants, directory):
    assert api.post("/v1/companies", json=_company(), headers=_h(tenants, key="k-2")).status_code == 201
    other = api.post("/v1/companies", json=_company(EXTRA[0]), headers=_h(tenants, key="k-2"))
    assert other.status_code == 409
    assert other.json["code"] == "IdempotencyKeyConflict"
    assert set(other.json) == {"code", "message", "details", "requestId"}
    assert other.json["details"][0]["field"] == "header.Idempotency-Key"
    assert _count(api, tenants) == 1, "another SIREN under a used key creates nothing"


def test_keys_are_scoped_by_tenant(api, tenants, directory):
    a = api.post("/v1/companies", json=_company(), headers=_h(tenants, "a", key="shared"))
    b = api.post("/v1/companies", json=_company(), headers=_h(tenants, "b", key="shared"))
    assert a.status_code == b.status_code == 201
    assert a.json["id"] != b.json["id"] and a.json["accountId"] != b.json["accountId"]


def test_a_failed_call_stores_nothing(api, tenants, directory):
    bad = api.post("/v1/companies", json=_company("123456789"), headers=_h(tenants, key="k-3"))
    assert bad.status_code == 422
    again = api.post("/v1/companies", json=_company("123456789"), headers=_h(tenants, key="k-3"))
    assert again.status_code == 422, "an error answer is not replayed as a success"


def test_malformed_key_is_422_naming_the_header(api, tenants, directory):
    resp = api.post("/v1/companies", json=_company(), headers=_h(tenants, key="x" * 200))
    assert resp.status_code == 422 and resp.json["details"][0]["field"] == "header.Idempotency-Key"
    assert _count(api, tenants) == 0


def test_records_expire_after_24_hours(api, tenants, directory, aws):
    from einvoice.adapters.aws.clients import client

    before = int(time.time())
    assert api.post("/v1/companies", json=_company(), headers=_h(tenants, key="k-ttl")).status_code == 201
    items = client("dynamodb").scan(TableName=aws.settings.idempotency_table)["Items"]
    assert len(items) == 1
    expiration = int(items[0]["expiration"]["N"])
    assert before + 24 * 3600 <= expiration <= int(time.time()) + 24 * 3600 + 5
    assert items[0]["status"]["S"] == "COMPLETED"


def test_imports_enrolments_and_invoices_are_idempotent(api, tenants, directory):
    csv = f"SIREN;{EXTRA[1]};1-10;1;0;1;0\n".encode()
    headers = _h(tenants, key="imp-1", **{"content-type": "text/csv"})
    first = api.post("/v1/companies/imports?header=false", data=csv, headers=headers)
    again = api.post("/v1/companies/imports?header=false", data=csv, headers=headers)
    assert first.status_code == again.status_code == 202 and again.json["id"] == first.json["id"]
    other = api.post("/v1/companies/imports?header=false", data=csv + b"SIREN;123;1-10;1;0;1;0\n", headers=headers)
    assert other.status_code == 409 and other.json["code"] == "IdempotencyKeyConflict"

    company = api.post("/v1/companies", json=_company(), headers=_h(tenants)).json
    enrol = {"companyIds": [company["id"]], "acceptTerms": True,
             "signatory": {"firstName": "Jeanne", "lastName": "Dupont", "role": "Gérante", "email": "j@example.fr"}}
    e1 = api.post("/v1/enrolments", json=enrol, headers=_h(tenants, key="enr-1"))
    e2 = api.post("/v1/enrolments", json=enrol, headers=_h(tenants, key="enr-1"))
    assert e1.status_code == e2.status_code == 202 and e1.json == e2.json
    enrol["signatory"]["role"] = "Présidente"
    assert api.post("/v1/enrolments", json=enrol, headers=_h(tenants, key="enr-1")).status_code == 409

    seller = api.post("/v1/companies", json=_company(SELLER_SIREN), headers=_h(tenants)).json
    invoice = {"companyId": seller["id"], "invoice": sample_body()}
    i1 = api.post("/v1/invoices", json=invoice, headers=_h(tenants, key="inv-1"))
    i2 = api.post("/v1/invoices", json=invoice, headers=_h(tenants, key="inv-1"))
    assert i1.status_code == i2.status_code == 201 and i1.json == i2.json
    invoice["invoice"]["number"] = "F2026-0002"
    assert api.post("/v1/invoices", json=invoice, headers=_h(tenants, key="inv-1")).status_code == 409
