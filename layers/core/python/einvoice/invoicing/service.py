"""Invoice drafts (``POST /v1/invoices``...), invoice records, and the stateless document services.

Records (``records.InvoiceRecord``, stored through ``ports.InvoiceRepository``) live under the
account's partition (``ACC#<accountId>`` / ``INVOICE#<id>``), so another tenant's invoice id is a
404. Creation is idempotent under retry: the id is derived from the account, the company and the
duplicate key (seller, number, year), and the same body again returns the same draft; a different body with the same number is a 409 when the company has duplicate
control, and otherwise also a 409 because one number cannot name two different drafts.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from einvoice.errors import BadRequestError, ConflictError, ErrorDetail, InvalidInputError, NotFoundError
from einvoice.invoicing.models import InvoiceCreate, InvoiceOut, InvoicePage, InvoiceSummary
from einvoice.settings import Settings, get_settings
from einvoice.tenancy import Tenant

FORMATS = {
    "facturx": ("application/pdf", "pdf"),
    "cii": ("application/xml", "xml"),
    "ubl": ("application/xml", "xml"),
}
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def default_repository(s: Settings | None = None):
    """The invoice records of the data table (``ports.InvoiceRepository``)."""
    from einvoice.adapters.aws.clients import table
    from einvoice.invoicing.dynamodb import DynamoInvoiceRepository

    s = s or get_settings()
    return DynamoInvoiceRepository(table(s.data_table, s))


def _model(invoice_json: Any):
    from pydantic import ValidationError

    from einvoice.invoicing.model import Invoice

    if isinstance(invoice_json, Invoice):
        return invoice_json
    try:
        return Invoice.model_validate(invoice_json)
    except ValidationError as exc:
        details = [
            ErrorDetail(err.get("msg", "invalid"), field="invoice." + ".".join(str(p) for p in err.get("loc", ())))
            for err in exc.errors()
        ]
        raise InvalidInputError("The invoice does not match the EN 16931 model", details) from None


@contextmanager
def _exact_arithmetic():
    """Amounts within the model's digits can still multiply past what decimal computes exactly
    (28 significant digits): that is the caller's input, a 422, not a crash."""
    from decimal import DecimalException

    try:
        yield
    except DecimalException:
        raise InvalidInputError(
            "The amounts are too large to be computed exactly (quantity x price must stay below 10^26)",
            [ErrorDetail("amounts too large", field="invoice.lines", rule="AMOUNT_RANGE",
                         message_fr="montants trop grands pour être calculés exactement")],
        ) from None


def company_matches(company, invoice) -> list[ErrorDetail]:
    """The invoice belongs to the company: it is the seller (BT-30), or the buyer (BT-47) of a self-billed one."""
    from einvoice.identifiers import normalize_identifier
    from einvoice.invoicing.model import SELF_BILLED_TYPE_CODES

    siren = company.siren
    seller = normalize_identifier(invoice.seller.siren or "")[:9]
    buyer = normalize_identifier(invoice.buyer.siren or "")[:9]
    if invoice.type_code in SELF_BILLED_TYPE_CODES:
        if buyer != siren:
            return [ErrorDetail(
                f"self-billing: the issuing company {siren} must be the buyer (BT-47 is {buyer or 'empty'})",
                field="invoice.buyer.siren", rule="BR-FR-22",
                message_fr=f"autofacturation : la société émettrice {siren} doit être l'acheteur (BT-47)",
            )]
        return []
    if seller != siren:
        return [ErrorDetail(
            f"the company {siren} must be the seller (BT-30 is {seller or 'empty'})",
            field="invoice.seller.siren", rule="COMPANY-SELLER",
            message_fr=f"la société {siren} doit être le vendeur (BT-30)",
        )]
    return []


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_record(*, invoice_id: str, account_id: str, company_id: str, invoice, profile: str, fingerprint: str,
               source: str, direction: str = "sent", now: str | None = None):
    """A DRAFT record for an invoice of the EN 16931 model (derived amounts already computed)."""
    from einvoice.identifiers import normalize_identifier
    from einvoice.invoicing import checks
    from einvoice.invoicing.records import DRAFT, InvoiceRecord

    address = invoice.buyer.electronic_address
    return InvoiceRecord(
        id=invoice_id, account_id=account_id, company_id=company_id, direction=direction, state=DRAFT,
        number=invoice.number, issue_date=invoice.issue_date.isoformat(), type_code=invoice.type_code,
        profile=profile, duplicate_key=checks.duplicate_key(invoice), fingerprint=fingerprint,
        created_at=now or now_iso(), source=source, invoice=invoice.to_json_dict(),
        seller_siren=normalize_identifier(invoice.seller.siren or "")[:9] or None,
        buyer_siren=normalize_identifier(invoice.buyer.siren or "")[:9] or None,
        buyer_address=f"{address.scheme}:{address.value}" if address else None,
    )


def create_invoice(tenant: Tenant, body: InvoiceCreate, *, settings: Settings | None = None,
                   repository: Any = None) -> InvoiceOut:
    from einvoice.companies.service import get_company
    from einvoice.invoicing import calc, checks

    s = settings or get_settings()
    repo = repository or default_repository(s)
    company = get_company(tenant, body.company_id, settings=s)
    if not company.sales_invoices and not company.purchase_invoices:
        raise InvalidInputError("The company has no invoicing option", [ErrorDetail("no option", field="companyId")])
    with _exact_arithmetic():
        invoice = calc.compute(_model(body.invoice))
        details = company_matches(company, invoice) + checks.check(invoice)
    if details:
        raise InvalidInputError(f"The invoice breaks {len(details)} rule(s)", details)
    dup = checks.duplicate_key(invoice)
    invoice_id = hashlib.sha256(f"{company.account_id}|{company.id}|{dup}".encode()).hexdigest()[:24]
    invoice_json = invoice.to_json_dict()
    _check_draft_size(invoice_json)
    fingerprint = hashlib.sha256(
        json.dumps({"invoice": invoice.to_json_dict(), "profile": body.profile}, sort_keys=True).encode()
    ).hexdigest()
    record = new_record(invoice_id=invoice_id, account_id=company.account_id, company_id=company.id,
                        invoice=invoice, profile=body.profile, fingerprint=fingerprint, source="json")
    stored, created = repo.create(record)
    if not created and stored.fingerprint != fingerprint:
        rule = "duplicate control" if company.duplicate_control else "one number per draft"
        raise ConflictError(
            f"invoice {invoice.number} of {invoice.issue_date.year} already exists for this seller ({rule})",
            [ErrorDetail("duplicate invoice number", field="invoice.number", message_fr="facture en double",
                         extra={"invoiceId": stored.id})],
        )
    return to_out(stored)


def to_summary_fields(r) -> dict[str, Any]:
    return {
        "id": r.id, "companyId": r.company_id, "direction": r.direction, "state": r.state, "status": r.status,
        "number": r.number, "issueDate": r.issue_date, "typeCode": r.type_code, "source": r.source,
        "transmissionId": r.transmission_id, "createdAt": r.created_at, "updatedAt": r.updated_at or r.created_at,
    }


def create_received_invoice(account_id: str, company_id: str, invoice, *, documents: dict[str, Any], source: str,
                            reference: str, settings: Settings | None = None, repository: Any = None) -> str:
    """Hand an invoice received outside the platform network (today from OCR) to the reception.

    Every received invoice takes one path (``einvoice.reception``): validation, duplicate control when the
    company has the option (213 DOUBLON), archive and seal, 202 Reçue, 203 with the purchase-invoices
    option. ``documents`` are the archived objects (``documents["facturx"]``: the validated Factur-X the
    reception reads), ``reference`` the OCR job. Returns the id the received record gets (it appears as
    soon as the reception ran); idempotent: the same reference starts the same reception.
    """
    from einvoice.reception.service import received_invoice_id, start_reception

    del settings, repository, invoice  # the reception reads the archived Factur-X itself
    reception_id = "rx_" + hashlib.sha256(f"{source}|{account_id}|{reference}".encode()).hexdigest()[:24]
    facturx = documents["facturx"]
    start_reception({
        "receptionId": reception_id,
        "source": {"kind": "ocr", "accountId": account_id, "companyId": company_id, "reference": reference,
                   "documents": documents},
        "input": {"archiveKey": facturx["key"], "versionId": facturx.get("versionId"), "syntax": "Factur-X",
                  "contentType": "application/pdf"},
    })
    return received_invoice_id(reception_id, account_id)


def _check_draft_size(invoice_json: dict[str, Any]) -> None:
    """A draft is one DynamoDB item (400 KB): refused with a clear 413 before anything is written
    (decision: no S3 spill-over for drafts; 2,000 ordinary lines fit)."""
    from einvoice.api.limits import MAX_DRAFT_ITEM_BYTES
    from einvoice.errors import PayloadTooLargeError

    size = len(json.dumps(invoice_json, separators=(",", ":")).encode())
    if size > MAX_DRAFT_ITEM_BYTES:
        raise PayloadTooLargeError(
            f"The computed draft takes {size // 1024} KB; a draft is limited to {MAX_DRAFT_ITEM_BYTES // 1024} KB "
            "(split the invoice or shorten its texts)",
            [ErrorDetail(f"{size} bytes", field="invoice", rule="DRAFT_SIZE",
                         message_fr="brouillon trop volumineux : scindez la facture")],
        )



def to_summary(r) -> InvoiceSummary:
    return InvoiceSummary.model_validate(to_summary_fields(r))


def to_out(r) -> InvoiceOut:
    invoice = r.invoice or {}
    return InvoiceOut.model_validate({
        **to_summary_fields(r),
        "profile": r.profile, "duplicateKey": r.duplicate_key, "totals": invoice.get("totals", {}),
        "invoice": r.invoice, "checks": [],
        "documents": _documents(r),
        "statusHistory": [e.to_public() for e in r.status_history],
        "deliveryAttempts": [a.to_public() for a in r.attempts],
        "nextAttemptAt": r.next_attempt_at, "rejection": r.rejection, "route": r.route,
        "archive": f"/v1/invoices/{r.id}/archive" if r.archive else None, "counterpart": r.counterpart,
    })


def _documents(r) -> dict[str, str]:
    """Links to the invoice's documents; a received invoice also gets its readable view and, under
    ``preferred``, the conversion to its company's preferred format (kept by the reception)."""
    if not r.invoice:
        return {}
    links = {fmt: f"/v1/invoices/{r.id}/document?format={fmt}" for fmt in FORMATS}
    if r.direction == "received":
        links["pdf"] = f"/v1/invoices/{r.id}/document?format=pdf"
        preferred = (r.document or {}).get("preferredFormat")
        if preferred in FORMATS and r.has_status("203"):
            links["preferred"] = links[preferred]
    return links


def load_record(tenant: Tenant, invoice_id: str, repository: Any, *, with_invoice: bool = True):
    """The tenant's record (its own account, then its secondary accounts), or 404."""
    accounts = [tenant.account_id, *tenant.secondary_account_ids] if tenant.account_id else []
    for account in accounts:
        found = repository.get(account, invoice_id, with_invoice=with_invoice) if invoice_id else None
        if found is not None:
            return found
    raise NotFoundError(f"invoice {invoice_id} not found",
                        [ErrorDetail("unknown invoice", field="id", rule="NOT_FOUND", message_fr="facture inconnue")])


def get_invoice(tenant: Tenant, invoice_id: str, *, settings: Settings | None = None,
                repository: Any = None) -> InvoiceOut:
    return to_out(load_record(tenant, invoice_id, repository or default_repository(settings)))


MAX_LIMIT = 100


def list_invoices(tenant: Tenant, *, company_id: str | None = None, direction: str = "sent",
                  status: str | None = None, limit: int = 50, next_token: str | None = None,
                  settings: Settings | None = None, repository: Any = None) -> InvoicePage:
    """``GET /v1/invoices?companyId=&direction=sent|received&status=``: newest first within a company."""
    from einvoice.invoicing.records import DIRECTIONS

    errors = []
    if direction not in DIRECTIONS:
        errors.append(ErrorDetail("direction must be sent or received", field="direction"))
    if status is not None and not (status.isdigit() and len(status) == 3):
        errors.append(ErrorDetail("status is a 3-digit lifecycle code (e.g. 200, 201, 213)", field="status"))
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(ErrorDetail(f"limit must be between 1 and {MAX_LIMIT}", field="limit"))
    if errors:
        raise InvalidInputError("The listing parameters are not valid", errors)
    repo = repository or default_repository(settings)
    account_id = tenant.account_pk.split("#", 1)[1]
    rows, token = repo.list(account_id, direction=direction, company_id=company_id or None, status=status,
                            limit=limit, token=next_token)
    return InvoicePage(items=[to_summary(r) for r in rows], nextToken=token)


def get_document(tenant: Tenant, invoice_id: str, fmt: str, *, settings: Settings | None = None) -> tuple[bytes, str, str]:
    """The invoice as Factur-X (PDF/A-3), CII, UBL or its readable view (``pdf``): (bytes, content type, name).
    A received invoice is offered in any of them, its company's preferred format first (``documents``)."""
    if fmt not in FORMATS and fmt != "pdf":
        raise InvalidInputError(
            "format must be facturx, cii, ubl or pdf", [ErrorDetail(f"unknown format {fmt!r}", field="format")]
        )
    record = load_record(tenant, invoice_id, default_repository(settings))
    if record.invoice is None:
        raise NotFoundError(f"invoice {invoice_id} has no document")
    invoice = _model(record.invoice)
    if fmt == "pdf":
        from einvoice.invoicing.render import render_pdf

        return render_pdf(invoice), "application/pdf", f"{invoice.number}-lisible.pdf".replace("/", "-")
    data = render_invoice(invoice, fmt, record.profile)
    ctype, ext = FORMATS[fmt]
    return data, ctype, f"{invoice.number}.{ext}".replace("/", "-")


def render_invoice(invoice, fmt: str, profile: str | None = "en16931") -> bytes:
    """``profile=None`` keeps the invoice's own profile (BT-24) where the target format has it."""
    if fmt == "facturx":
        from einvoice.invoicing.cii import profile_of
        from einvoice.invoicing.facturx import to_facturx

        level = profile or profile_of(invoice.specification_id)
        level = {"extended-ctc-fr": "extended", "basic": "en16931", "minimum": "en16931"}.get(level, level)
        return to_facturx(invoice, profile=level)
    from einvoice.invoicing.convert import convert

    return convert(invoice, to=fmt, profile=profile)


def _check_size(data: bytes) -> None:
    from einvoice.errors import PayloadTooLargeError

    if not data:
        raise BadRequestError("The request body is empty: send a CII, UBL or Factur-X document")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise PayloadTooLargeError(f"The document exceeds {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB")


def validate_document(data: bytes, *, filename: str | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """``POST /v1/validations``: the full three-layer report of a raw CII / UBL / Factur-X document."""
    from einvoice.validation import validate

    _check_size(data)
    s = settings or get_settings()
    report = validate(data, filename=filename, french_rules_severity=s.french_rules_severity)
    return report.model_dump(mode="json", by_alias=True)


def parse_document(data: bytes):
    """A CII / UBL / Factur-X (or ZUGFeRD 2.x) document into the EN 16931 model.

    A value the model refuses (a text with a control character, an amount written ``1E+50000000``
    or with too many digits: ``einvoice.types``) is a 422 naming the business term's field."""
    from pydantic import ValidationError

    try:
        if data[:5] == b"%PDF-":
            from einvoice.invoicing.facturx import parse_pdf

            return parse_pdf(data)
        from einvoice.invoicing.parse import parse_xml

        return parse_xml(data)
    except ValidationError as exc:
        details = [
            ErrorDetail(err.get("msg", "invalid"), field=".".join(str(p) for p in err.get("loc", ())) or None,
                        rule=err.get("type"))
            for err in exc.errors()[:50]
        ]
        raise InvalidInputError(f"The document holds values outside the model's limits ({exc.title})",
                                details) from None


def convert_document(data: bytes, to: str) -> tuple[bytes, str, str]:
    """``POST /v1/conversions?to=cii|ubl|facturx``: any supported format to another."""
    if to not in FORMATS:
        raise InvalidInputError("to must be facturx, cii or ubl", [ErrorDetail(f"unknown format {to!r}", field="to")])
    _check_size(data)
    invoice = parse_document(data)
    with _exact_arithmetic():
        out = render_invoice(invoice, to, None)
    ctype, ext = FORMATS[to]
    return out, ctype, f"{invoice.number}.{ext}".replace("/", "-")
