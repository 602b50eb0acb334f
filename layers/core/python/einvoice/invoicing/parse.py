"""Parse CII (Factur-X / ZUGFeRD 2.x, any profile, D16B or D22B) and UBL 2.1 Invoice / CreditNote
into the semantic model.

Public API::

    parse_xml(data: bytes) -> Invoice          # detects the syntax
    detect_format(data: bytes) -> str          # "cii" | "ubl-invoice" | "ubl-creditnote"
    parse_cii(root) / parse_ubl(root) -> Invoice   # from an lxml root element
    secure_parse(data: bytes) -> lxml root     # hardened XML parsing

XML is parsed by the validation pipeline's hardened parser (``einvoice.validation.inputs``: no
entities, no network, no huge trees, documents declaring a DTD refused with rule XML-DOCTYPE).
Malformed XML (rule XML-SYNTAX), unknown roots (ZUGFeRD 1.0, CDAR, Order-X) raise
:class:`BadRequestError`, a document above ``MAX_XML_BYTES`` :class:`PayloadTooLargeError`; well-formed invoices with unreadable values (a date or an
amount that is not one) raise :class:`InvalidInputError` naming the field.

Reading is lenient: a mandatory term missing from the XML (e.g. the buyer address of a
MINIMUM profile) becomes an empty string so that :func:`checks.check` can report it with
its rule id, rather than the parser failing.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from einvoice.errors import BadRequestError, ErrorDetail, InvalidInputError

from .model import (
    AdditionalDocument,
    Address,
    Buyer,
    Contact,
    CreditTransfer,
    Delivery,
    DirectDebit,
    DocumentAllowanceCharge,
    DocumentTotals,
    ElectronicAddress,
    Identifier,
    Invoice,
    InvoiceLine,
    ItemAttribute,
    LineAllowanceCharge,
    Note,
    Payee,
    PaymentCard,
    PaymentInstructions,
    Period,
    PrecedingInvoiceReference,
    Seller,
    TaxRepresentative,
    VatBreakdown,
)

__all__ = ["parse_xml", "parse", "detect_format", "parse_cii", "parse_ubl", "secure_parse", "MAX_XML_BYTES"]

MAX_XML_BYTES = 50 * 1024 * 1024

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UBL_INV = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CN = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CII_NS = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
UBL_NS = {"cac": CAC, "cbc": CBC}

VAT_DUE_FROM_CII = {"5": "3", "29": "35", "72": "432"}
_NOTE_RE = re.compile(r"#([A-Za-z0-9]{1,5})#")



def secure_parse(data: bytes) -> Any:
    """Parse untrusted XML bytes (the validation pipeline's hardened parser: no DTD, no entities, no
    network); BadRequestError naming the rule (XML-SYNTAX, XML-DOCTYPE) when malformed or using a DTD,
    PayloadTooLargeError above ``MAX_XML_BYTES``."""
    from einvoice.validation import inputs

    if isinstance(data, str):
        data = data.encode("utf-8")
    inputs.check_size(data, MAX_XML_BYTES)
    return inputs.parse_xml(data)


def _detect_root(root: Any) -> str:
    from lxml import etree  # lazy

    q = etree.QName(root)
    if q.namespace == RSM and q.localname == "CrossIndustryInvoice":
        return "cii"
    if q.namespace == UBL_INV and q.localname == "Invoice":
        return "ubl-invoice"
    if q.namespace == UBL_CN and q.localname == "CreditNote":
        return "ubl-creditnote"
    if "ferd:CrossIndustryDocument" in (q.namespace or ""):
        raise BadRequestError("ZUGFeRD 1.0 documents are not supported (use Factur-X / ZUGFeRD 2.x)")
    raise BadRequestError(f"Not a CII or UBL invoice (root element {q.localname!r})")


def detect_format(data: bytes) -> str:
    """``cii``, ``ubl-invoice`` or ``ubl-creditnote``; BadRequestError otherwise."""
    return _detect_root(secure_parse(data))


def parse_xml(data: bytes) -> Invoice:
    """Parse CII or UBL XML bytes into an :class:`Invoice` (format detected from the root)."""
    root = secure_parse(data)
    fmt = _detect_root(root)
    return parse_cii(root) if fmt == "cii" else parse_ubl(root)


parse = parse_xml


# --------------------------------------------------------------------------- helpers


class _R:
    """XPath reading helpers bound to a namespace map, collecting value errors."""

    _compiled: dict[tuple[str, str], Any] = {}

    def __init__(self, ns: dict[str, str]) -> None:
        self.ns = ns
        self._key = ns.get("ram", ns.get("cbc", ""))

    def all(self, el: Any, path: str) -> list[Any]:
        if el is None:
            return []
        xp = self._compiled.get((self._key, path))
        if xp is None:
            from lxml import etree  # lazy

            xp = self._compiled[(self._key, path)] = etree.XPath(path, namespaces=self.ns)
        return xp(el)

    def first(self, el: Any, path: str) -> Any:
        r = self.all(el, path)
        return r[0] if r else None

    def text(self, el: Any, path: str) -> str | None:
        node = self.first(el, path)
        if node is None:
            return None
        t = node if isinstance(node, str) else node.text
        if t is None:
            return None
        t = t.strip()
        return t or None

    def attr(self, el: Any, path: str, name: str) -> str | None:
        node = self.first(el, path)
        if node is None:
            return None
        v = node.get(name)
        return v.strip() if v and v.strip() else None

    def dec(self, el: Any, path: str, field: str) -> Decimal | None:
        t = self.text(el, path)
        if t is None:
            return None
        try:
            v = Decimal(t.replace(" ", ""))
        except InvalidOperation:
            raise InvalidInputError(
                f"Not a number in {field}",
                [ErrorDetail(message=f"{t!r} is not a number", message_fr=f"{t!r} n'est pas un nombre",
                             field=field, rule="BR-DEC")],
            ) from None
        if not v.is_finite():
            raise InvalidInputError(f"Not a number in {field}", [ErrorDetail(message=f"{t!r} is not a number",
                                                                              field=field)])
        return v


def _none_if_zero(value: Decimal | None) -> Decimal | None:
    return None if value is None or value == 0 else value


def _or0(value: Decimal | None) -> Decimal:
    return Decimal("0") if value is None else value


def _bad_date(value: str, field: str) -> InvalidInputError:
    return InvalidInputError(
        f"Invalid date in {field}",
        [ErrorDetail(message=f"{value!r} is not a valid date", message_fr=f"{value!r} n'est pas une date valide",
                     field=field, rule="BR-FR-03")],
    )


def _cii_date(r: _R, el: Any, field: str) -> _dt.date | None:
    """A CII date element (udt:DateTimeString / udt:DateString / qdt:DateTimeString, format 102)."""
    if el is None:
        return None
    node = r.first(el, "udt:DateTimeString|udt:DateString|qdt:DateTimeString|qdt:DateString")
    if node is None:
        raw = (el.text or "").strip()
        fmt = "102"
    else:
        raw = (node.text or "").strip()
        fmt = node.get("format") or "102"
    if not raw:
        return None
    try:
        if fmt == "102" or (len(raw) == 8 and raw.isdigit()):
            return _dt.datetime.strptime(raw[:8], "%Y%m%d").date()
        if fmt == "610":
            return _dt.datetime.strptime(raw[:6] + "01", "%Y%m%d").date()
        if fmt == "616":  # YYYYWW: first day of the ISO week
            return _dt.date.fromisocalendar(int(raw[:4]), int(raw[4:6]), 1)
        return _dt.date.fromisoformat(raw[:10])
    except ValueError:
        raise _bad_date(raw, field) from None


def _iso_date(r: _R, el: Any, path: str, field: str) -> _dt.date | None:
    t = r.text(el, path)
    if t is None:
        return None
    try:
        return _dt.date.fromisoformat(t[:10])
    except ValueError:
        raise _bad_date(t, field) from None


def _none_if_empty(model: Any) -> Any:
    return model if any(v not in (None, [], "") for v in model.__dict__.values()) else None


# --------------------------------------------------------------------------- CII


def _cii_address(r: _R, el: Any) -> Address | None:
    if el is None:
        return None
    return Address(
        line1=r.text(el, "ram:LineOne"),
        line2=r.text(el, "ram:LineTwo"),
        line3=r.text(el, "ram:LineThree"),
        city=r.text(el, "ram:CityName"),
        postcode=r.text(el, "ram:PostcodeCode"),
        country_subdivision=r.text(el, "ram:CountrySubDivisionName"),
        country_code=r.text(el, "ram:CountryID") or "",
    )


def _cii_ids(r: _R, el: Any) -> list[Identifier]:
    out = [Identifier(value=t.strip()) for t in r.all(el, "ram:ID/text()") if t.strip()]
    for g in r.all(el, "ram:GlobalID"):
        if g.text and g.text.strip():
            out.append(Identifier(value=g.text.strip(), scheme=(g.get("schemeID") or "").strip() or None))
    return out


def _cii_party(r: _R, el: Any, cls: type) -> Any:
    data: dict[str, Any] = {
        "name": r.text(el, "ram:Name") or "",
        "trading_name": r.text(el, "ram:SpecifiedLegalOrganization/ram:TradingBusinessName"),
        "identifiers": _cii_ids(r, el),
        "address": _cii_address(r, r.first(el, "ram:PostalTradeAddress")) or Address(country_code=""),
    }
    siren = r.text(el, "ram:SpecifiedLegalOrganization/ram:ID")
    if siren:
        data["siren"] = siren
        data["siren_scheme"] = r.attr(el, "ram:SpecifiedLegalOrganization/ram:ID", "schemeID")
    uri = r.first(el, "ram:URIUniversalCommunication/ram:URIID")
    if uri is not None and uri.text and uri.text.strip():
        data["electronic_address"] = ElectronicAddress(value=uri.text.strip(), scheme=(uri.get("schemeID") or "").strip())
    for reg in r.all(el, "ram:SpecifiedTaxRegistration/ram:ID"):
        scheme = (reg.get("schemeID") or "").upper()
        value = (reg.text or "").strip()
        if not value:
            continue
        if scheme == "VA" and "vat_id" not in data:
            data["vat_id"] = value
        elif scheme == "FC" and cls is Seller:
            data["tax_registration_id"] = value
    ct = r.first(el, "ram:DefinedTradeContact")
    if ct is not None:
        data["contact"] = Contact(
            name=r.text(ct, "ram:PersonName") or r.text(ct, "ram:DepartmentName"),
            phone=r.text(ct, "ram:TelephoneUniversalCommunication/ram:CompleteNumber"),
            email=r.text(ct, "ram:EmailURIUniversalCommunication/ram:URIID"),
        )
    if cls is Seller:
        data["legal_info"] = r.text(el, "ram:Description")
    return cls(**data)


class _AcPaths(NamedTuple):
    """Where one syntax keeps the BG-20/BG-21 (document) and BG-27/BG-28 (line) allowance/charge terms."""

    indicator: tuple[str, ...]  # first non-empty wins
    amount: str
    base_amount: str
    percentage: str
    reason: str
    reason_code: str
    vat_category: str
    vat_rate: str


_CII_AC = _AcPaths(
    ("ram:ChargeIndicator/udt:Indicator", "ram:ChargeIndicator"),
    "ram:ActualAmount",
    "ram:BasisAmount",
    "ram:CalculationPercent",
    "ram:Reason",
    "ram:ReasonCode",
    "ram:CategoryTradeTax/ram:CategoryCode",
    "ram:CategoryTradeTax/ram:RateApplicablePercent",
)
_UBL_AC = _AcPaths(
    ("cbc:ChargeIndicator",),
    "cbc:Amount",
    "cbc:BaseAmount",
    "cbc:MultiplierFactorNumeric",
    "cbc:AllowanceChargeReason",
    "cbc:AllowanceChargeReasonCode",
    "cac:TaxCategory/cbc:ID",
    "cac:TaxCategory/cbc:Percent",
)


def _allowance_charges(
    r: _R, elements: list[Any], p: _AcPaths, doc_level: bool, field: str
) -> tuple[list[Any], list[Any]]:
    allowances: list[Any] = []
    charges: list[Any] = []
    for i, ac in enumerate(elements):
        indicator = next((v for v in (r.text(ac, path) for path in p.indicator) if v), "")
        f = f"{field}[{i}]"
        data: dict[str, Any] = {
            "amount": _or0(r.dec(ac, p.amount, f + ".amount")),
            "base_amount": r.dec(ac, p.base_amount, f + ".baseAmount"),
            "percentage": r.dec(ac, p.percentage, f + ".percentage"),
            "reason": r.text(ac, p.reason),
            "reason_code": r.text(ac, p.reason_code),
        }
        if doc_level:
            data["vat_category"] = r.text(ac, p.vat_category) or ""
            data["vat_rate"] = r.dec(ac, p.vat_rate, f + ".vatRate")
            item = DocumentAllowanceCharge(**data)
        else:
            item = LineAllowanceCharge(**data)
        (charges if indicator.lower() in ("true", "1") else allowances).append(item)
    return allowances, charges


def _cii_period(r: _R, el: Any, field: str) -> Period | None:
    if el is None:
        return None
    p = Period(start=_cii_date(r, r.first(el, "ram:StartDateTime"), field + ".start"),
               end=_cii_date(r, r.first(el, "ram:EndDateTime"), field + ".end"))
    return _none_if_empty(p)


def parse_cii(root: Any) -> Invoice:
    """Map a ``rsm:CrossIndustryInvoice`` element to the model."""
    r = _R(CII_NS)
    ctx = r.first(root, "rsm:ExchangedDocumentContext")
    doc = r.first(root, "rsm:ExchangedDocument")
    tx = r.first(root, "rsm:SupplyChainTradeTransaction")
    agr = r.first(tx, "ram:ApplicableHeaderTradeAgreement")
    dlv = r.first(tx, "ram:ApplicableHeaderTradeDelivery")
    stl = r.first(tx, "ram:ApplicableHeaderTradeSettlement")

    data: dict[str, Any] = {}
    data["business_process"] = r.text(ctx, "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID")
    data["specification_id"] = r.text(ctx, "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") or ""
    data["number"] = r.text(doc, "ram:ID") or ""
    data["type_code"] = r.text(doc, "ram:TypeCode") or ""
    issue = _cii_date(r, r.first(doc, "ram:IssueDateTime"), "issueDate")
    if issue is None:
        raise InvalidInputError("The invoice issue date (BT-2) is missing",
                                [ErrorDetail(message="The invoice issue date (BT-2) is missing",
                                             message_fr="La date d'émission (BT-2) est absente",
                                             field="issueDate", rule="BR-03")])
    data["issue_date"] = issue
    notes = []
    for n in r.all(doc, "ram:IncludedNote"):
        contents = [c.text.strip() for c in r.all(n, "ram:Content") if c.text and c.text.strip()]
        if not contents:
            continue
        notes.append(Note(subject_code=r.text(n, "ram:SubjectCode"), text="\n".join(contents)))
    data["notes"] = notes

    # agreement
    data["buyer_reference"] = r.text(agr, "ram:BuyerReference")
    data["seller"] = _cii_party(r, r.first(agr, "ram:SellerTradeParty"), Seller)
    data["buyer"] = _cii_party(r, r.first(agr, "ram:BuyerTradeParty"), Buyer)
    tr = r.first(agr, "ram:SellerTaxRepresentativeTradeParty")
    if tr is not None:
        data["tax_representative"] = TaxRepresentative(
            name=r.text(tr, "ram:Name") or "",
            vat_id=r.text(tr, "ram:SpecifiedTaxRegistration/ram:ID") or "",
            address=_cii_address(r, r.first(tr, "ram:PostalTradeAddress")) or Address(country_code=""),
        )
    data["sales_order_reference"] = r.text(agr, "ram:SellerOrderReferencedDocument/ram:IssuerAssignedID")
    data["purchase_order_reference"] = r.text(agr, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID")
    data["contract_reference"] = r.text(agr, "ram:ContractReferencedDocument/ram:IssuerAssignedID")
    docs = []
    for ad in r.all(agr, "ram:AdditionalReferencedDocument"):
        code = r.text(ad, "ram:TypeCode")
        ident = r.text(ad, "ram:IssuerAssignedID") or ""
        if code == "50":
            data["tender_reference"] = ident
        elif code == "130":
            data["invoiced_object_id"] = Identifier(value=ident, scheme=r.text(ad, "ram:ReferenceTypeCode"))
        elif code in ("916", None):
            att = r.first(ad, "ram:AttachmentBinaryObject")
            docs.append(AdditionalDocument(
                id=ident,
                description=r.text(ad, "ram:Name"),
                uri=r.text(ad, "ram:URIID"),
                content_b64="".join((att.text or "").split()) if att is not None else None,
                mime_code=att.get("mimeCode") if att is not None else None,
                filename=att.get("filename") if att is not None else None,
            ))
    data["additional_documents"] = docs
    data["project_reference"] = r.text(agr, "ram:SpecifiedProcuringProject/ram:ID")

    # delivery
    ship = r.first(dlv, "ram:ShipToTradeParty")
    ev = r.first(dlv, "ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime")
    if ship is not None or ev is not None:
        ids = _cii_ids(r, ship) if ship is not None else []
        data["delivery"] = _none_if_empty(Delivery(
            party_name=r.text(ship, "ram:Name") if ship is not None else None,
            location_id=ids[0] if ids else None,
            date=_cii_date(r, ev, "delivery.date"),
            address=_cii_address(r, r.first(ship, "ram:PostalTradeAddress")) if ship is not None else None,
        ))
    data["despatch_advice_reference"] = r.text(dlv, "ram:DespatchAdviceReferencedDocument/ram:IssuerAssignedID")
    data["receiving_advice_reference"] = r.text(dlv, "ram:ReceivingAdviceReferencedDocument/ram:IssuerAssignedID")

    # settlement
    currency = r.text(stl, "ram:InvoiceCurrencyCode") or ""
    data["currency"] = currency
    data["tax_currency"] = r.text(stl, "ram:TaxCurrencyCode")
    payee = r.first(stl, "ram:PayeeTradeParty")
    if payee is not None:
        ids = _cii_ids(r, payee)
        legal = r.first(payee, "ram:SpecifiedLegalOrganization/ram:ID")
        data["payee"] = Payee(
            name=r.text(payee, "ram:Name") or "",
            identifier=ids[0] if ids else None,
            legal_id=Identifier(value=legal.text.strip(), scheme=legal.get("schemeID")) if legal is not None
            and legal.text and legal.text.strip() else None,
        )
    means = r.all(stl, "ram:SpecifiedTradeSettlementPaymentMeans")
    terms = r.all(stl, "ram:SpecifiedTradePaymentTerms")
    mandate = next((m for m in (r.text(t, "ram:DirectDebitMandateID") for t in terms) if m), None)
    creditor = r.text(stl, "ram:CreditorReferenceID")
    if means:
        transfers = []
        card = None
        debited = None
        for pm in means:
            acc = r.first(pm, "ram:PayeePartyCreditorFinancialAccount")
            if acc is not None:
                account = r.text(acc, "ram:IBANID") or r.text(acc, "ram:ProprietaryID")
                if account:
                    transfers.append(CreditTransfer(
                        account_id=account,
                        account_name=r.text(acc, "ram:AccountName"),
                        bic=r.text(pm, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID"),
                    ))
            cd = r.first(pm, "ram:ApplicableTradeSettlementFinancialCard")
            if cd is not None and card is None:
                card = PaymentCard(account_number=r.text(cd, "ram:ID") or "", holder_name=r.text(cd, "ram:CardholderName"))
            debited = debited or r.text(pm, "ram:PayerPartyDebtorFinancialAccount/ram:IBANID") \
                or r.text(pm, "ram:PayerPartyDebtorFinancialAccount/ram:ProprietaryID")
        dd = None
        if mandate or creditor or debited:
            dd = DirectDebit(mandate_reference=mandate, creditor_id=creditor, debited_account_id=debited)
        data["payment_instructions"] = PaymentInstructions(
            means_code=r.text(means[0], "ram:TypeCode") or "",
            means_text=r.text(means[0], "ram:Information"),
            remittance_information=r.text(stl, "ram:PaymentReference"),
            credit_transfers=transfers,
            card=card,
            direct_debit=dd,
        )
    breakdown = []
    tax_point = None
    due_code = None
    for i, tt in enumerate(r.all(stl, "ram:ApplicableTradeTax")):
        f = f"vatBreakdown[{i}]"
        breakdown.append(VatBreakdown(
            category=r.text(tt, "ram:CategoryCode") or "",
            rate=r.dec(tt, "ram:RateApplicablePercent", f + ".rate"),
            taxable_amount=r.dec(tt, "ram:BasisAmount", f + ".taxableAmount"),
            tax_amount=r.dec(tt, "ram:CalculatedAmount", f + ".taxAmount"),
            exemption_reason=r.text(tt, "ram:ExemptionReason"),
            exemption_reason_code=r.text(tt, "ram:ExemptionReasonCode"),
        ))
        tax_point = tax_point or _cii_date(r, r.first(tt, "ram:TaxPointDate"), "taxPointDate")
        code = r.text(tt, "ram:DueDateTypeCode")
        if code and due_code is None:
            due_code = VAT_DUE_FROM_CII.get(code, code)
    data["vat_breakdown"] = breakdown
    data["tax_point_date"] = tax_point
    data["vat_due_date_code"] = due_code
    data["invoicing_period"] = _cii_period(r, r.first(stl, "ram:BillingSpecifiedPeriod"), "invoicingPeriod")
    data["allowances"], data["charges"] = _allowance_charges(
        r, r.all(stl, "ram:SpecifiedTradeAllowanceCharge"), _CII_AC, True, "allowancesCharges")
    data["payment_terms"] = next((d for d in (r.text(t, "ram:Description") for t in terms) if d), None)
    data["due_date"] = next((d for d in (_cii_date(r, r.first(t, "ram:DueDateDateTime"), "dueDate") for t in terms)
                             if d), None)
    ms = r.first(stl, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    if ms is not None:
        tax_total = tax_acc = None
        for el in r.all(ms, "ram:TaxTotalAmount"):
            cur = el.get("currencyID")
            value = r.dec(el, ".", "totals.taxAmount")
            if (cur is None or cur == currency) and tax_total is None:
                tax_total = value
            elif data["tax_currency"] and cur == data["tax_currency"]:
                tax_acc = value
        data["totals"] = DocumentTotals(
            line_total=r.dec(ms, "ram:LineTotalAmount", "totals.lineTotal"),
            charge_total=r.dec(ms, "ram:ChargeTotalAmount", "totals.chargeTotal"),
            allowance_total=r.dec(ms, "ram:AllowanceTotalAmount", "totals.allowanceTotal"),
            tax_exclusive=r.dec(ms, "ram:TaxBasisTotalAmount", "totals.taxExclusive"),
            tax_amount=tax_total,
            tax_amount_accounting=tax_acc,
            rounding=r.dec(ms, "ram:RoundingAmount", "totals.rounding"),
            tax_inclusive=r.dec(ms, "ram:GrandTotalAmount", "totals.taxInclusive"),
            prepaid=r.dec(ms, "ram:TotalPrepaidAmount", "totals.prepaid"),
            payable=r.dec(ms, "ram:DuePayableAmount", "totals.payable"),
        )
    data["preceding_invoices"] = [
        PrecedingInvoiceReference(
            number=r.text(rd, "ram:IssuerAssignedID") or "",
            issue_date=_cii_date(r, r.first(rd, "ram:FormattedIssueDateTime"), f"precedingInvoices[{i}].issueDate"),
        )
        for i, rd in enumerate(r.all(stl, "ram:InvoiceReferencedDocument"))
    ]
    data["buyer_accounting_reference"] = r.text(stl, "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID")

    # lines
    lines = []
    for i, li in enumerate(r.all(tx, "ram:IncludedSupplyChainTradeLineItem")):
        f = f"lines[{i}]"
        prod = r.first(li, "ram:SpecifiedTradeProduct")
        la = r.first(li, "ram:SpecifiedLineTradeAgreement")
        ls = r.first(li, "ram:SpecifiedLineTradeSettlement")
        gross = r.first(la, "ram:GrossPriceProductTradePrice")
        net = r.first(la, "ram:NetPriceProductTradePrice")
        discount = None
        if gross is not None:
            for pac in r.all(gross, "ram:AppliedTradeAllowanceCharge"):
                ind = (r.text(pac, "ram:ChargeIndicator/udt:Indicator") or "false").lower()
                amt = r.dec(pac, "ram:ActualAmount", f + ".priceDiscount")
                if amt is not None and ind in ("false", "0"):
                    discount = (discount or Decimal(0)) + amt
        qty_el = r.first(li, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
        base_q = r.first(net, "ram:BasisQuantity") if net is not None else None
        allowances, charges = _allowance_charges(
            r, r.all(ls, "ram:SpecifiedTradeAllowanceCharge"), _CII_AC, False, f + ".allowances")
        obj = None
        for od in r.all(ls, "ram:AdditionalReferencedDocument"):
            if r.text(od, "ram:TypeCode") == "130":
                obj = Identifier(value=r.text(od, "ram:IssuerAssignedID") or "", scheme=r.text(od, "ram:ReferenceTypeCode"))
        gid = r.first(prod, "ram:GlobalID")
        lines.append(InvoiceLine(
            id=r.text(li, "ram:AssociatedDocumentLineDocument/ram:LineID") or str(i + 1),
            parent_line_id=r.text(li, "ram:AssociatedDocumentLineDocument/ram:ParentLineID"),
            line_status=r.text(li, "ram:AssociatedDocumentLineDocument/ram:LineStatusReasonCode"),
            note="\n".join(t.strip() for t in r.all(li, "ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content/text()")
                           if t.strip()) or None,
            object_id=obj,
            quantity=r.dec(qty_el, ".", f + ".quantity") if qty_el is not None else Decimal("0"),
            unit_code=(qty_el.get("unitCode") if qty_el is not None else None) or "",
            net_amount=r.dec(ls, "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", f + ".netAmount"),
            order_line_reference=r.text(la, "ram:BuyerOrderReferencedDocument/ram:LineID"),
            accounting_reference=r.text(ls, "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID"),
            period=_cii_period(r, r.first(ls, "ram:BillingSpecifiedPeriod"), f + ".period"),
            allowances=allowances,
            charges=charges,
            net_price=_or0(r.dec(net, "ram:ChargeAmount", f + ".netPrice") if net is not None else None),
            price_discount=_none_if_zero(discount),  # a 0 discount is no discount (as in UBL)
            gross_price=r.dec(gross, "ram:ChargeAmount", f + ".grossPrice") if gross is not None else None,
            base_quantity=r.dec(base_q, ".", f + ".baseQuantity") if base_q is not None else None,
            base_quantity_unit_code=base_q.get("unitCode") if base_q is not None else None,
            vat_category=r.text(ls, "ram:ApplicableTradeTax/ram:CategoryCode") or "",
            vat_rate=r.dec(ls, "ram:ApplicableTradeTax/ram:RateApplicablePercent", f + ".vatRate"),
            name=r.text(prod, "ram:Name") or "",
            description=r.text(prod, "ram:Description"),
            seller_item_id=r.text(prod, "ram:SellerAssignedID"),
            buyer_item_id=r.text(prod, "ram:BuyerAssignedID"),
            standard_item_id=Identifier(value=gid.text.strip(), scheme=gid.get("schemeID"))
            if gid is not None and gid.text and gid.text.strip() else None,
            classification_ids=[Identifier(value=c.text.strip(), scheme=c.get("listID"))
                                for c in r.all(prod, "ram:DesignatedProductClassification/ram:ClassCode")
                                if c.text and c.text.strip()],
            origin_country=r.text(prod, "ram:OriginTradeCountry/ram:ID"),
            attributes=[ItemAttribute(name=r.text(pc, "ram:Description") or "", value=r.text(pc, "ram:Value") or "")
                        for pc in r.all(prod, "ram:ApplicableProductCharacteristic")],
        ))
    data["lines"] = lines
    return _build(data)


def _build(data: dict[str, Any]) -> Invoice:
    from pydantic import ValidationError

    try:
        return Invoice(**{k: v for k, v in data.items() if v is not None or k in ("tax_point_date",)})
    except ValidationError as err:
        details = [ErrorDetail(message=e["msg"], field=".".join(str(p) for p in e["loc"])) for e in err.errors()]
        raise InvalidInputError("The invoice XML cannot be mapped to the model", details) from None


# --------------------------------------------------------------------------- UBL


def _ubl_address(r: _R, el: Any) -> Address | None:
    if el is None:
        return None
    return Address(
        line1=r.text(el, "cbc:StreetName"),
        line2=r.text(el, "cbc:AdditionalStreetName"),
        line3=r.text(el, "cac:AddressLine/cbc:Line"),
        city=r.text(el, "cbc:CityName"),
        postcode=r.text(el, "cbc:PostalZone"),
        country_subdivision=r.text(el, "cbc:CountrySubentity"),
        country_code=r.text(el, "cac:Country/cbc:IdentificationCode") or "",
    )


def _ubl_party(r: _R, el: Any, cls: type) -> tuple[Any, str | None]:
    """(party, SEPA creditor id found among the identifiers)."""
    sepa = None
    ids = []
    for pid in r.all(el, "cac:PartyIdentification/cbc:ID"):
        v = (pid.text or "").strip()
        scheme = (pid.get("schemeID") or "").strip() or None
        if not v:
            continue
        if scheme == "SEPA":
            sepa = v
        else:
            ids.append(Identifier(value=v, scheme=scheme))
    name = r.text(el, "cac:PartyLegalEntity/cbc:RegistrationName")
    trading = r.text(el, "cac:PartyName/cbc:Name")
    if name is None:
        name, trading = trading, None
    data: dict[str, Any] = {
        "name": name or "",
        "trading_name": trading,
        "identifiers": ids,
        "address": _ubl_address(r, r.first(el, "cac:PostalAddress")) or Address(country_code=""),
    }
    siren = r.first(el, "cac:PartyLegalEntity/cbc:CompanyID")
    if siren is not None and siren.text and siren.text.strip():
        data["siren"] = siren.text.strip()
        data["siren_scheme"] = (siren.get("schemeID") or "").strip() or None
    ep = r.first(el, "cbc:EndpointID")
    if ep is not None and ep.text and ep.text.strip():
        data["electronic_address"] = ElectronicAddress(value=ep.text.strip(), scheme=(ep.get("schemeID") or "").strip())
    for ts in r.all(el, "cac:PartyTaxScheme"):
        cid = r.text(ts, "cbc:CompanyID")
        scheme = (r.text(ts, "cac:TaxScheme/cbc:ID") or "").upper()
        if not cid:
            continue
        if scheme == "VAT" and "vat_id" not in data:
            data["vat_id"] = cid
        elif scheme != "VAT" and cls is Seller:
            data["tax_registration_id"] = cid
    ct = r.first(el, "cac:Contact")
    if ct is not None:
        data["contact"] = Contact(name=r.text(ct, "cbc:Name"), phone=r.text(ct, "cbc:Telephone"),
                                  email=r.text(ct, "cbc:ElectronicMail"))
    if cls is Seller:
        data["legal_info"] = r.text(el, "cac:PartyLegalEntity/cbc:CompanyLegalForm")
    return cls(**data), sepa


def _ubl_notes(texts: list[str]) -> list[Note]:
    notes = []
    for t in texts:
        t = t.strip()
        if not t:
            continue
        if t.startswith("#") and _NOTE_RE.match(t):
            parts = _NOTE_RE.split(t)
            # ['', code1, text1, code2, text2, ...]; text may be empty
            for k in range(1, len(parts) - 1, 2):
                body = parts[k + 1].strip()
                if body.endswith("#"):
                    body = body[:-1].rstrip()
                notes.append(Note(subject_code=parts[k], text=body))
        else:
            notes.append(Note(text=t))
    return notes


def _ubl_period(r: _R, el: Any, field: str) -> Period | None:
    if el is None:
        return None
    return _none_if_empty(Period(start=_iso_date(r, el, "cbc:StartDate", field + ".start"),
                                 end=_iso_date(r, el, "cbc:EndDate", field + ".end")))


def parse_ubl(root: Any) -> Invoice:
    """Map a UBL ``Invoice`` or ``CreditNote`` element to the model."""
    from lxml import etree  # lazy

    r = _R(UBL_NS)
    credit = etree.QName(root).localname == "CreditNote"
    data: dict[str, Any] = {}
    data["specification_id"] = r.text(root, "cbc:CustomizationID") or ""
    data["business_process"] = r.text(root, "cbc:ProfileID")
    data["number"] = r.text(root, "cbc:ID") or ""
    issue = _iso_date(r, root, "cbc:IssueDate", "issueDate")
    if issue is None:
        raise InvalidInputError("The invoice issue date (BT-2) is missing",
                                [ErrorDetail(message="The invoice issue date (BT-2) is missing",
                                             message_fr="La date d'émission (BT-2) est absente",
                                             field="issueDate", rule="BR-03")])
    data["issue_date"] = issue
    data["type_code"] = r.text(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode") or ""
    data["due_date"] = _iso_date(r, root, "cbc:DueDate", "dueDate") or _iso_date(
        r, root, "cac:PaymentMeans/cbc:PaymentDueDate", "dueDate") or _iso_date(
        r, root, "cac:PaymentTerms/cbc:PaymentDueDate", "dueDate")
    data["notes"] = _ubl_notes([n.text or "" for n in r.all(root, "cbc:Note")])
    data["tax_point_date"] = _iso_date(r, root, "cbc:TaxPointDate", "taxPointDate")
    currency = r.text(root, "cbc:DocumentCurrencyCode") or ""
    data["currency"] = currency
    data["tax_currency"] = r.text(root, "cbc:TaxCurrencyCode")
    data["buyer_accounting_reference"] = r.text(root, "cbc:AccountingCost")
    data["buyer_reference"] = r.text(root, "cbc:BuyerReference")
    ip = r.first(root, "cac:InvoicePeriod")
    data["invoicing_period"] = _ubl_period(r, ip, "invoicingPeriod")
    data["vat_due_date_code"] = r.text(ip, "cbc:DescriptionCode") if ip is not None else None
    po = r.text(root, "cac:OrderReference/cbc:ID")
    data["sales_order_reference"] = r.text(root, "cac:OrderReference/cbc:SalesOrderID")
    data["purchase_order_reference"] = None if (po == "NA" and data["sales_order_reference"]) else po
    data["preceding_invoices"] = [
        PrecedingInvoiceReference(number=r.text(b, "cbc:ID") or "",
                                  issue_date=_iso_date(r, b, "cbc:IssueDate", f"precedingInvoices[{i}].issueDate"))
        for i, b in enumerate(r.all(root, "cac:BillingReference/cac:InvoiceDocumentReference"))
    ]
    data["despatch_advice_reference"] = r.text(root, "cac:DespatchDocumentReference/cbc:ID")
    data["receiving_advice_reference"] = r.text(root, "cac:ReceiptDocumentReference/cbc:ID")
    data["tender_reference"] = r.text(root, "cac:OriginatorDocumentReference/cbc:ID")
    data["contract_reference"] = r.text(root, "cac:ContractDocumentReference/cbc:ID")
    data["project_reference"] = r.text(root, "cac:ProjectReference/cbc:ID")
    docs = []
    for ad in r.all(root, "cac:AdditionalDocumentReference"):
        code = r.text(ad, "cbc:DocumentTypeCode")
        idel = r.first(ad, "cbc:ID")
        ident = (idel.text or "").strip() if idel is not None and idel.text else ""
        if code == "130":
            data["invoiced_object_id"] = Identifier(value=ident, scheme=(idel.get("schemeID") if idel is not None else None))
        elif code == "50" and not data["project_reference"]:
            data["project_reference"] = ident
        else:
            att = r.first(ad, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject")
            docs.append(AdditionalDocument(
                id=ident,
                description=r.text(ad, "cbc:DocumentDescription"),
                uri=r.text(ad, "cac:Attachment/cac:ExternalReference/cbc:URI"),
                content_b64="".join((att.text or "").split()) if att is not None else None,
                mime_code=att.get("mimeCode") if att is not None else None,
                filename=att.get("filename") if att is not None else None,
            ))
    data["additional_documents"] = docs
    seller, sepa_s = _ubl_party(r, r.first(root, "cac:AccountingSupplierParty/cac:Party"), Seller)
    buyer, _ = _ubl_party(r, r.first(root, "cac:AccountingCustomerParty/cac:Party"), Buyer)
    data["seller"], data["buyer"] = seller, buyer
    sepa = sepa_s
    pe = r.first(root, "cac:PayeeParty")
    if pe is not None:
        pid = None
        for el in r.all(pe, "cac:PartyIdentification/cbc:ID"):
            scheme = (el.get("schemeID") or "").strip() or None
            if scheme == "SEPA":
                sepa = (el.text or "").strip() or sepa
            elif pid is None and el.text and el.text.strip():
                pid = Identifier(value=el.text.strip(), scheme=scheme)
        legal = r.first(pe, "cac:PartyLegalEntity/cbc:CompanyID")
        data["payee"] = Payee(
            name=r.text(pe, "cac:PartyName/cbc:Name") or "",
            identifier=pid,
            legal_id=Identifier(value=legal.text.strip(), scheme=(legal.get("schemeID") or None))
            if legal is not None and legal.text and legal.text.strip() else None,
        )
    tr = r.first(root, "cac:TaxRepresentativeParty")
    if tr is not None:
        data["tax_representative"] = TaxRepresentative(
            name=r.text(tr, "cac:PartyName/cbc:Name") or "",
            vat_id=r.text(tr, "cac:PartyTaxScheme/cbc:CompanyID") or "",
            address=_ubl_address(r, r.first(tr, "cac:PostalAddress")) or Address(country_code=""),
        )
    de = r.first(root, "cac:Delivery")
    if de is not None:
        loc = r.first(de, "cac:DeliveryLocation/cbc:ID")
        data["delivery"] = _none_if_empty(Delivery(
            date=_iso_date(r, de, "cbc:ActualDeliveryDate", "delivery.date"),
            location_id=Identifier(value=loc.text.strip(), scheme=(loc.get("schemeID") or None))
            if loc is not None and loc.text and loc.text.strip() else None,
            address=_ubl_address(r, r.first(de, "cac:DeliveryLocation/cac:Address")),
            party_name=r.text(de, "cac:DeliveryParty/cac:PartyName/cbc:Name"),
        ))
    means = r.all(root, "cac:PaymentMeans")
    if means:
        transfers = []
        card = None
        mandate = debited = None
        for pm in means:
            fa = r.first(pm, "cac:PayeeFinancialAccount")
            if fa is not None and r.text(fa, "cbc:ID"):
                transfers.append(CreditTransfer(account_id=r.text(fa, "cbc:ID") or "",
                                                account_name=r.text(fa, "cbc:Name"),
                                                bic=r.text(fa, "cac:FinancialInstitutionBranch/cbc:ID")))
            ca = r.first(pm, "cac:CardAccount")
            if ca is not None and card is None:
                card = PaymentCard(account_number=r.text(ca, "cbc:PrimaryAccountNumberID") or "",
                                   holder_name=r.text(ca, "cbc:HolderName"))
            mandate = mandate or r.text(pm, "cac:PaymentMandate/cbc:ID")
            debited = debited or r.text(pm, "cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID")
        code_el = r.first(means[0], "cbc:PaymentMeansCode")
        data["payment_instructions"] = PaymentInstructions(
            means_code=(code_el.text or "").strip() if code_el is not None and code_el.text else "",
            means_text=(code_el.get("name") if code_el is not None else None) or None,
            remittance_information=r.text(means[0], "cbc:PaymentID"),
            credit_transfers=transfers,
            card=card,
            direct_debit=DirectDebit(mandate_reference=mandate, creditor_id=sepa, debited_account_id=debited)
            if (mandate or sepa or debited) else None,
        )
    data["payment_terms"] = r.text(root, "cac:PaymentTerms/cbc:Note")
    data["allowances"], data["charges"] = _allowance_charges(
        r, r.all(root, "cac:AllowanceCharge"), _UBL_AC, True, "allowancesCharges")
    breakdown = []
    tax_total = tax_acc = None
    for tt in r.all(root, "cac:TaxTotal"):
        amt_el = r.first(tt, "cbc:TaxAmount")
        cur = amt_el.get("currencyID") if amt_el is not None else None
        value = r.dec(tt, "cbc:TaxAmount", "totals.taxAmount")
        subs = r.all(tt, "cac:TaxSubtotal")
        if subs or (cur in (None, currency) and tax_total is None):
            if tax_total is None:
                tax_total = value
            for st in subs:
                f = f"vatBreakdown[{len(breakdown)}]"
                breakdown.append(VatBreakdown(
                    category=r.text(st, "cac:TaxCategory/cbc:ID") or "",
                    rate=r.dec(st, "cac:TaxCategory/cbc:Percent", f + ".rate"),
                    taxable_amount=r.dec(st, "cbc:TaxableAmount", f + ".taxableAmount"),
                    tax_amount=r.dec(st, "cbc:TaxAmount", f + ".taxAmount"),
                    exemption_reason=r.text(st, "cac:TaxCategory/cbc:TaxExemptionReason"),
                    exemption_reason_code=r.text(st, "cac:TaxCategory/cbc:TaxExemptionReasonCode"),
                ))
        else:
            tax_acc = value
    data["vat_breakdown"] = breakdown
    lm = r.first(root, "cac:LegalMonetaryTotal")
    if lm is not None:
        data["totals"] = DocumentTotals(
            line_total=r.dec(lm, "cbc:LineExtensionAmount", "totals.lineTotal"),
            tax_exclusive=r.dec(lm, "cbc:TaxExclusiveAmount", "totals.taxExclusive"),
            tax_inclusive=r.dec(lm, "cbc:TaxInclusiveAmount", "totals.taxInclusive"),
            allowance_total=r.dec(lm, "cbc:AllowanceTotalAmount", "totals.allowanceTotal"),
            charge_total=r.dec(lm, "cbc:ChargeTotalAmount", "totals.chargeTotal"),
            prepaid=r.dec(lm, "cbc:PrepaidAmount", "totals.prepaid"),
            rounding=r.dec(lm, "cbc:PayableRoundingAmount", "totals.rounding"),
            payable=r.dec(lm, "cbc:PayableAmount", "totals.payable"),
            tax_amount=tax_total,
            tax_amount_accounting=tax_acc,
        )
    lines = []
    for i, li in enumerate(r.all(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")):
        f = f"lines[{i}]"
        qty = r.first(li, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity")
        item = r.first(li, "cac:Item")
        price = r.first(li, "cac:Price")
        bq = r.first(price, "cbc:BaseQuantity") if price is not None else None
        pac = r.first(price, "cac:AllowanceCharge") if price is not None else None
        allowances, charges = _allowance_charges(
            r, r.all(li, "cac:AllowanceCharge"), _UBL_AC, False, f + ".allowances")
        obj = None
        for dr in r.all(li, "cac:DocumentReference"):
            if r.text(dr, "cbc:DocumentTypeCode") == "130":
                idel = r.first(dr, "cbc:ID")
                obj = Identifier(value=(idel.text or "").strip(), scheme=idel.get("schemeID") or None)
        std = r.first(item, "cac:StandardItemIdentification/cbc:ID")
        status = parent = None
        for bref in r.all(li, "cac:BillingReference"):
            status = status or r.text(bref, "cac:InvoiceDocumentReference/cbc:DocumentStatusCode")
            parent = parent or r.text(bref, "cac:BillingReferenceLine/cbc:ID")
        lines.append(InvoiceLine(
            id=r.text(li, "cbc:ID") or str(i + 1),
            parent_line_id=parent,
            line_status=status,
            note="\n".join(t.strip() for t in r.all(li, "cbc:Note/text()") if t.strip()) or None,
            object_id=obj,
            quantity=_or0(r.dec(qty, ".", f + ".quantity") if qty is not None else None),
            unit_code=(qty.get("unitCode") if qty is not None else None) or "",
            net_amount=r.dec(li, "cbc:LineExtensionAmount", f + ".netAmount"),
            order_line_reference=r.text(li, "cac:OrderLineReference/cbc:LineID"),
            accounting_reference=r.text(li, "cbc:AccountingCost"),
            period=_ubl_period(r, r.first(li, "cac:InvoicePeriod"), f + ".period"),
            allowances=allowances,
            charges=charges,
            net_price=_or0(r.dec(price, "cbc:PriceAmount", f + ".netPrice") if price is not None else None),
            base_quantity=r.dec(bq, ".", f + ".baseQuantity") if bq is not None else None,
            base_quantity_unit_code=(bq.get("unitCode") or None) if bq is not None else None,
            # a gross price without discount is written with a 0 discount (UBL needs cbc:Amount)
            price_discount=_none_if_zero(r.dec(pac, "cbc:Amount", f + ".priceDiscount")) if pac is not None else None,
            gross_price=r.dec(pac, "cbc:BaseAmount", f + ".grossPrice") if pac is not None else None,
            vat_category=r.text(item, "cac:ClassifiedTaxCategory/cbc:ID") or "",
            vat_rate=r.dec(item, "cac:ClassifiedTaxCategory/cbc:Percent", f + ".vatRate"),
            name=r.text(item, "cbc:Name") or "",
            description=r.text(item, "cbc:Description"),
            seller_item_id=r.text(item, "cac:SellersItemIdentification/cbc:ID"),
            buyer_item_id=r.text(item, "cac:BuyersItemIdentification/cbc:ID"),
            standard_item_id=Identifier(value=std.text.strip(), scheme=std.get("schemeID") or None)
            if std is not None and std.text and std.text.strip() else None,
            classification_ids=[Identifier(value=c.text.strip(), scheme=c.get("listID") or None)
                                for c in r.all(item, "cac:CommodityClassification/cbc:ItemClassificationCode")
                                if c.text and c.text.strip()],
            origin_country=r.text(item, "cac:OriginCountry/cbc:IdentificationCode"),
            attributes=[ItemAttribute(name=r.text(ap, "cbc:Name") or "", value=r.text(ap, "cbc:Value") or "")
                        for ap in r.all(item, "cac:AdditionalItemProperty")],
        ))
    data["lines"] = lines
    return _build(data)
