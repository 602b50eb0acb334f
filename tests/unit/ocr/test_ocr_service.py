"""Use cases and state machine tasks with in-memory fakes (same code as the Lambdas)."""

from __future__ import annotations

import datetime as _dt
import json
import random

import pytest

from einvoice.enrolment.memory import MemoryCompanies, MemoryWorkflow
from einvoice.enrolment.model import CompanyInfo
from einvoice.errors import ConflictError, InvalidInputError, NotFoundError
from einvoice.ocr import document, service, tasks
from einvoice.ocr.memory import FakeEngine, MemoryDocumentStore, MemoryOcrRepository, MemoryReceivedInvoices
from einvoice.tenancy import Tenant
from local import ocr_samples

NOW = _dt.datetime(2026, 12, 2, 9, 0, tzinfo=_dt.timezone.utc)


@pytest.fixture(scope="module")
def sample():
    rng = random.Random(11)
    buyer = ocr_samples.random_party(rng)
    invoice = ocr_samples.random_invoice(rng, buyer=buyer)
    return buyer, invoice, ocr_samples.render(invoice)


def _deps(buyer, invoice, engine=None, known=True):
    companies = MemoryCompanies()
    companies.add("acc", CompanyInfo("co-1", buyer["name"], buyer["siren"], None, True, True, None))
    names = {invoice["seller"]["siren"]: invoice["seller"]["name"]} if known else {}
    from einvoice.archive import MemoryArchive

    class S:
        ocr_engine = "tesseract"
        french_rules_severity = "fatal"

    return service.OcrDeps(repository=MemoryOcrRepository(), store=MemoryDocumentStore(), workflow=MemoryWorkflow(),
                           engine=engine, companies=companies, directory_names=names.get, archive=MemoryArchive(),
                           invoices=MemoryReceivedInvoices(), settings=S(), clock=lambda: NOW)


def _tenant():
    return Tenant(partner_id="p", account_id="acc", api_key_id="k")


def _run(deps, ocr_id):
    event = {"accountId": "acc", "ocrId": ocr_id}
    mode = tasks.prepare(event, deps)["mode"]
    if mode == "ocr":
        tasks.recognise(event, deps)
    elif mode == "async":
        job = tasks.start_analysis(event, deps)
        while job.get("status") != "SUCCEEDED":
            job = tasks.poll_analysis({**event, **job}, deps)
    return mode, tasks.run({**event, "step": "analyse"}, deps)["state"]


def test_text_pdf_flow_review_correct_accept(sample):
    buyer, invoice, pdf = sample
    deps = _deps(buyer, invoice)
    out = service.submit(_tenant(), "co-1", pdf, "application/pdf", deps=deps)
    assert out["state"] == "RUNNING" and deps.workflow.started[0]["payload"] == {"accountId": "acc", "ocrId": out["id"]}
    mode, state = _run(deps, out["id"])
    assert mode == "text" and state == "SUCCEEDED"
    view = service.get(_tenant(), out["id"], deps=deps)
    assert view["fields"]["BT-1"]["value"] == invoice["number"] and view["reader"] == "text"
    # a wrong correction of the total breaks HT + VAT = TTC: the checks flag it, accept refuses
    wrong = str(float(view["fields"]["BT-112"]["value"]) + 10)
    corrected = service.correct(_tenant(), out["id"], {"fields": {"BT-112": wrong}}, deps=deps)
    assert corrected["state"] == "NEEDS_REVIEW"
    assert any("BT-112" in f["fields"] and f["severity"] == "error" for f in corrected["findings"])
    with pytest.raises(ConflictError):
        service.accept(_tenant(), out["id"], deps=deps)
    with pytest.raises(InvalidInputError) as e:
        service.correct(_tenant(), out["id"], {"fields": {"BT-2": "31/02/2026"}}, deps=deps)
    assert e.value.details[0].field == "fields.BT-2"
    back = service.correct(_tenant(), out["id"], {"fields": {"BT-112": view["fields"]["BT-112"]["value"]}}, deps=deps)
    assert back["state"] == "SUCCEEDED"
    accepted = service.accept(_tenant(), out["id"], deps=deps)
    assert accepted["invoiceId"] and set(accepted["documents"]) == {"original", "facturx"}
    created = deps.invoices.created[accepted["invoiceId"]]
    assert created["source"] == "OCR" and created["invoice"].number == invoice["number"]
    assert deps.archive.get(accepted["documents"]["original"]["key"]) == pdf
    assert service.accept(_tenant(), out["id"], deps=deps)["invoiceId"] == accepted["invoiceId"]
    with pytest.raises(ConflictError):
        service.correct(_tenant(), out["id"], {"fields": {"BT-1": "X-1"}}, deps=deps)
    with pytest.raises(NotFoundError):
        service.get(Tenant(partner_id="p", account_id="other", api_key_id="k"), out["id"], deps=deps)


def test_async_engine_path_and_unknown_supplier(sample):
    buyer, invoice, pdf = sample
    pages = document.text_layer(pdf)
    engine = FakeEngine(pages, name="textract", rounds=2)
    deps = _deps(buyer, invoice, engine=engine, known=False)
    import io

    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for _ in range(2):
        w.add_blank_page(595, 842)  # two pages without text: the engine reads them as a job
    buf = io.BytesIO()
    w.write(buf)
    out = service.submit(_tenant(), "co-1", buf.getvalue(), "application/pdf", deps=deps)
    mode, state = _run(deps, out["id"])
    assert mode == "async" and [c[0] for c in engine.calls] == ["start", "poll", "poll"]
    assert state == "NEEDS_REVIEW"
    view = service.get(_tenant(), out["id"], deps=deps)
    assert view["reader"] == "textract" and "OCR-SIREN-UNKNOWN" in {f["rule"] for f in view["findings"]}
    assert PdfReader(io.BytesIO(buf.getvalue())).pages


def test_unreadable_document_fails_without_stack_trace(sample):
    buyer, invoice, _ = sample
    deps = _deps(buyer, invoice, engine=FakeEngine([]))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 30
    from einvoice.errors import BadRequestError

    with pytest.raises(BadRequestError):
        service.submit(_tenant(), "co-1", png, "image/png", deps=deps)  # refused at once (400)
    # a document that only breaks when decoded fails in the state machine, with a plain message
    job = {"id": "j1", "accountId": "acc", "companyId": "co-1", "state": "RUNNING", "contentType": "image/png",
           "kind": "png", "documentKey": "k", "createdAt": "x"}
    deps.repository.create(job)
    deps.store.put("k", png, "image/png")
    with pytest.raises(tasks.DocumentUnreadableError) as e:
        tasks.prepare({"accountId": "acc", "ocrId": "j1"}, deps)
    cause = json.dumps({"errorMessage": str(e.value), "errorType": "DocumentUnreadableError",
                        "stackTrace": ["File x line 1"]})
    tasks.mark_failed({"accountId": "acc", "ocrId": "j1", "error": {"Error": "DocumentUnreadableError", "Cause": cause}}, deps)
    failed = service.get(_tenant(), "j1", deps=deps)
    assert failed["state"] == "FAILED" and failed["error"]["code"] == "DocumentUnreadableError"
    assert "stack" not in json.dumps(failed).lower() and "File x" not in json.dumps(failed)


def test_company_must_have_the_purchase_invoices_option(sample):
    buyer, invoice, pdf = sample
    deps = _deps(buyer, invoice)
    deps.companies.add("acc", CompanyInfo("co-2", "X", "552100554", None, True, False, None))
    with pytest.raises(InvalidInputError) as e:
        service.submit(_tenant(), "co-2", pdf, "application/pdf", deps=deps)
    assert e.value.details[0].rule == "COMPANY_NO_PURCHASE_INVOICES"
