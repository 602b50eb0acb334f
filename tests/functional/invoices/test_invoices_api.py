"""The invoicing API through the local API Gateway: drafts, documents, validations, conversions."""

import copy

import pytest

from tests.unit.invoicing.model_samples import BUYER_SIREN, SELLER_SIREN, sample_body

DIRECTORY = (
    "siren;siret;name;establishment;city;vat_liable;status;reception_platform\n"
    f"{SELLER_SIREN};{SELLER_SIREN}00074;Vendeur SAS;siège;Paris;1;active;\n"
    f"{BUYER_SIREN};{BUYER_SIREN}00016;Acheteur SARL;siège;Lyon;1;active;0238:PA-0042\n"
)


@pytest.fixture
def company(aws, tenants):
    from einvoice.accounts.service import resolve_tenant
    from einvoice.companies.service import create_company
    from einvoice.directory.loader import load_csv

    load_csv(DIRECTORY.encode())
    tenant = resolve_tenant(tenants["a"].api_key_id)
    body = {"identifierType": "SIREN", "identifier": SELLER_SIREN, "employees": "11-20", "purchaseInvoices": True,
            "purchasePayment": False, "salesInvoices": True, "duplicateControl": True}
    return create_company(tenant, body)


def _headers(tenants, who="a", **extra):
    return {"x-api-key": tenants[who].value, **extra}


def test_create_get_and_documents(api, tenants, company):
    resp = api.post("/v1/invoices", json={"companyId": company.id, "invoice": sample_body()}, headers=_headers(tenants))
    assert resp.status_code == 201, resp.json
    draft = resp.json
    assert draft["state"] == "DRAFT" and draft["number"] == "F2026-0001"
    assert draft["totals"]["payable"] == draft["invoice"]["totals"]["payable"]
    assert draft["totals"]["taxInclusive"]
    again = api.post("/v1/invoices", json={"companyId": company.id, "invoice": sample_body()}, headers=_headers(tenants))
    assert again.status_code == 201 and again.json["id"] == draft["id"], "retries are idempotent"

    got = api.get(f"/v1/invoices/{draft['id']}", headers=_headers(tenants))
    assert got.status_code == 200 and got.json["invoice"] == draft["invoice"]
    assert api.get(f"/v1/invoices/{draft['id']}", headers=_headers(tenants, "b")).status_code == 404

    pdf = api.get(f"/v1/invoices/{draft['id']}/document?format=facturx", headers=_headers(tenants))
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
    assert pdf.headers["Content-Type"] == "application/pdf"
    cii = api.get(f"/v1/invoices/{draft['id']}/document?format=cii", headers=_headers(tenants))
    assert b"CrossIndustryInvoice" in cii.data
    ubl = api.get(f"/v1/invoices/{draft['id']}/document?format=ubl", headers=_headers(tenants))
    assert b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" in ubl.data
    assert api.get(f"/v1/invoices/{draft['id']}/document?format=doc", headers=_headers(tenants)).status_code == 422

    # the generated Factur-X passes the three validation layers through the API
    report = api.post("/v1/validations", data=pdf.data, headers=_headers(tenants, **{"content-type": "application/pdf"}))
    assert report.status_code == 200
    assert report.json["verdict"] == "valid", report.json["findings"]


def test_missing_mentions_are_422_with_rule_ids(api, tenants, company):
    body = sample_body()
    body["notes"] = [n for n in body["notes"] if n["subjectCode"] != "PMT"]
    del body["buyer"]["siren"]
    resp = api.post("/v1/invoices", json={"companyId": company.id, "invoice": body}, headers=_headers(tenants))
    assert resp.status_code == 422
    rules = {d.get("rule") for d in resp.json["details"]}
    assert any(r and r.startswith("BR-FR") for r in rules), resp.json
    assert all("field" in d for d in resp.json["details"])


def test_duplicate_number_with_other_content_is_409(api, tenants, company):
    body = sample_body()
    assert api.post("/v1/invoices", json={"companyId": company.id, "invoice": body}, headers=_headers(tenants)).status_code == 201
    changed = copy.deepcopy(body)
    changed["lines"][0]["quantity"] = "4"
    resp = api.post("/v1/invoices", json={"companyId": company.id, "invoice": changed}, headers=_headers(tenants))
    assert resp.status_code == 409 and resp.json["code"] == "Conflict"


def test_seller_must_be_the_company(api, tenants, company):
    body = sample_body()
    body["seller"]["siren"], body["buyer"]["siren"] = BUYER_SIREN, SELLER_SIREN
    resp = api.post("/v1/invoices", json={"companyId": company.id, "invoice": body}, headers=_headers(tenants))
    assert resp.status_code == 422
    assert any(d["field"] == "invoice.seller.siren" for d in resp.json["details"])


def test_other_tenants_company_is_404(api, tenants, company):
    resp = api.post("/v1/invoices", json={"companyId": company.id, "invoice": sample_body()}, headers=_headers(tenants, "b"))
    assert resp.status_code == 404


def test_conversion_and_bad_documents(api, tenants, company):
    draft = api.post("/v1/invoices", json={"companyId": company.id, "invoice": sample_body()}, headers=_headers(tenants)).json
    cii = api.get(f"/v1/invoices/{draft['id']}/document?format=cii", headers=_headers(tenants)).data
    ubl = api.post("/v1/conversions?to=ubl", data=cii, headers=_headers(tenants, **{"content-type": "application/xml"}))
    assert ubl.status_code == 200 and b"<Invoice" in ubl.data or b":Invoice" in ubl.data
    back = api.post("/v1/conversions?to=cii", data=ubl.data, headers=_headers(tenants, **{"content-type": "application/xml"}))
    assert back.status_code == 200 and b"CrossIndustryInvoice" in back.data
    bad = api.post("/v1/validations", data=b"not xml at all", headers=_headers(tenants, **{"content-type": "application/xml"}))
    assert bad.status_code == 400 and bad.json["code"] == "BadRequest"
    assert api.post("/v1/validations", data=b"", headers=_headers(tenants)).status_code == 400
    assert api.post("/v1/conversions?to=pdf", data=cii, headers=_headers(tenants)).status_code == 422
