"""Transmission use cases called by the API: issue a draft, deposit a file, read the archive.

Every function takes the caller's ``Tenant`` first and an optional ``deps`` (``TransmissionDeps``)
so tests inject fakes; by default the AWS adapters are built lazily from ``get_settings()``.

Idempotency: the transmission id is derived from the invoice, and ``start_transmission`` is a
conditional write, so issuing the same invoice again (with or without the same
``Idempotency-Key``) returns the same transmission; a deposited file's id is derived from its
SHA-256, so the same file again returns the same record (a rejected one is refused again).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from einvoice.errors import (
    ConflictError,
    ErrorDetail,
    InvalidInputError,
    UpstreamUnavailableError,
)
from einvoice.invoicing.records import (
    DONE,
    DRAFT,
    REJECTED,
    SENT,
    SOURCE_FILE,
    StatusEvent,
    iso,
    utcnow,
)
from einvoice.tenancy import Tenant

FILE_TYPES = {"facturx": ("application/pdf", "pdf"), "cii": ("application/xml", "xml"),
              "ubl": ("application/xml", "xml")}
STATUS_EVENT = "InvoiceStatusChanged"


class InvoiceRejectedError(InvalidInputError):
    """A deposited file failed the checks or repeats an invoice: kept with status 213 and refused (422)."""

    code = "InvoiceRejected"


@dataclass
class TransmissionDeps:
    """The collaborators of the transmission domain. Anything left ``None`` is built lazily."""

    repository: Any = None
    companies: Any = None
    directory: Any = None
    registry: Any = None
    flow_client: Any = None
    reception: Any = None
    ppf: Any = None
    events: Any = None
    workflow: Any = None
    queue: Any = None
    archive: Any = None
    staging: Any = None
    sealer: Any = None
    settings: Any = None
    clock: Callable[[], datetime] = field(default=utcnow)
    flux6: Any = None  # lifecycle PpfQueue: mandatory statuses for the PPF
    status_queue: Any = None  # statuses for other platforms (SQS)

    def __post_init__(self) -> None:
        from einvoice.adapters.aws.clients import table

        if self.settings is None:
            from einvoice.settings import get_settings

            self.settings = get_settings()
        s = self.settings
        if self.repository is None:
            from einvoice.invoicing.dynamodb import DynamoInvoiceRepository

            self.repository = DynamoInvoiceRepository(table(s.data_table, s))
        if self.companies is None:
            from einvoice.transmission.adapters import DynamoCompanyLookup

            self.companies = DynamoCompanyLookup(table(s.data_table, s))
        if self.registry is None:
            from einvoice.transmission.registry import TablePlatformRegistry

            self.registry = TablePlatformRegistry(table(s.directory_table, s))
        if self.reception is None:
            from einvoice.transmission.reception import InternalReception

            self.reception = InternalReception(self.companies)

    # ---- collaborators that pull in heavier clients: built on first use -----------------------
    def get_directory(self) -> Any:
        if self.directory is None:
            from einvoice.directory.cache import get_directory

            self.directory = get_directory(self.settings)
        return self.directory

    def get_flow_client(self) -> Any:
        if self.flow_client is None:
            from einvoice.transmission.flow_api import AfnorFlowClient
            from einvoice.transmission.registry import SsmSecrets

            self.flow_client = AfnorFlowClient(SsmSecrets(), timeout=self.settings.peer_timeout_seconds)
        return self.flow_client

    def get_ppf(self) -> Any:
        if self.ppf is None:
            from einvoice.transmission.adapters import S3PpfOutbox

            self.ppf = S3PpfOutbox(self.settings.outbox_bucket)
        return self.ppf

    def get_flux6(self) -> Any:
        if self.flux6 is None:
            from einvoice.lifecycle.ppf import S3PpfStatusOutbox

            self.flux6 = S3PpfStatusOutbox(self.settings.outbox_bucket)
        return self.flux6

    def get_status_queue(self) -> Any:
        if self.status_queue is None:
            from einvoice.transmission.adapters import SqsRedeliveryQueue

            self.status_queue = SqsRedeliveryQueue(self.settings.status_queue_url)
        return self.status_queue

    def get_events(self) -> Any:
        if self.events is None:
            from einvoice.transmission.adapters import EventBridgePublisher

            self.events = EventBridgePublisher(self.settings.event_bus_name)
        return self.events

    def get_workflow(self) -> Any:
        if self.workflow is None:
            from einvoice.enrolment.adapters import StepFunctionsWorkflow

            self.workflow = StepFunctionsWorkflow(self.settings.transmission_state_machine_arn)
        return self.workflow

    def get_queue(self) -> Any:
        if self.queue is None:
            from einvoice.transmission.adapters import SqsRedeliveryQueue

            self.queue = SqsRedeliveryQueue(self.settings.redelivery_queue_url)
        return self.queue

    def get_archive(self) -> Any:
        if self.archive is None:
            from einvoice.transmission.archiving import S3InvoiceArchive

            self.archive = S3InvoiceArchive(self.settings.archive_bucket)
        return self.archive

    def get_staging(self) -> Any:
        if self.staging is None:
            from einvoice.transmission.adapters import S3Staging

            self.staging = S3Staging(self.settings.drop_bucket)
        return self.staging

    def get_sealer(self) -> Any:
        if self.sealer is None:
            from einvoice import seal

            self.sealer = seal.default_sealer(self.settings)
        return self.sealer

    def now(self) -> str:
        return iso(self.clock())


_default: TransmissionDeps | None = None


def default_deps() -> TransmissionDeps:
    """The per-container composition root (cached)."""
    global _default
    if _default is None:
        _default = TransmissionDeps()
    return _default


def reset_default_deps() -> None:
    global _default
    _default = None


# ---- helpers shared with the tasks ---------------------------------------------------------------
def transmission_id_for(account_id: str, invoice_id: str) -> str:
    return "tx_" + hashlib.sha256(f"{account_id}|{invoice_id}".encode()).hexdigest()[:24]


def status_event(record: Any, event: StatusEvent) -> dict[str, Any]:
    """The EventBridge event of a status change (``eventId`` lets consumers de-duplicate)."""
    return {"type": STATUS_EVENT, "detail": {
        "eventId": f"{record.id}:{event.key[2:]}", "accountId": record.account_id, "invoiceId": record.id,
        "companyId": record.company_id, "direction": record.direction, "number": record.number,
        "transmissionId": record.transmission_id, "status": event.to_public(),
    }}


def _account(tenant: Tenant) -> str:
    return tenant.account_pk.split("#", 1)[1]


def _company(deps: TransmissionDeps, account_id: str, company_id: str) -> Any:
    from einvoice.errors import NotFoundError

    company = deps.companies.get(account_id, company_id)
    if company is None:
        raise NotFoundError(f"company {company_id} not found", [
            ErrorDetail("unknown company", field="companyId", rule="NOT_FOUND", message_fr="entreprise inconnue")])
    return company


def _check_issuer(company: Any, invoice: Any) -> None:
    """The company issues this invoice: sales-invoices option, seller (or self-billing buyer) is the company."""
    from einvoice.invoicing.service import company_matches

    details = []
    if not company.sales_invoices and not (invoice.is_self_billed and company.purchase_invoices):
        details.append(ErrorDetail("The company does not have the sales invoices option", field="companyId",
                                   rule="COMPANY_NO_SALES_INVOICES",
                                   message_fr="L'entreprise n'a pas l'option factures de vente"))
    details += company_matches(company, invoice)
    if details:
        raise InvalidInputError("This company cannot issue this invoice", details)


# ---- POST /v1/invoices/{id}/issue ------------------------------------------------------------------
def issue_invoice(tenant: Tenant, invoice_id: str, *,
                  deps: TransmissionDeps | None = None) -> dict[str, Any]:
    """Start the transmission of a draft (202 ``{id, transmissionId, state, status}``), once.

    Errors: 404 unknown invoice; 409 a received invoice; 422 company option / seller mismatch;
    503 when the transmission cannot be started (nothing changed: retry).
    """
    from einvoice.invoicing.model import Invoice
    from einvoice.invoicing.service import load_record

    deps = deps or default_deps()
    record = load_record(tenant, invoice_id, deps.repository)
    if record.direction != SENT:
        raise ConflictError("A received invoice cannot be issued", [
            ErrorDetail("received invoice", field="id", rule="INVOICE_RECEIVED", message_fr="facture reçue")])
    if record.transmission_id:
        return _issued(record)
    if record.state != DRAFT:
        raise ConflictError(f"The invoice is {record.state}", [ErrorDetail("not a draft", field="id")])
    company = _company(deps, record.account_id, record.company_id)
    _check_issuer(company, Invoice.model_validate(record.invoice or {}))
    return _start(deps, record)


def _issued(record: Any) -> dict[str, Any]:
    return {"id": record.id, "transmissionId": record.transmission_id, "state": record.state,
            "status": record.status}


def _start(deps: TransmissionDeps, record: Any) -> dict[str, Any]:
    from einvoice.invoicing.records import RecordUpdate

    tid = transmission_id_for(record.account_id, record.id)
    now = deps.now()
    current, started = deps.repository.start_transmission(record.account_id, record.id, transmission_id=tid,
                                                          now=now)
    if not started:  # a concurrent or earlier call started it: same transmission
        return _issued(current)
    message = {"accountId": record.account_id, "invoiceId": record.id, "transmissionId": tid, "seq": 1}
    try:  # the watchdog first: if the execution never runs, the watchdog restarts it
        deps.get_queue().send({**message, "kind": "watchdog"}, delay_seconds=deps.settings.watchdog_seconds)
    except Exception as exc:
        deps.repository.apply(record.account_id, record.id, RecordUpdate(
            fields={"state": DRAFT, "transmission_id": None, "execution_seq": 0}, require_state=("ISSUING",),
            now=now))
        raise UpstreamUnavailableError("The transmission could not be started; try again later") from exc
    try:
        deps.get_workflow().start(name=f"{tid}-1", payload=message)
    except Exception:  # noqa: BLE001 - the watchdog restarts it: the invoice is not lost
        from einvoice.observability import logger

        logger().warning("transmission start deferred to the watchdog", extra={"transmissionId": tid})
    return _issued(current)


# ---- POST /v1/invoices/files ----------------------------------------------------------------------
def _reason_code(rule: str) -> str:
    if rule in ("BR-CO-15", "BR-CO-16"):
        return "MONTANTTOTAL_ERR"
    if rule.startswith("BR-CO-1") or rule.endswith("-08") or rule.endswith("-09"):
        return "CALCUL_ERR"
    return "REJ_SEMAN"


def rejection_from_report(report: Any) -> dict[str, Any]:
    """Reason codes (BR-FR-CDV-CL-09) and the fatal rule ids of a validation report."""
    fatal = [f for f in report.findings if f.severity == "fatal"]
    rules = [{"rule": f.rule_id, "layer": f.layer, "message": f.message[:300]} for f in fatal[:50]]
    if report.verdict == "error" and not rules:
        rules = [{"rule": "VALIDATION-ERROR", "layer": "xsd", "message": "a validation layer could not run"}]
    reasons = sorted({_reason_code(r["rule"]) for r in rules}) or ["REJ_SEMAN"]
    return {"reasons": reasons, "rules": rules, "findings": len(fatal)}


def duplicate_rejection(owner: str) -> dict[str, Any]:
    return {"reasons": ["DOUBLON"], "rules": [{"rule": "DOUBLON", "layer": "platform",
                                               "message": f"same seller, number and year as invoice {owner}"}],
            "duplicateOf": owner}


def _rejected_error(record: Any) -> InvoiceRejectedError:
    rejection = record.rejection or {}
    details = [ErrorDetail(r["message"], field="document", rule=r["rule"], extra={"invoiceId": record.id})
               for r in rejection.get("rules", [])]
    details.append(ErrorDetail("The invoice is kept with status 213 Rejetée", field="status", rule="213",
                               message_fr="La facture est conservée au statut 213 Rejetée",
                               extra={"invoiceId": record.id, "reasons": rejection.get("reasons", [])}))
    return InvoiceRejectedError(f"The invoice {record.number} is rejected ({', '.join(rejection.get('reasons', []))})",
                                details)


def deposit_file(tenant: Tenant, company_id: str, data: bytes, *, issue: bool = False,
                 deps: TransmissionDeps | None = None) -> tuple[int, Any]:
    """A ready Factur-X / CII / UBL file -> parsed, checked, stored (then issued when ``issue``).

    Returns ``(http status, record)``: 201 stored, 202 issued. Raises 400 (unreadable), 404 (company),
    413, 422 (company option or seller; nothing kept) and ``InvoiceRejectedError`` (422, kept as 213).
    """
    from einvoice.errors import BadRequestError
    from einvoice.invoicing.service import _check_size, new_record, parse_document
    from einvoice.validation import detect, validate

    deps = deps or default_deps()
    account_id = _account(tenant)
    _check_size(data)
    company = _company(deps, account_id, company_id)
    try:
        fmt, profile = detect(data)
        invoice = parse_document(data)
    except BadRequestError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure is the caller's document
        raise BadRequestError("The document is not a readable Factur-X, CII or UBL invoice", [
            ErrorDetail(f"unreadable document ({type(exc).__name__})", field="body", rule="IRR_SYNTAX")]) from None
    _check_issuer(company, invoice)
    digest = hashlib.sha256(data).hexdigest()
    invoice_id = hashlib.sha256(f"{account_id}|{company.company_id}|file|{digest}".encode()).hexdigest()[:24]
    existing = deps.repository.get(account_id, invoice_id, with_invoice=False)
    if existing is None:
        report = validate(data, french_rules_severity=deps.settings.french_rules_severity)
        ctype, ext = FILE_TYPES[fmt]
        key = f"uploads/invoices/{account_id}/{digest}.{ext}"
        deps.get_staging().put(key, data, ctype)
        record = new_record(invoice_id=invoice_id, account_id=account_id, company_id=company.company_id,
                            invoice=invoice, profile=profile or "en16931", fingerprint=digest, source=SOURCE_FILE)
        record.input = {"key": key, "sha256": digest, "size": len(data), "contentType": ctype, "syntax": fmt,
                        "profile": profile}
        rejection = None
        if not report.valid:
            rejection = rejection_from_report(report)
        elif company.duplicate_control:
            owner = deps.repository.duplicate_owner(account_id, company.company_id, record.duplicate_key)
            if owner and owner != invoice_id:
                rejection = duplicate_rejection(owner)
        event = None
        if rejection:  # kept with its 213 in the same write: never a half-rejected record
            event = StatusEvent(REJECTED, deps.now(), deps.settings.platform_id, reason=rejection["reasons"][0],
                                message=f"{len(rejection['rules'])} rule(s) failed")
            record.state, record.status_code, record.status_reason = DONE, REJECTED, event.reason
            record.status_history, record.rejection = [event], rejection
            from einvoice.lifecycle.actions import queue_ppf_copy

            record.flux6 = {REJECTED: queue_ppf_copy(deps, record, invoice, event)}
        existing, created = deps.repository.create(record)
        if created and event:
            deps.get_events().publish([status_event(existing, event)])
    if existing.status_code == REJECTED and existing.state == DONE and not existing.transmission_id:
        raise _rejected_error(existing)
    if issue and not existing.transmission_id:
        _start(deps, existing)
        return 202, deps.repository.get(account_id, invoice_id)
    return (202 if existing.transmission_id else 201), deps.repository.get(account_id, invoice_id)


# ---- GET /v1/invoices/{id}/archive ---------------------------------------------------------------
def archive_listing(tenant: Tenant, invoice_id: str, *, deps: TransmissionDeps | None = None) -> dict[str, Any]:
    """The archived objects of an invoice, verified on read (container hash, member hashes, seal)."""
    from einvoice.errors import NotFoundError
    from einvoice.invoicing.service import load_record
    from einvoice.transmission import archiving, seals

    deps = deps or default_deps()
    record = load_record(tenant, invoice_id, deps.repository, with_invoice=False)
    if not record.archive:
        raise NotFoundError("The invoice is not archived yet (it is archived when deposited, status 200)", [
            ErrorDetail("not archived", field="id", rule="NOT_ARCHIVED", message_fr="facture non archivée")])
    info = record.archive
    source = "container"
    try:
        try:
            data = deps.get_archive().get(info["key"], info.get("versionId"))
        except Exception as exc:  # the hot copy expired: the day's bundle holds the same bytes
            from einvoice.adapters.aws.clients import error_code

            if error_code(exc) not in ("NoSuchKey", "NoSuchVersion", "404"):
                raise
            from einvoice.transmission import bundles

            data, source = bundles.read_from_bundle(info["key"], bucket=deps.settings.archive_bucket), "bundle"
        report = archiving.verify(data, expected_sha256=info["sha256"], roots=seals.trust_roots(deps.get_sealer()))
    except archiving.ArchiveTamperedError as exc:
        report = {"verified": False, "problems": [str(exc)], "objects": info.get("objects", []),
                  "seal": None}
    report["readFrom"] = source
    out = {"invoiceId": record.id, "container": {k: info.get(k) for k in ("sha256", "size", "versionId",
                                                                           "retainUntil")},
           "retention": {"mode": "COMPLIANCE", "hotUntil": info.get("retainUntil"),
                         "legalYears": 10, "bundle": info.get("bundle")},
           **report}
    if record.direction == SENT:
        out["container"]["key"] = info["key"]
    return json.loads(json.dumps(out, default=str))
