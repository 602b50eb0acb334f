"""Flow API use cases: submit a flow, search flows, read one (XP Z12-013 Annex A).

What a submitted flow becomes depends on who sent it and what it is:

* another platform (``platform`` client) sending an invoice (CII, UBL, Factur-X): the reception of one of
  our companies (``einvoice.reception``: an Express workflow; the flow is ``Pending`` until it answers);
* another platform sending a status (CDAR): ``reception.statuses.record_incoming_status`` records it on
  the invoice's timeline now (``Ok``), or the flow is refused with its ``InvoiceLC*`` reason;
* one of our accounts' software (``account`` client) sending an invoice: the deposit-and-issue path of
  the transmission (``transmission.service.deposit_file``), as ``POST /v1/invoices/files?issue=true``.

Checks before anything is kept: multipart parts, ``flowInfo`` (422 naming the field), empty file
(``EmptyFlow``), size (``FileSizeExceeded`` 413), SHA-256 (``ChecksumMismatch``), syntax announced
against the content (``FlowTypeError`` / ``InvalidSchema``), the same flow from the same sender
(``AlreadyExistingFlow`` 409, the first flow's id in the body).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from einvoice.errors import (
    BadRequestError,
    DomainError,
    ErrorDetail,
    InvalidInputError,
    NotFoundError,
)
from einvoice.flows import clients as cl
from einvoice.flows.errors import FlowRefusedError
from einvoice.flows.models import (
    AckStatus,
    DocType,
    FlowInfoIn,
    FlowOut,
    SearchIn,
    SearchOut,
)
from einvoice.flows.store import MAX_SCANNED, FlowRecord, flow_id_for

MAX_FLOW_BYTES = 9 * 1024 * 1024  # the file part; the whole body is bounded by the gateway (10 MB)
INVOICE_SYNTAXES = {"CII": "cii", "UBL": "ubl", "Factur-X": "facturx"}
EXTENSIONS = {"CII": "xml", "UBL": "xml", "Factur-X": "pdf", "CDAR": "xml"}
CONTENT_TYPES = {"CII": "application/xml", "UBL": "application/xml", "Factur-X": "application/pdf",
                 "CDAR": "application/xml"}
SELF_BILLED = {"389", "501", "500", "471", "473", "261", "502"}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class FlowDeps:
    """Collaborators of the Flow API; anything ``None`` is built lazily from the settings."""

    store: Any = None
    clients: Any = None
    staging: Any = None
    settings: Any = None
    clock: Callable[[], datetime] = field(default=utcnow)
    receive: Callable[..., Any] | None = None  # start a reception: (envelope) -> None
    record_status: Callable[..., Any] | None = None  # (data, from_platform=) -> result dict
    deposit: Callable[..., Any] | None = None  # (client, data) -> result dict

    def __post_init__(self) -> None:
        if self.settings is None:
            from einvoice.settings import get_settings

            self.settings = get_settings()

    def get_store(self) -> Any:
        if self.store is None:
            from einvoice.adapters.aws.clients import table
            from einvoice.flows.store import DynamoFlowStore

            self.store = DynamoFlowStore(table(self.settings.data_table, self.settings))
        return self.store

    def get_clients(self) -> Any:
        if self.clients is None:
            from einvoice.adapters.aws.clients import table

            self.clients = cl.TableClients(table(self.settings.tenancy_table, self.settings))
        return self.clients

    def get_staging(self) -> Any:
        if self.staging is None:
            from einvoice.transmission.adapters import S3Staging

            self.staging = S3Staging(self.settings.drop_bucket)
        return self.staging

    def get_receive(self) -> Callable[..., Any]:
        if self.receive is None:
            from einvoice.reception.service import start_reception

            self.receive = start_reception
        return self.receive

    def get_record_status(self) -> Callable[..., Any]:
        if self.record_status is None:
            from einvoice.reception.statuses import record_incoming_status

            self.record_status = record_incoming_status
        return self.record_status

    def get_deposit(self) -> Callable[..., Any]:
        if self.deposit is None:
            self.deposit = deposit_for_account
        return self.deposit

    def now(self) -> str:
        return iso(self.clock())


_default: FlowDeps | None = None


def default_deps() -> FlowDeps:
    global _default
    if _default is None:
        _default = FlowDeps()
    return _default


def reset_default_deps() -> None:
    global _default
    _default = None


# ---- the caller ---------------------------------------------------------------------------------
def caller(claims: dict[str, Any] | None, deps: FlowDeps | None = None) -> cl.FlowApiClient:
    return cl.caller_from_claims(claims, (deps or default_deps()).get_clients())


# ---- views --------------------------------------------------------------------------------------
def _flow_type(r: FlowRecord, principal: str) -> str:
    """CustomerInvoice(LC) / SupplierInvoice(LC) as the caller sees the flow (Annex A definitions)."""
    if r.kind == "status":
        customer = (r.status_side == "buyer") == (r.sender == principal)
        return "SupplierInvoiceLC" if customer else "CustomerInvoiceLC"
    outgoing = r.sender == principal
    return "CustomerInvoice" if outgoing != r.self_billed else "SupplierInvoice"


def to_out(r: FlowRecord, principal: str) -> FlowOut:
    return FlowOut.model_validate({
        "flowId": r.flow_id, "trackingId": r.tracking_id, "name": r.name, "submittedAt": r.submitted_at,
        "updatedAt": r.updated_at, "flowType": _flow_type(r, principal), "processingRule": r.processing_rule,
        "processingRuleSource": r.processing_rule_source,
        "flowDirection": "Out" if r.sender == principal else "In", "flowSyntax": r.flow_syntax,
        "flowProfile": r.flow_profile, "sha256": r.sha256,
        "acknowledgement": {"status": r.ack_status, "details": r.ack_details},
    })


# ---- POST /v1/flows -----------------------------------------------------------------------------
def _flow_info(part: Any) -> FlowInfoIn:
    from pydantic import ValidationError

    from einvoice.api.limits import parse_json

    try:
        raw = parse_json(part.data)
    except DomainError as exc:
        raise BadRequestError("flowInfo is not JSON", [ErrorDetail(d.message, field="flowInfo", rule=d.rule)
                                                       for d in exc.details]) from None
    try:
        return FlowInfoIn.model_validate(raw)
    except ValidationError as exc:
        details = [ErrorDetail(e.get("msg", "invalid"), field="flowInfo." + ".".join(str(x) for x in e.get("loc", ())),
                               rule=e.get("type")) for e in exc.errors()[:20]]
        raise InvalidInputError("flowInfo does not match the FlowInfo schema", details) from None


def sniff(data: bytes) -> tuple[str, Any]:
    """(flow syntax, parsed root or None) of a file: ``Factur-X`` for a PDF, ``CDAR``, ``CII`` or ``UBL``."""
    if data[:5] == b"%PDF-":
        return "Factur-X", None
    from einvoice.lifecycle import cdar_xml

    try:
        root = cdar_xml.parse_root(data)
    except DomainError as exc:
        raise FlowRefusedError("InvalidSchema", f"the file is not readable XML or PDF ({exc.message})") from None
    if root.tag == cdar_xml.ROOT:
        return "CDAR", root
    local = root.tag.rsplit("}", 1)[-1] if isinstance(root.tag, str) else ""
    if local == "CrossIndustryInvoice":
        return "CII", root
    if local in ("Invoice", "CreditNote"):
        return "UBL", root
    raise FlowRefusedError("InvalidSchema", f"the file is neither an invoice (CII, UBL, Factur-X) nor a CDAR "
                                            f"status message (root element {local or '?'})")


def submit_flow(client: cl.FlowApiClient, body: bytes, content_type: str | None, *,
                deps: FlowDeps | None = None) -> FlowOut:
    """Check, keep and dispatch a flow; returns it (202). Typed errors as the module docstring lists."""
    from einvoice.flows import multipart

    deps = deps or default_deps()
    parts = multipart.parse(body, content_type)
    missing = [name for name in ("flowInfo", "file") if name not in parts]
    if missing:
        raise BadRequestError("flowInfo and file parts are required",
                              [ErrorDetail("required part", field=name, rule="MULTIPART") for name in missing])
    info = _flow_info(parts["flowInfo"])
    upload = parts["file"]
    data = upload.data
    if not data:
        raise FlowRefusedError("EmptyFlow", "the file is empty")
    if len(data) > MAX_FLOW_BYTES:
        raise FlowRefusedError("FileSizeExceeded", f"the file is limited to {MAX_FLOW_BYTES // (1024 * 1024)} MB",
                               status=413)
    digest = hashlib.sha256(data).hexdigest()
    if info.sha256 and info.sha256.lower() != digest:
        raise FlowRefusedError("ChecksumMismatch", "the SHA-256 given in flowInfo does not match the file",
                               item="flowInfo.sha256")
    syntax = info.flow_syntax.value
    if syntax == "FRR":
        raise FlowRefusedError("FlowTypeError", "e-reporting flows (FRR) go to the PPF; this platform does not "
                                                "take them on its Flow API", item="flowInfo.flowSyntax")
    found, _root = sniff(data)
    if found != syntax:
        raise FlowRefusedError("FlowTypeError", f"flowSyntax says {syntax} but the file is {found}",
                               item="flowInfo.flowSyntax")
    principal = client.principal
    flow_id = flow_id_for(principal, info.tracking_id, digest)
    store = deps.get_store()
    if store.get(flow_id) is not None:
        raise FlowRefusedError("AlreadyExistingFlow", "this flow (trackingId and SHA-256) was already received",
                               status=409, flow_id=flow_id)
    key = f"uploads/flows/{flow_id}/original.{EXTENSIONS[syntax]}"
    deps.get_staging().put(key, data, CONTENT_TYPES[syntax])
    now = deps.now()
    record = FlowRecord(
        flow_id=flow_id, sender=principal, recipient=None, tracking_id=info.tracking_id,
        name=info.name or upload.filename or f"{flow_id}.{EXTENSIONS[syntax]}", flow_syntax=syntax,
        flow_profile=info.flow_profile.value if info.flow_profile else None,
        processing_rule=(info.processing_rule.value if info.processing_rule else "B2B"),
        processing_rule_source="Input" if info.processing_rule else "Computed", sha256=digest, size=len(data),
        content_type=CONTENT_TYPES[syntax], submitted_at=now, updated_at=now,
        kind="status" if syntax == "CDAR" else "invoice", file_key=key)
    if syntax == "CDAR":
        return _submit_status(deps, client, record, data)
    if client.kind == cl.ACCOUNT:
        return _submit_deposit(deps, client, record, data)
    record.self_billed = _self_billed(data)
    stored, created = store.create(record)
    if not created:
        raise FlowRefusedError("AlreadyExistingFlow", "this flow was already received", status=409, flow_id=flow_id)
    deps.get_receive()({"receptionId": "rx_" + flow_id.replace("-", ""), "flowId": flow_id,
                        "source": {"kind": "platform", "platformId": client.platform_id, "flowId": flow_id,
                                   "trackingId": info.tracking_id},
                        "input": {"key": key, "sha256": digest, "size": len(data), "syntax": syntax,
                                  "contentType": CONTENT_TYPES[syntax]}})
    return to_out(stored, principal)


def _self_billed(data: bytes) -> bool:
    try:
        from einvoice.invoicing.service import parse_document

        return parse_document(data).type_code in SELF_BILLED
    except Exception:  # noqa: BLE001 - the reception reports an unreadable invoice; only the flow type is at stake
        return False


def _refuse_kept(deps: FlowDeps, record: FlowRecord, exc: DomainError, reason: str) -> FlowRefusedError:
    """Keep the flow acknowledged in error and build the refusal answered to the sender (422)."""
    details = [{"level": "Error", "item": d.field or "file", "reasonCode": d.rule or reason,
                "reasonMessage": d.message[:500]} for d in exc.details[:50]] or [
        {"level": "Error", "item": "file", "reasonCode": reason, "reasonMessage": exc.message[:500]}]
    record.ack_status, record.ack_details = AckStatus.ERROR.value, details
    record.result = {"error": {"code": exc.code, "message": exc.message[:500]}}
    deps.get_store().create(record)
    return FlowRefusedError(reason, exc.message, status=422, flow_id=record.flow_id, details=[
        ErrorDetail(d["reasonMessage"], field=d["item"], rule=d["reasonCode"]) for d in details])


def _submit_status(deps: FlowDeps, client: cl.FlowApiClient, record: FlowRecord, data: bytes) -> FlowOut:
    if client.kind != cl.PLATFORM:
        raise FlowRefusedError("FlowTypeError", "statuses of your own invoices are set with "
                                                "POST /v1/invoices/{id}/status", item="flowInfo.flowSyntax")
    from einvoice.lifecycle.transitions import LifecycleConflictError

    try:
        result = deps.get_record_status()(data, from_platform=client.platform_id)
    except LifecycleConflictError as exc:
        raise _refuse_kept(deps, record, exc, "InvoiceLCInvalidStatus") from None
    except (InvalidInputError, BadRequestError, NotFoundError) as exc:
        reason = "InvalidSchema" if isinstance(exc, BadRequestError) or exc.code == "LifecycleMessageInvalid" \
            else "InvoiceLCStatusError"
        raise _refuse_kept(deps, record, exc, reason) from None
    record.status_side = result.get("side")
    record.recipient = result.get("recipient")
    record.ack_status, record.result = AckStatus.OK.value, {"status": result}
    stored, created = deps.get_store().create(record)
    if not created:
        raise FlowRefusedError("AlreadyExistingFlow", "this flow was already received", status=409,
                               flow_id=record.flow_id)
    return to_out(stored, client.principal)


def _submit_deposit(deps: FlowDeps, client: cl.FlowApiClient, record: FlowRecord, data: bytes) -> FlowOut:
    try:
        result = deps.get_deposit()(client, data)
    except (InvalidInputError, BadRequestError, NotFoundError) as exc:
        raise _refuse_kept(deps, record, exc, "InvoiceLCRuleError" if exc.code == "InvoiceRejected"
                           else "InvalidSchema") from None
    record.ack_status, record.result = AckStatus.OK.value, {"deposit": result}
    stored, created = deps.get_store().create(record)
    if not created:
        raise FlowRefusedError("AlreadyExistingFlow", "this flow was already received", status=409,
                               flow_id=record.flow_id)
    return to_out(stored, client.principal)


def deposit_for_account(client: cl.FlowApiClient, data: bytes) -> dict[str, Any]:
    """An account's software deposits an invoice: the seller company of the account issues it."""
    from einvoice.identifiers import normalize_identifier
    from einvoice.invoicing.service import parse_document
    from einvoice.tenancy import Tenant
    from einvoice.transmission.service import default_deps as transmission_deps
    from einvoice.transmission.service import deposit_file

    invoice = parse_document(data)
    seller = normalize_identifier(invoice.seller.siren or "")[:9]
    tdeps = transmission_deps()
    company = next((c for acc, c in tdeps.companies.companies_for(seller) if acc == client.account_id), None)
    if company is None:
        raise NotFoundError(f"no company of your account has the seller's SIREN {seller or '(none)'}", [
            ErrorDetail("unknown seller company", field="file", rule="COMPANY-SELLER")])
    tenant = Tenant(partner_id=client.partner_id or "", account_id=client.account_id,
                    api_key_id=f"oauth:{client.client_id}")
    status, stored = deposit_file(tenant, company.company_id, data, issue=True, deps=tdeps)
    return {"invoiceId": stored.id, "companyId": company.company_id, "transmissionId": stored.transmission_id}


# ---- POST /v1/flows/search --------------------------------------------------------------------------
def _key(value: datetime | None, suffix: str) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return iso(value) + suffix


def _matches(r: FlowRecord, out: FlowOut, where: Any) -> bool:
    if where.tracking_id is not None and r.tracking_id != where.tracking_id:
        return False
    if where.ack_status is not None and out.acknowledgement.status != where.ack_status:
        return False
    if where.processing_rule and out.processing_rule not in where.processing_rule:
        return False
    if where.flow_type and out.flow_type not in where.flow_type:
        return False
    return not (where.flow_direction and out.flow_direction not in where.flow_direction)


def _cursor(text: str | None) -> str | None:
    import base64

    if not text:
        return None
    try:
        value = base64.urlsafe_b64decode(text.encode() + b"=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        value = ""
    if "#" not in value or len(value) > 200:
        raise InvalidInputError("cursor is not a nextCursor of this API", [
            ErrorDetail("unreadable cursor", field="body.cursor", rule="CURSOR")])
    return value


def search_flows(client: cl.FlowApiClient, body: SearchIn, *, deps: FlowDeps | None = None) -> SearchOut:
    """Flows the caller sent or that are addressed to it, oldest update first, ``updatedAfter`` strict."""
    import base64

    deps = deps or default_deps()
    where = body.where
    after = max(filter(None, (_key(where.updated_after, "$"), _cursor(body.cursor))), default=None)
    before = _key(where.updated_before, "#")
    principal = client.principal
    results: list[FlowOut] = []
    last: str | None = None
    scanned = 0
    exhausted = True
    for r in deps.get_store().scan_for(principal, after=after, before=before):
        scanned += 1
        last = r.sort_key
        out = to_out(r, principal)
        if _matches(r, out, where):
            results.append(out)
        if len(results) >= body.limit or scanned >= MAX_SCANNED:
            exhausted = False
            break
    next_cursor = None if exhausted or last is None else base64.urlsafe_b64encode(last.encode()).decode().rstrip("=")
    filters = json.loads(where.model_dump_json(by_alias=True, exclude_none=True))
    return SearchOut.model_validate({"limit": body.limit, "filters": filters, "results": results,
                                     "nextCursor": next_cursor})


# ---- GET /v1/flows/{flowId} -------------------------------------------------------------------------
def get_flow(client: cl.FlowApiClient, flow_id: str, doc_type: str | None, *,
             deps: FlowDeps | None = None) -> FlowOut | tuple[bytes, str, str]:
    """Metadata (the flow) or a document: Original, Converted (CII, or UBL for a CII original), ReadableView."""
    deps = deps or default_deps()
    try:
        kind = DocType(doc_type or "Metadata")
    except ValueError:
        raise InvalidInputError("docType must be Metadata, Original, Converted or ReadableView", [
            ErrorDetail(f"unknown docType {doc_type!r}", field="query.docType", rule="DOC_TYPE")]) from None
    record = deps.get_store().get(flow_id) if len(flow_id) <= 64 else None
    if record is None or client.principal not in (record.sender, record.recipient):
        raise NotFoundError(f"flow {flow_id} not found", [ErrorDetail("unknown flow", field="flowId",
                                                                      rule="NOT_FOUND")])
    if kind == DocType.METADATA:
        return to_out(record, client.principal)
    data = deps.get_staging().get(record.file_key)
    base = (record.name or record.flow_id).rsplit(".", 1)[0]
    if kind == DocType.ORIGINAL:
        return data, record.content_type, record.name or f"{record.flow_id}.{EXTENSIONS[record.flow_syntax]}"
    if record.kind != "invoice":
        raise NotFoundError(f"a {record.flow_syntax} flow has no {kind.value} document", [
            ErrorDetail("no such document for this flow", field="query.docType", rule="DOC_TYPE")])
    from einvoice.invoicing.service import parse_document, render_invoice

    invoice = parse_document(data)
    if kind == DocType.READABLE:
        from einvoice.invoicing.render import render_pdf

        return render_pdf(invoice), "application/pdf", f"{base}-lisible.pdf"
    target = "ubl" if record.flow_syntax == "CII" else "cii"
    return render_invoice(invoice, target, None), "application/xml", f"{base}-{target}.xml"
