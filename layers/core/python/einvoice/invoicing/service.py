"""Invoice drafts (``POST /v1/invoices``...) and the stateless document services.

Drafts live under the account's partition (``ACC#<accountId>`` / ``INVOICE#<id>``), so another
tenant's invoice id is a 404. Creation is idempotent under retry: the id is derived from the
account, the company and the duplicate key (seller, number, year), and the same body again returns
the same draft; a different body with the same number is a 409 when the company has duplicate
control, and otherwise also a 409 because one number cannot name two different drafts.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from einvoice.errors import BadRequestError, ConflictError, ErrorDetail, InvalidInputError, NotFoundError
from einvoice.invoicing.models import InvoiceCreate, InvoiceOut
from einvoice.settings import Settings, get_settings
from einvoice.tenancy import Tenant

FORMATS = {
    "facturx": ("application/pdf", "pdf"),
    "cii": ("application/xml", "xml"),
    "ubl": ("application/xml", "xml"),
}
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def _table(s: Settings):
    from einvoice.adapters.aws.clients import table

    return table(s.data_table, s)


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


def _company_matches(company, invoice) -> list[ErrorDetail]:
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
            field="invoice.seller.siren",
            message_fr=f"la société {siren} doit être le vendeur (BT-30)",
        )]
    return []


def create_invoice(tenant: Tenant, body: InvoiceCreate, *, settings: Settings | None = None) -> InvoiceOut:
    from einvoice.companies.service import get_company
    from einvoice.invoicing import calc, checks

    s = settings or get_settings()
    company = get_company(tenant, body.company_id, settings=s)
    if not company.sales_invoices and not company.purchase_invoices:
        raise InvalidInputError("The company has no invoicing option", [ErrorDetail("no option", field="companyId")])
    with _exact_arithmetic():
        invoice = calc.compute(_model(body.invoice))
        details = _company_matches(company, invoice) + checks.check(invoice)
    if details:
        raise InvalidInputError(f"The invoice breaks {len(details)} rule(s)", details)
    dup = checks.duplicate_key(invoice)
    invoice_id = hashlib.sha256(f"{company.account_id}|{company.id}|{dup}".encode()).hexdigest()[:24]
    invoice_json = invoice.to_json_dict()
    _check_draft_size(invoice_json)
    fingerprint = hashlib.sha256(
        json.dumps({"invoice": invoice_json, "profile": body.profile}, sort_keys=True).encode()
    ).hexdigest()
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    item = {
        "pk": f"ACC#{company.account_id}",
        "sk": f"INVOICE#{invoice_id}",
        "gsi1pk": f"ACC#{company.account_id}#INVOICES",
        "gsi1sk": f"{invoice.issue_date.isoformat()}#{invoice_id}",
        "companyId": company.id,
        "state": "DRAFT",
        "profile": body.profile,
        "duplicateKey": dup,
        "fingerprint": fingerprint,
        "invoice": json.dumps(invoice_json),
        "createdAt": now,
    }
    t = _table(s)
    try:
        t.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except t.meta.client.exceptions.ConditionalCheckFailedException:
        existing = t.get_item(Key={"pk": item["pk"], "sk": item["sk"]}, ConsistentRead=True)["Item"]
        if existing.get("fingerprint") != fingerprint:
            rule = "duplicate control" if company.duplicate_control else "one number per draft"
            raise ConflictError(
                f"invoice {invoice.number} of {invoice.issue_date.year} already exists for this seller ({rule})",
                [ErrorDetail("duplicate invoice number", field="invoice.number", message_fr="facture en double")],
            ) from None
        item = existing
    return _to_out(item)


def create_received_invoice(account_id: str, company_id: str, invoice, *, documents: dict[str, Any], source: str,
                            reference: str, settings: Settings | None = None) -> str:
    """Record an invoice *received* by a company (today from OCR; later from the reception flow).

    Same item shape as a draft plus ``direction = received``, ``source`` (``OCR``...), ``reference``
    (the OCR job) and ``documents`` (archive keys of the original and the generated Factur-X).
    Idempotent: the id derives from the account, the company and the duplicate key, and the same
    invoice recorded again returns the same id; another invoice with the same supplier, number and
    year is a 409.
    """
    from einvoice.invoicing import checks

    s = settings or get_settings()
    dup = checks.duplicate_key(invoice)
    invoice_id = hashlib.sha256(f"{account_id}|{company_id}|received|{dup}".encode()).hexdigest()[:24]
    invoice_json = invoice.to_json_dict()
    fingerprint = hashlib.sha256(json.dumps(invoice_json, sort_keys=True).encode()).hexdigest()
    item = {
        "pk": f"ACC#{account_id}",
        "sk": f"INVOICE#{invoice_id}",
        "gsi1pk": f"ACC#{account_id}#INVOICES",
        "gsi1sk": f"{invoice.issue_date.isoformat()}#{invoice_id}",
        "companyId": company_id,
        "state": "RECEIVED",
        "direction": "received",
        "source": source,
        "reference": reference,
        "profile": "en16931",
        "duplicateKey": dup,
        "fingerprint": fingerprint,
        "invoice": json.dumps(invoice_json),
        "documents": json.dumps(documents),
        "createdAt": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    t = _table(s)
    try:
        t.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except t.meta.client.exceptions.ConditionalCheckFailedException:
        existing = t.get_item(Key={"pk": item["pk"], "sk": item["sk"]}, ConsistentRead=True)["Item"]
        if existing.get("fingerprint") != fingerprint or existing.get("reference") != reference:
            raise ConflictError(
                f"invoice {invoice.number} of {invoice.issue_date.year} from this supplier was already received",
                [ErrorDetail("duplicate invoice", field="fields.BT-1", rule="DUPLICATE",
                             message_fr="facture déjà reçue")],
            ) from None
    return invoice_id
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


def _to_out(item: dict[str, Any]) -> InvoiceOut:
    invoice = json.loads(item["invoice"])
    invoice_id = item["sk"].split("#", 1)[1]
    return InvoiceOut(
        id=invoice_id,
        companyId=item["companyId"],
        state=item["state"],
        number=invoice["number"],
        issueDate=invoice["issueDate"],
        typeCode=invoice["typeCode"],
        profile=item["profile"],
        duplicateKey=item["duplicateKey"],
        totals=invoice.get("totals", {}),
        invoice=invoice,
        checks=[],
        documents={fmt: f"/v1/invoices/{invoice_id}/document?format={fmt}" for fmt in FORMATS},
        createdAt=item["createdAt"],
    )


def _get_item(tenant: Tenant, invoice_id: str, s: Settings) -> dict[str, Any]:
    accounts = [tenant.account_id, *tenant.secondary_account_ids] if tenant.account_id else []
    t = _table(s)
    for account in accounts:
        item = t.get_item(Key={"pk": f"ACC#{account}", "sk": f"INVOICE#{invoice_id}"}).get("Item")
        if item:
            return item
    raise NotFoundError(f"invoice {invoice_id} not found")


def get_invoice(tenant: Tenant, invoice_id: str, *, settings: Settings | None = None) -> InvoiceOut:
    return _to_out(_get_item(tenant, invoice_id, settings or get_settings()))


def get_document(tenant: Tenant, invoice_id: str, fmt: str, *, settings: Settings | None = None) -> tuple[bytes, str, str]:
    """The draft as Factur-X (PDF/A-3), CII or UBL: (bytes, content type, file name)."""
    if fmt not in FORMATS:
        raise InvalidInputError(
            "format must be facturx, cii or ubl", [ErrorDetail(f"unknown format {fmt!r}", field="format")]
        )
    s = settings or get_settings()
    item = _get_item(tenant, invoice_id, s)
    invoice = _model(json.loads(item["invoice"]))
    data = render_invoice(invoice, fmt, item["profile"])
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
