"""OCR through the local REST API: handlers, dispatcher, the real ASL (moto), S3, DynamoDB, Tesseract."""

from __future__ import annotations

import random
import time

import pytest

from local import ocr_samples


def _company(aws, account_id: str, party: dict) -> str:
    from types import SimpleNamespace

    from einvoice.companies.dynamodb import DynamoCompanyRepository
    from einvoice.companies.model import new_company, now_iso

    record = SimpleNamespace(name=party["name"], vat_liable=True, status="A", reception_platform=None)
    company = new_company(account_id=account_id, identifier_type="SIREN", identifier=party["siren"],
                          employees="11-20", purchase_invoices=True, purchase_payment=False, sales_invoices=True,
                          duplicate_control=False, record=record, now=now_iso())
    assert DynamoCompanyRepository.from_settings(aws.settings).create(company) is None
    return company.id


def _wait(api, key, ocr_id, timeout=600.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/v1/invoices/ocr/{ocr_id}", headers=key).json
        if body["state"] != "RUNNING":
            return body
        time.sleep(0.2)
    raise AssertionError("the OCR job is still RUNNING")


@pytest.fixture
def sample():
    rng = random.Random(7)
    buyer = ocr_samples.random_party(rng)
    invoice = ocr_samples.random_invoice(rng, buyer=buyer)
    return buyer, invoice, ocr_samples.render(invoice)


def test_text_pdf_is_read_without_ocr_then_accepted_as_a_received_invoice(api, tenants, aws, sample):
    buyer, invoice, pdf = sample
    key = {"x-api-key": tenants["a"].value}
    company_id = _company(aws, "account-a", buyer)
    resp = api.post(f"/v1/invoices/ocr?companyId={company_id}", data=pdf,
                    headers={**key, "Content-Type": "application/pdf", "Idempotency-Key": "doc-1"})
    assert resp.status_code == 202, resp.json
    ocr_id = resp.json["id"]
    again = api.post(f"/v1/invoices/ocr?companyId={company_id}", data=pdf,
                     headers={**key, "Content-Type": "application/pdf", "Idempotency-Key": "doc-1"})
    assert again.status_code == 202 and again.json["id"] == ocr_id
    body = _wait(api, key, ocr_id)
    assert body["reader"] == "text" and body["pages"] == 1
    fields = body["fields"]
    assert fields["BT-1"]["value"] == invoice["number"]
    assert fields["BT-2"]["value"] == invoice["issueDate"]
    assert fields["BT-30"]["value"] == invoice["seller"]["siren"]
    assert fields["BT-47"]["value"] == buyer["siren"]
    assert 0 < fields["BT-112"]["confidence"] <= 1 and len(fields["BT-112"]["box"]) == 4
    # the seeded directory does not know this made-up supplier: flagged, so the job waits for a review
    assert body["state"] == "NEEDS_REVIEW"
    assert "OCR-SIREN-UNKNOWN" in {f["rule"] for f in body["findings"]}
    refused = api.post(f"/v1/invoices/ocr/{ocr_id}/accept", headers=key)
    assert refused.status_code == 409 and refused.json["code"] == "Conflict"
    # another tenant cannot see it
    assert api.get(f"/v1/invoices/ocr/{ocr_id}", headers={"x-api-key": tenants["b"].value}).status_code == 404
    # the reviewer confirms the supplier: the checks run again
    fixed = api.patch(f"/v1/invoices/ocr/{ocr_id}", json={"fields": {"BT-30": invoice["seller"]["siren"]}},
                      headers=key)
    assert fixed.status_code == 200, fixed.json
    assert fixed.json["fields"]["BT-30"]["source"] == "user"
    bad = api.patch(f"/v1/invoices/ocr/{ocr_id}", json={"fields": {"BT-30": "123456789"}}, headers=key)
    assert bad.status_code == 422 and bad.json["details"][0]["field"] == "fields.BT-30"


def test_bad_documents_get_a_clear_4xx(api, tenants, aws, sample):
    buyer, _, pdf = sample
    key = {"x-api-key": tenants["a"].value}
    company_id = _company(aws, "account-a", buyer)
    url = f"/v1/invoices/ocr?companyId={company_id}"
    cases = [
        ({"Content-Type": "text/plain"}, b"hello", 415, "UnsupportedMediaType"),
        ({"Content-Type": "application/pdf"}, b"", 400, "BadRequest"),
        ({"Content-Type": "application/pdf"}, b"%PDF-1.7\n garbage", 400, "BadRequest"),
        ({"Content-Type": "image/png"}, pdf, 400, "BadRequest"),
        ({"Content-Type": "image/jpeg"}, b"\xff\xd8\xff\xe0" + b"\x00" * 40, 400, "BadRequest"),
    ]
    for headers, body, status, code in cases:
        resp = api.post(url, data=body, headers={**key, **headers})
        assert resp.status_code == status, (headers, resp.json)
        assert resp.json["code"] == code and resp.json["message"] and "Traceback" not in resp.get_data(as_text=True)
    unknown = api.post("/v1/invoices/ocr?companyId=nope", data=pdf, headers={**key, "Content-Type": "application/pdf"})
    assert unknown.status_code == 422 and unknown.json["details"][0]["field"] == "companyId"


def test_scan_is_recognised_by_tesseract(api, tenants, aws, sample):
    buyer, invoice, pdf = sample
    key = {"x-api-key": tenants["a"].value}
    company_id = _company(aws, "account-a", buyer)
    jpeg = ocr_samples.scan(pdf, dpi=200, angle=1.5, seed=1)
    resp = api.post(f"/v1/invoices/ocr?companyId={company_id}", data=jpeg,
                    headers={**key, "Content-Type": "image/jpeg"})
    assert resp.status_code == 202, resp.json
    body = _wait(api, key, resp.json["id"])
    assert body["reader"] == "tesseract", body
    assert body["fields"]["BT-1"]["value"] == invoice["number"]
    assert body["fields"]["BT-31"]["value"] == invoice["seller"]["vatId"]


def _in_directory(aws, siren: str, name: str) -> None:
    import boto3

    from einvoice.directory.cache import reset_directory_cache
    from einvoice.directory.models import LegalUnit
    from einvoice.directory.table import legal_unit_item

    reset_directory_cache()  # the per-container cache may remember an earlier "unknown" (60 s)
    boto3.client("dynamodb", region_name=aws.settings.region).put_item(
        TableName=aws.settings.directory_table, Item=legal_unit_item(LegalUnit(siren, name, True)))


def test_accept_generates_valid_facturx_archived_beside_the_original(api, tenants, aws, sample):


    from einvoice.archive import S3ObjectLockArchive
    from einvoice.validation import validate

    buyer, invoice, pdf = sample
    key = {"x-api-key": tenants["a"].value}
    company_id = _company(aws, "account-a", buyer)
    _in_directory(aws, invoice["seller"]["siren"], invoice["seller"]["name"])
    resp = api.post(f"/v1/invoices/ocr?companyId={company_id}", data=pdf, headers={**key, "Content-Type": "application/pdf"})
    body = _wait(api, key, resp.json["id"])
    assert body["state"] == "SUCCEEDED", body["findings"]
    accepted = api.post(f"/v1/invoices/ocr/{body['id']}/accept", headers=key)
    assert accepted.status_code == 200, [(d["rule"], d["message"][:150]) for d in accepted.json["details"]]
    out = accepted.json
    assert out["invoiceId"] and set(out["documents"]) == {"original", "facturx"}
    again = api.post(f"/v1/invoices/ocr/{body['id']}/accept", headers=key)
    assert again.status_code == 200 and again.json["invoiceId"] == out["invoiceId"]
    archive = S3ObjectLockArchive(aws.settings.archive_bucket)
    assert archive.get(out["documents"]["original"]["key"]) == pdf
    facturx = archive.get(out["documents"]["facturx"]["key"])
    assert validate(facturx).verdict == "valid"
    # the received invoice takes the reception's path (einvoice.reception): it appears once that ran
    deadline = time.monotonic() + 60
    while (got := api.get(f"/v1/invoices/{out['invoiceId']}", headers=key)).status_code == 404:
        assert time.monotonic() < deadline, "the reception did not record the OCR invoice"
        time.sleep(0.1)
    assert got.status_code == 200, got.json
    view = got.json
    assert (view["direction"], view["source"], view["state"]) == ("received", "OCR", "DONE")
    assert [s["code"] for s in view["statusHistory"]] == ["202", "203"] and view["invoice"]["number"] == invoice["number"]
    assert view["archive"]  # archived and sealed by the reception, like every received invoice
    assert view["invoice"]["totals"]["payable"]
