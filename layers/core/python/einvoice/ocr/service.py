"""OCR use cases called by the API: submit a document, read the result, correct it, accept it.

Every function takes the caller's ``Tenant`` first (reads and writes are scoped by its account)
and an optional ``deps`` (``OcrDeps``) so tests inject fakes; by default the AWS adapters are
built lazily from ``get_settings()``.

States: ``RUNNING`` (the state machine reads the document) -> ``SUCCEEDED`` (every required field
sure, no failed cross-check) or ``NEEDS_REVIEW``; ``FAILED`` when the document cannot be read.
A PATCH re-runs the checks on the corrected values (and may move NEEDS_REVIEW <-> SUCCEEDED);
``accept`` (only from SUCCEEDED) generates the Factur-X, validates it, archives it beside the
original and records the received invoice, whose id the job then shows.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from einvoice.errors import ConflictError, ErrorDetail, InvalidInputError, NotFoundError, UpstreamUnavailableError
from einvoice.tenancy import Tenant

RUNNING, NEEDS_REVIEW, SUCCEEDED, FAILED = "RUNNING", "NEEDS_REVIEW", "SUCCEEDED", "FAILED"
SOURCE = "OCR"
ORIGINAL_KIND = "ocr-original"
FACTURX_KIND = "received-facturx"


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def iso(d: _dt.datetime) -> str:
    return d.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class OcrDeps:
    """The collaborators of the OCR area. Anything left ``None`` is built lazily."""

    repository: Any = None
    store: Any = None
    workflow: Any = None
    engine: Any = None
    companies: Any = None
    directory_names: Any = None
    archive: Any = None
    invoices: Any = None
    settings: Any = None
    clock: Callable[[], _dt.datetime] = field(default=utcnow)

    def __post_init__(self) -> None:
        if self.settings is None:
            from einvoice.settings import get_settings

            self.settings = get_settings()
        s = self.settings
        if self.repository is None or self.companies is None:
            from einvoice.adapters.aws.clients import table

            if self.repository is None:
                from einvoice.ocr.adapters import DynamoOcrRepository

                self.repository = DynamoOcrRepository(table(s.data_table, s))
            if self.companies is None:
                from einvoice.enrolment.adapters import DynamoCompanyAdapter

                self.companies = DynamoCompanyAdapter(table(s.data_table, s))
        if self.store is None:
            from einvoice.ocr.adapters import S3DocumentStore

            self.store = S3DocumentStore(s.drop_bucket)
        if self.workflow is None:
            from einvoice.enrolment.adapters import StepFunctionsWorkflow

            self.workflow = StepFunctionsWorkflow(s.ocr_state_machine_arn)
        if self.directory_names is None:
            from einvoice.ocr.adapters import DirectoryNameAdapter

            self.directory_names = DirectoryNameAdapter(s)
        if self.archive is None:
            from einvoice.archive import S3ObjectLockArchive

            self.archive = S3ObjectLockArchive(s.archive_bucket)
        if self.invoices is None:
            from einvoice.ocr.adapters import InvoicingReceivedInvoices

            self.invoices = InvoicingReceivedInvoices(s)

    def get_engine(self) -> Any:
        if self.engine is None:
            from einvoice.ocr.pipeline import engine_for

            self.engine = engine_for(self.settings.ocr_engine)
        return self.engine


_default: OcrDeps | None = None


def default_deps() -> OcrDeps:
    global _default
    if _default is None:
        _default = OcrDeps()
    return _default


def reset_default_deps() -> None:
    global _default
    _default = None


def document_key(account_id: str, ocr_id: str) -> str:
    return f"uploads/ocr/{account_id}/{ocr_id}/document"


def pages_key(account_id: str, ocr_id: str) -> str:
    return f"uploads/ocr/{account_id}/{ocr_id}/pages.json"


def _detail(message: str, field_: str, rule: str, message_fr: str, **extra: Any) -> ErrorDetail:
    return ErrorDetail(message, field=field_, rule=rule, message_fr=message_fr, extra=extra)


def _company(deps: OcrDeps, account_id: str, company_id: Any) -> Any:
    if not isinstance(company_id, str) or not company_id.strip():
        raise InvalidInputError("companyId is required", [
            _detail("companyId is required", "companyId", "REQUIRED", "companyId est obligatoire")])
    info = deps.companies.get_companies(account_id, [company_id]).get(company_id)
    if info is None:
        raise InvalidInputError(f"Unknown company {company_id}", [
            _detail(f"Unknown company {company_id}", "companyId", "COMPANY_NOT_FOUND", "Entreprise inconnue")])
    if not info.purchase_invoices:
        raise InvalidInputError("The company does not have the purchase invoices option", [
            _detail("The company does not have the purchase invoices option", "companyId",
                    "COMPANY_NO_PURCHASE_INVOICES", "L'entreprise n'a pas l'option factures d'achat")])
    return info


def submit(tenant: Tenant, company_id: Any, data: bytes, content_type: str | None, *,
           deps: OcrDeps | None = None) -> dict[str, str]:
    """Check the document, keep a working copy and start the state machine: ``{id, state}`` (202).

    Errors: 415 content type, 400 empty/corrupt/mismatching body, 413 too large or too many pages,
    422 unknown company or no purchase-invoices option, 503 when the state machine cannot be started.
    Retries are the route's business (``Idempotency-Key`` through Powertools Idempotency).
    """
    from einvoice.ocr import document

    deps = deps or default_deps()
    account_id = tenant.account_pk.split("#", 1)[1]
    kind = document.check_input(data, content_type)
    _company(deps, account_id, company_id)
    document.light_check(data, kind)
    sha = hashlib.sha256(data).hexdigest()
    ocr_id = uuid.uuid4().hex[:24]
    now = iso(deps.clock())
    key = document_key(account_id, ocr_id)
    deps.store.put(key, data, (content_type or "").split(";")[0].strip().lower())
    job = {"id": ocr_id, "accountId": account_id, "companyId": company_id, "state": RUNNING,
           "contentType": (content_type or "").split(";")[0].strip().lower(), "kind": kind, "documentKey": key,
           "sha256": sha, "size": len(data), "createdAt": now, "updatedAt": now}
    if not deps.repository.create(job):
        raise ConflictError("OCR job id collision, try again", [
            _detail("OCR job id collision", "id", "OCR-ID", "collision d'identifiant, réessayez")])
    try:
        arn = deps.workflow.start(name=ocr_id, payload={"accountId": account_id, "ocrId": ocr_id})
    except Exception as exc:  # noqa: BLE001 - the workflow is unreachable: the job must not stay RUNNING
        deps.repository.update(account_id, ocr_id, {"state": FAILED, "updatedAt": now, "error": {
            "code": "WorkflowUnavailable", "message": "The reading could not be started"}})
        raise UpstreamUnavailableError("The document could not be processed; try again later") from exc
    deps.repository.update(account_id, ocr_id, {"executionArn": arn})
    return {"id": ocr_id, "state": RUNNING}


def _load(deps: OcrDeps, tenant: Tenant, ocr_id: str) -> dict[str, Any]:
    account_id = tenant.account_pk.split("#", 1)[1]
    job = deps.repository.get(account_id, ocr_id) if isinstance(ocr_id, str) and ocr_id else None
    if job is None:
        raise NotFoundError("Unknown OCR job", [_detail("Unknown OCR job", "id", "NOT_FOUND", "Océrisation inconnue")])
    return job


def view(job: dict[str, Any]) -> dict[str, Any]:
    result = job.get("result") or {}
    return {"id": job["id"], "state": job["state"], "companyId": job["companyId"],
            "contentType": job.get("contentType", ""), "pages": job.get("pages"), "reader": job.get("reader"),
            "fields": result.get("fields", {}), "vatBreakdown": result.get("vatBreakdown", []),
            "lines": result.get("lines", []), "findings": result.get("findings", []),
            "invoiceId": job.get("invoiceId"), "documents": job.get("documents"), "error": job.get("error"),
            "createdAt": job["createdAt"], "updatedAt": job.get("updatedAt") or job["createdAt"]}


def get(tenant: Tenant, ocr_id: str, *, deps: OcrDeps | None = None) -> dict[str, Any]:
    deps = deps or default_deps()
    return view(_load(deps, tenant, ocr_id))


def context_for(deps: OcrDeps, job: dict[str, Any]) -> Any:
    from einvoice.ocr.extract import Context

    info = deps.companies.get_companies(job["accountId"], [job["companyId"]]).get(job["companyId"])
    return Context(company_siren=getattr(info, "siren", None), company_name=getattr(info, "name", None),
                   directory_name=deps.directory_names, today=deps.clock().date())


def load_pages(deps: OcrDeps, job: dict[str, Any]) -> list[Any]:
    import json

    from einvoice.ocr.layout import Page

    raw = json.loads(deps.store.get(pages_key(job["accountId"], job["id"])))
    return [Page.from_json(p) for p in raw]


def analyse_job(deps: OcrDeps, job: dict[str, Any], corrections: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run extraction + cross-checks on the stored pages; returns ``{"state", "result"}``."""
    from einvoice.ocr.pipeline import analyse

    res = analyse(load_pages(deps, job), context_for(deps, job), corrections=corrections)
    out = res.to_json()
    return {"state": NEEDS_REVIEW if res.needs_review else SUCCEEDED, "result": out}


def correct(tenant: Tenant, ocr_id: str, body: dict[str, Any], *, deps: OcrDeps | None = None) -> dict[str, Any]:
    """Apply a reviewer's corrections (merged with earlier ones) and re-run the checks.

    409 while RUNNING, after FAILED or once accepted; 422 naming a value that does not parse.
    """
    from einvoice.ocr.extract import CorrectionError

    deps = deps or default_deps()
    job = _load(deps, tenant, ocr_id)
    if job["state"] not in (NEEDS_REVIEW, SUCCEEDED) or job.get("invoiceId"):
        raise ConflictError(f"The OCR job is {job['state']}" + (" and accepted" if job.get("invoiceId") else ""), [
            _detail("The result cannot be corrected in this state", "state", "OCR_STATE",
                    "Le résultat ne peut pas être corrigé dans cet état", state=job["state"])])
    merged = dict(job.get("corrections") or {})
    merged["fields"] = {**(merged.get("fields") or {}), **(body.get("fields") or {})}
    for k in ("vatBreakdown", "lines", "businessProcess"):
        if body.get(k) is not None:
            merged[k] = body[k]
    try:
        analysed = analyse_job(deps, job, merged)
    except CorrectionError as exc:
        raise InvalidInputError(str(exc), [_detail(str(exc), exc.field, "OCR_CORRECTION", "Valeur corrigée invalide")]) \
            from None
    changes = {"state": analysed["state"], "result": analysed["result"], "corrections": merged,
               "updatedAt": iso(deps.clock())}
    if not deps.repository.update(job["accountId"], job["id"], changes, only_from=(NEEDS_REVIEW, SUCCEEDED)):
        raise ConflictError("The OCR job changed meanwhile; read it again", [])
    return view(_load(deps, tenant, ocr_id))


def accept(tenant: Tenant, ocr_id: str, *, deps: OcrDeps | None = None) -> dict[str, Any]:
    """Generate, validate and archive the Factur-X; record the received invoice (idempotent).

    409 unless SUCCEEDED (NEEDS_REVIEW: correct the flagged fields first). When the generated
    invoice fails the platform's validation, the job goes back to NEEDS_REVIEW with the rule ids as
    findings and the call answers 422.
    """
    deps = deps or default_deps()
    job = _load(deps, tenant, ocr_id)
    if job.get("invoiceId"):
        return view(job)
    if job["state"] != SUCCEEDED:
        raise ConflictError(f"The OCR job is {job['state']}: only a SUCCEEDED result can be accepted", [
            _detail("Review and correct the flagged fields first", "state", "OCR_STATE",
                    "Vérifiez et corrigez d'abord les champs signalés", state=job["state"],
                    findings=[f["rule"] for f in (job.get("result") or {}).get("findings", [])])])
    invoice, facturx, failures = generate(deps, job)
    if failures:
        result = dict(job["result"])
        result["findings"] = [f for f in result.get("findings", []) if f.get("rule") != "OCR-FACTURX"] + [
            {"rule": "OCR-FACTURX", "fields": [], "severity": "error", "message": f["message"],
             "messageFr": f["message"], "ruleId": f["rule"]} for f in failures]
        deps.repository.update(job["accountId"], job["id"], {"state": NEEDS_REVIEW, "result": result,
                                                             "updatedAt": iso(deps.clock())}, only_from=(SUCCEEDED,))
        raise InvalidInputError("The generated Factur-X is not valid; the result needs a review", [
            _detail(f["message"], "fields", f["rule"], f["message"]) for f in failures[:50]])
    meta = {"ocr-id": job["id"], "account-id": job["accountId"]}
    original = deps.archive.put(deps.store.get(job["documentKey"]), kind=ORIGINAL_KIND,
                                content_type=job.get("contentType") or "application/octet-stream", metadata=meta)
    archived = deps.archive.put(facturx, kind=FACTURX_KIND, content_type="application/pdf", metadata=meta)
    documents = {"original": original.to_dict(), "facturx": archived.to_dict()}
    invoice_id = deps.invoices.create_received(account_id=job["accountId"], company_id=job["companyId"],
                                               invoice=invoice, documents=documents, source=SOURCE, reference=job["id"])
    deps.repository.update(job["accountId"], job["id"], {"invoiceId": invoice_id, "documents": documents,
                                                         "updatedAt": iso(deps.clock())}, only_from=(SUCCEEDED,))
    return view(_load(deps, tenant, ocr_id))


def generate(deps: OcrDeps, job: dict[str, Any]) -> tuple[Any, bytes, list[dict[str, str]]]:
    """(invoice, Factur-X bytes, failures): the failures are the platform validation's fatal findings
    (XSD, EN 16931, BR-FR) and what the model refuses; empty when the document is valid."""
    from pydantic import ValidationError

    from einvoice.invoicing import calc
    from einvoice.invoicing.model import Invoice
    from einvoice.invoicing.service import render_invoice
    from einvoice.ocr.build import invoice_json
    from einvoice.validation import validate

    rows = [r.text for p in load_pages(deps, job) for r in p.rows]
    try:
        data = invoice_json(job["result"], text_rows=rows,
                            business_process=(job.get("corrections") or {}).get("businessProcess") or "M1")
        invoice = calc.compute(Invoice.model_validate(data))
    except (ValueError, ValidationError) as exc:
        return None, b"", [{"rule": "OCR-MODEL", "message": str(exc).splitlines()[0][:300]}]
    facturx = render_invoice(invoice, "facturx", "en16931")
    report = validate(facturx, filename=f"{job['id']}.pdf", french_rules_severity=deps.settings.french_rules_severity)
    failures = [{"rule": f.rule_id, "message": f.message[:300]} for f in report.findings if f.severity == "fatal"]
    if report.verdict != "valid" and not failures:
        failures = [{"rule": "VALIDATION", "message": f"validation verdict {report.verdict}"}]
    return invoice, facturx, failures
