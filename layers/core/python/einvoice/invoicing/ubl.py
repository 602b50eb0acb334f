"""OASIS UBL 2.1 writer: ``Invoice`` for invoices, ``CreditNote`` for credit notes.

``to_ubl(invoice) -> bytes``. Credit note type codes (381, 261, 262, 396, 502, 503) produce a
``CreditNote`` document (``CreditNoteTypeCode``, ``CreditNoteLine``, ``CreditedQuantity``,
BT-9 in ``PaymentMeans/PaymentDueDate``); the others an ``Invoice``.

EN 16931 UBL binding notes: notes carry the subject code as ``#CODE#text`` (French
convention), BT-8 goes to ``InvoicePeriod/DescriptionCode`` (UNTDID 2005), BT-90 is a
``PartyIdentification/ID[@schemeID='SEPA']`` of the payee (or seller), BT-11 of a credit
note is an ``AdditionalDocumentReference`` with type code 50, BT-148/BT-147 are the
``Price/AllowanceCharge`` base amount / amount. A gross price without a price discount is
written with a 0 discount.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from . import calc
from .model import CREDIT_NOTE_TYPE_CODES, UBL_SPECIFICATION_IDS, Address, Invoice
from .xmlwriter import XmlBuilder

__all__ = ["INVOICE_NS", "CREDITNOTE_NS", "CAC", "CBC", "to_ubl", "to_ubl_tree", "is_credit_note_document"]

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDITNOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_NS = {"cac": CAC, "cbc": CBC}


def is_credit_note_document(invoice: Invoice) -> bool:
    return invoice.type_code in CREDIT_NOTE_TYPE_CODES


def _d(value: Decimal) -> str:
    return format(value, "f")


def _date(value: _dt.date) -> str:
    return value.isoformat()


class _W(XmlBuilder):
    def __init__(self, currency: str) -> None:
        super().__init__(_NS)
        self.cur = currency

    def amount(self, parent: Any, tag: str, value: Decimal | None, currency: str | None = None) -> Any:
        if value is None:
            return None
        return self.sub(parent, tag, _d(value), currencyID=currency or self.cur)

    def address(self, parent: Any, tag: str, a: Address | None) -> None:
        if a is None:
            return
        el = self.sub(parent, tag)
        self.opt(el, "cbc:StreetName", a.line1)
        self.opt(el, "cbc:AdditionalStreetName", a.line2)
        self.opt(el, "cbc:CityName", a.city)
        self.opt(el, "cbc:PostalZone", a.postcode)
        self.opt(el, "cbc:CountrySubentity", a.country_subdivision)
        if a.line3:
            self.sub(self.sub(el, "cac:AddressLine"), "cbc:Line", a.line3)
        self.sub(self.sub(el, "cac:Country"), "cbc:IdentificationCode", a.country_code)

    def tax_category(self, parent: Any, tag: str, category: str, rate: Decimal | None,
                     reason_code: str | None = None, reason: str | None = None) -> None:
        el = self.sub(parent, tag)
        self.sub(el, "cbc:ID", category)
        if rate is not None:
            self.sub(el, "cbc:Percent", _d(rate))
        self.opt(el, "cbc:TaxExemptionReasonCode", reason_code)
        self.opt(el, "cbc:TaxExemptionReason", reason)
        self.sub(self.sub(el, "cac:TaxScheme"), "cbc:ID", "VAT")

    def party(self, parent: Any, tag: str, p: Any, sepa: str | None = None) -> None:
        el = self.sub(self.sub(parent, tag), "cac:Party")
        if p.electronic_address is not None:
            self.sub(el, "cbc:EndpointID", p.electronic_address.value, schemeID=p.electronic_address.scheme)
        for i in p.identifiers:
            self.sub(self.sub(el, "cac:PartyIdentification"), "cbc:ID", i.value, schemeID=i.scheme)
        if sepa:
            self.sub(self.sub(el, "cac:PartyIdentification"), "cbc:ID", sepa, schemeID="SEPA")
        if p.trading_name:
            self.sub(self.sub(el, "cac:PartyName"), "cbc:Name", p.trading_name)
        self.address(el, "cac:PostalAddress", p.address)
        if p.vat_id:
            ts = self.sub(el, "cac:PartyTaxScheme")
            self.sub(ts, "cbc:CompanyID", p.vat_id)
            self.sub(self.sub(ts, "cac:TaxScheme"), "cbc:ID", "VAT")
        if getattr(p, "tax_registration_id", None):
            ts = self.sub(el, "cac:PartyTaxScheme")
            self.sub(ts, "cbc:CompanyID", p.tax_registration_id)
            self.sub(self.sub(ts, "cac:TaxScheme"), "cbc:ID", "FC")
        le = self.sub(el, "cac:PartyLegalEntity")
        self.sub(le, "cbc:RegistrationName", p.name)
        if p.siren:
            self.sub(le, "cbc:CompanyID", p.siren, schemeID=p.siren_scheme)
        self.opt(le, "cbc:CompanyLegalForm", getattr(p, "legal_info", None))
        if p.contact is not None:
            c = self.sub(el, "cac:Contact")
            self.opt(c, "cbc:Name", p.contact.name)
            self.opt(c, "cbc:Telephone", p.contact.phone)
            self.opt(c, "cbc:ElectronicMail", p.contact.email)

    def doc_ref(self, parent: Any, tag: str, ref: str | None) -> None:
        if ref:
            self.sub(self.sub(parent, tag), "cbc:ID", ref)

    def period(self, parent: Any, start: _dt.date | None, end: _dt.date | None, code: str | None = None) -> None:
        if start is None and end is None and code is None:
            return
        el = self.sub(parent, "cac:InvoicePeriod")
        if start:
            self.sub(el, "cbc:StartDate", _date(start))
        if end:
            self.sub(el, "cbc:EndDate", _date(end))
        self.opt(el, "cbc:DescriptionCode", code)

    def allowance_charge(self, parent: Any, ac: Any, charge: bool, with_tax: bool) -> None:
        el = self.sub(parent, "cac:AllowanceCharge")
        self.sub(el, "cbc:ChargeIndicator", "true" if charge else "false")
        self.opt(el, "cbc:AllowanceChargeReasonCode", ac.reason_code)
        self.opt(el, "cbc:AllowanceChargeReason", ac.reason)
        if ac.percentage is not None:
            self.sub(el, "cbc:MultiplierFactorNumeric", _d(ac.percentage))
        self.amount(el, "cbc:Amount", ac.amount)
        self.amount(el, "cbc:BaseAmount", ac.base_amount)
        if with_tax:
            self.tax_category(el, "cac:TaxCategory", ac.vat_category, ac.vat_rate)


def to_ubl_tree(invoice: Invoice) -> Any:
    """The UBL document as an lxml element (root ``Invoice`` or ``CreditNote``)."""
    from lxml import etree  # lazy

    if not invoice.lines:
        from einvoice.errors import ErrorDetail, InvalidInputError

        raise InvalidInputError("A UBL invoice needs at least one line", [ErrorDetail(
            message="The invoice must have at least one line (BG-25)",
            message_fr="La facture doit comporter au moins une ligne (BG-25)", field="lines", rule="BR-16")])
    inv = calc.compute(invoice)
    assert inv.totals is not None
    credit = is_credit_note_document(inv)
    root_ns = CREDITNOTE_NS if credit else INVOICE_NS
    root = etree.Element(f"{{{root_ns}}}{'CreditNote' if credit else 'Invoice'}",
                         nsmap={None: root_ns, "cac": CAC, "cbc": CBC})
    w = _W(inv.currency)
    w.sub(root, "cbc:CustomizationID", inv.specification_id or UBL_SPECIFICATION_IDS["en16931"])
    w.opt(root, "cbc:ProfileID", inv.business_process)
    w.sub(root, "cbc:ID", inv.number)
    w.sub(root, "cbc:IssueDate", _date(inv.issue_date))
    if credit:
        if inv.tax_point_date:
            w.sub(root, "cbc:TaxPointDate", _date(inv.tax_point_date))
        w.sub(root, "cbc:CreditNoteTypeCode", inv.type_code)
    else:
        if inv.due_date:
            w.sub(root, "cbc:DueDate", _date(inv.due_date))
        w.sub(root, "cbc:InvoiceTypeCode", inv.type_code)
    for n in inv.notes:
        w.sub(root, "cbc:Note", f"#{n.subject_code}#{n.text}" if n.subject_code else n.text)
    if not credit and inv.tax_point_date:
        w.sub(root, "cbc:TaxPointDate", _date(inv.tax_point_date))
    w.sub(root, "cbc:DocumentCurrencyCode", inv.currency)
    w.opt(root, "cbc:TaxCurrencyCode", inv.tax_currency)
    w.opt(root, "cbc:AccountingCost", inv.buyer_accounting_reference)
    w.opt(root, "cbc:BuyerReference", inv.buyer_reference)
    ip = inv.invoicing_period
    w.period(root, ip.start if ip else None, ip.end if ip else None, inv.vat_due_date_code)
    if inv.purchase_order_reference or inv.sales_order_reference:
        orf = w.sub(root, "cac:OrderReference")
        w.sub(orf, "cbc:ID", inv.purchase_order_reference or "NA")
        w.opt(orf, "cbc:SalesOrderID", inv.sales_order_reference)
    for p in inv.preceding_invoices:
        br = w.sub(w.sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        w.sub(br, "cbc:ID", p.number)
        if p.issue_date:
            w.sub(br, "cbc:IssueDate", _date(p.issue_date))
    w.doc_ref(root, "cac:DespatchDocumentReference", inv.despatch_advice_reference)
    w.doc_ref(root, "cac:ReceiptDocumentReference", inv.receiving_advice_reference)

    def additional_docs() -> None:
        if inv.invoiced_object_id:
            ad = w.sub(root, "cac:AdditionalDocumentReference")
            w.sub(ad, "cbc:ID", inv.invoiced_object_id.value, schemeID=inv.invoiced_object_id.scheme)
            w.sub(ad, "cbc:DocumentTypeCode", "130")
        if credit and inv.project_reference:
            ad = w.sub(root, "cac:AdditionalDocumentReference")
            w.sub(ad, "cbc:ID", inv.project_reference)
            w.sub(ad, "cbc:DocumentTypeCode", "50")
        for d in inv.additional_documents:
            ad = w.sub(root, "cac:AdditionalDocumentReference")
            w.sub(ad, "cbc:ID", d.id)
            w.opt(ad, "cbc:DocumentDescription", d.description)
            if d.content_b64 is not None or d.uri:
                att = w.sub(ad, "cac:Attachment")
                if d.content_b64 is not None:
                    w.sub(att, "cbc:EmbeddedDocumentBinaryObject", d.content_b64,
                          mimeCode=d.mime_code or "application/pdf", filename=d.filename or d.id)
                if d.uri:
                    w.sub(w.sub(att, "cac:ExternalReference"), "cbc:URI", d.uri)

    if credit:
        w.doc_ref(root, "cac:ContractDocumentReference", inv.contract_reference)
        additional_docs()
        w.doc_ref(root, "cac:OriginatorDocumentReference", inv.tender_reference)
    else:
        w.doc_ref(root, "cac:OriginatorDocumentReference", inv.tender_reference)
        w.doc_ref(root, "cac:ContractDocumentReference", inv.contract_reference)
        additional_docs()
        w.doc_ref(root, "cac:ProjectReference", inv.project_reference)

    pi = inv.payment_instructions
    dd = pi.direct_debit if pi else None
    creditor_id = dd.creditor_id if dd else None
    w.party(root, "cac:AccountingSupplierParty", inv.seller, sepa=creditor_id if inv.payee is None else None)
    w.party(root, "cac:AccountingCustomerParty", inv.buyer)
    if inv.payee:
        pe = w.sub(root, "cac:PayeeParty")
        if inv.payee.identifier:
            w.sub(w.sub(pe, "cac:PartyIdentification"), "cbc:ID", inv.payee.identifier.value,
                  schemeID=inv.payee.identifier.scheme)
        if creditor_id:
            w.sub(w.sub(pe, "cac:PartyIdentification"), "cbc:ID", creditor_id, schemeID="SEPA")
        w.sub(w.sub(pe, "cac:PartyName"), "cbc:Name", inv.payee.name)
        if inv.payee.legal_id:
            w.sub(w.sub(pe, "cac:PartyLegalEntity"), "cbc:CompanyID", inv.payee.legal_id.value,
                  schemeID=inv.payee.legal_id.scheme)
    if inv.tax_representative:
        tr = inv.tax_representative
        el = w.sub(root, "cac:TaxRepresentativeParty")
        w.sub(w.sub(el, "cac:PartyName"), "cbc:Name", tr.name)
        w.address(el, "cac:PostalAddress", tr.address)
        ts = w.sub(el, "cac:PartyTaxScheme")
        w.sub(ts, "cbc:CompanyID", tr.vat_id)
        w.sub(w.sub(ts, "cac:TaxScheme"), "cbc:ID", "VAT")
    d = inv.delivery
    if d is not None and (d.date or d.address or d.location_id or d.party_name):
        de = w.sub(root, "cac:Delivery")
        if d.date:
            w.sub(de, "cbc:ActualDeliveryDate", _date(d.date))
        if d.location_id or d.address:
            loc = w.sub(de, "cac:DeliveryLocation")
            if d.location_id:
                w.sub(loc, "cbc:ID", d.location_id.value, schemeID=d.location_id.scheme)
            w.address(loc, "cac:Address", d.address)
        if d.party_name:
            w.sub(w.sub(w.sub(de, "cac:DeliveryParty"), "cac:PartyName"), "cbc:Name", d.party_name)
    if pi is not None:
        for k, ct in enumerate(pi.credit_transfers or [None]):
            pm = w.sub(root, "cac:PaymentMeans")
            w.sub(pm, "cbc:PaymentMeansCode", pi.means_code, name=pi.means_text)
            if credit and inv.due_date and k == 0:
                w.sub(pm, "cbc:PaymentDueDate", _date(inv.due_date))
            w.opt(pm, "cbc:PaymentID", pi.remittance_information)
            if k == 0 and pi.card:
                ca = w.sub(pm, "cac:CardAccount")
                w.sub(ca, "cbc:PrimaryAccountNumberID", pi.card.account_number)
                w.sub(ca, "cbc:NetworkID", "NA")
                w.opt(ca, "cbc:HolderName", pi.card.holder_name)
            if ct is not None:
                fa = w.sub(pm, "cac:PayeeFinancialAccount")
                w.sub(fa, "cbc:ID", ct.account_id)
                w.opt(fa, "cbc:Name", ct.account_name)
                if ct.bic:
                    w.sub(w.sub(fa, "cac:FinancialInstitutionBranch"), "cbc:ID", ct.bic)
            if k == 0 and dd and (dd.mandate_reference or dd.debited_account_id):
                pmd = w.sub(pm, "cac:PaymentMandate")
                w.opt(pmd, "cbc:ID", dd.mandate_reference)
                if dd.debited_account_id:
                    w.sub(w.sub(pmd, "cac:PayerFinancialAccount"), "cbc:ID", dd.debited_account_id)
    if inv.payment_terms:
        w.sub(w.sub(root, "cac:PaymentTerms"), "cbc:Note", inv.payment_terms)
    for a in inv.allowances:
        w.allowance_charge(root, a, False, with_tax=True)
    for c in inv.charges:
        w.allowance_charge(root, c, True, with_tax=True)
    t = inv.totals
    tt = w.sub(root, "cac:TaxTotal")
    w.amount(tt, "cbc:TaxAmount", t.tax_amount if t.tax_amount is not None else Decimal("0.00"))
    for v in inv.vat_breakdown:
        st = w.sub(tt, "cac:TaxSubtotal")
        w.amount(st, "cbc:TaxableAmount", v.taxable_amount)
        w.amount(st, "cbc:TaxAmount", v.tax_amount)
        w.tax_category(st, "cac:TaxCategory", v.category, v.rate, v.exemption_reason_code, v.exemption_reason)
    if t.tax_amount_accounting is not None:
        tt2 = w.sub(root, "cac:TaxTotal")
        w.amount(tt2, "cbc:TaxAmount", t.tax_amount_accounting, inv.tax_currency)
    lm = w.sub(root, "cac:LegalMonetaryTotal")
    w.amount(lm, "cbc:LineExtensionAmount", t.line_total)
    w.amount(lm, "cbc:TaxExclusiveAmount", t.tax_exclusive)
    w.amount(lm, "cbc:TaxInclusiveAmount", t.tax_inclusive)
    w.amount(lm, "cbc:AllowanceTotalAmount", t.allowance_total)
    w.amount(lm, "cbc:ChargeTotalAmount", t.charge_total)
    w.amount(lm, "cbc:PrepaidAmount", t.prepaid)
    w.amount(lm, "cbc:PayableRoundingAmount", t.rounding)
    w.amount(lm, "cbc:PayableAmount", t.payable)

    for line in inv.lines:
        li = w.sub(root, "cac:CreditNoteLine" if credit else "cac:InvoiceLine")
        w.sub(li, "cbc:ID", line.id)
        w.opt(li, "cbc:Note", line.note)
        w.sub(li, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity", _d(line.quantity),
              unitCode=line.unit_code)
        w.amount(li, "cbc:LineExtensionAmount", line.net_amount)
        w.opt(li, "cbc:AccountingCost", line.accounting_reference)
        if line.period:
            w.period(li, line.period.start, line.period.end)
        if line.order_line_reference:
            w.sub(w.sub(li, "cac:OrderLineReference"), "cbc:LineID", line.order_line_reference)
        if line.line_status or line.parent_line_id:
            br = w.sub(li, "cac:BillingReference")
            idr = w.sub(br, "cac:InvoiceDocumentReference")
            w.sub(idr, "cbc:ID", inv.number)
            w.opt(idr, "cbc:DocumentStatusCode", line.line_status)
            if line.parent_line_id:
                w.sub(w.sub(br, "cac:BillingReferenceLine"), "cbc:ID", line.parent_line_id)
        if line.object_id:
            dr = w.sub(li, "cac:DocumentReference")
            w.sub(dr, "cbc:ID", line.object_id.value, schemeID=line.object_id.scheme)
            w.sub(dr, "cbc:DocumentTypeCode", "130")
        for a in line.allowances:
            w.allowance_charge(li, a, False, with_tax=False)
        for c in line.charges:
            w.allowance_charge(li, c, True, with_tax=False)
        item = w.sub(li, "cac:Item")
        w.opt(item, "cbc:Description", line.description)
        w.sub(item, "cbc:Name", line.name)
        if line.buyer_item_id:
            w.sub(w.sub(item, "cac:BuyersItemIdentification"), "cbc:ID", line.buyer_item_id)
        if line.seller_item_id:
            w.sub(w.sub(item, "cac:SellersItemIdentification"), "cbc:ID", line.seller_item_id)
        if line.standard_item_id:
            w.sub(w.sub(item, "cac:StandardItemIdentification"), "cbc:ID", line.standard_item_id.value,
                  schemeID=line.standard_item_id.scheme)
        if line.origin_country:
            w.sub(w.sub(item, "cac:OriginCountry"), "cbc:IdentificationCode", line.origin_country)
        for cls in line.classification_ids:
            w.sub(w.sub(item, "cac:CommodityClassification"), "cbc:ItemClassificationCode", cls.value,
                  listID=cls.scheme)
        w.tax_category(item, "cac:ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        for attr in line.attributes:
            ap = w.sub(item, "cac:AdditionalItemProperty")
            w.sub(ap, "cbc:Name", attr.name)
            w.sub(ap, "cbc:Value", attr.value)
        pr = w.sub(li, "cac:Price")
        w.amount(pr, "cbc:PriceAmount", line.net_price)
        if line.base_quantity is not None:
            w.sub(pr, "cbc:BaseQuantity", _d(line.base_quantity), unitCode=line.base_quantity_unit_code)
        if line.gross_price is not None or line.price_discount is not None:
            pac = w.sub(pr, "cac:AllowanceCharge")
            w.sub(pac, "cbc:ChargeIndicator", "false")
            w.amount(pac, "cbc:Amount", line.price_discount if line.price_discount is not None else Decimal("0"))
            w.amount(pac, "cbc:BaseAmount", line.gross_price)
    return root


def to_ubl(invoice: Invoice, *, pretty: bool = False) -> bytes:
    """Serialize ``invoice`` as UBL 2.1 XML bytes (Invoice or CreditNote)."""
    from lxml import etree  # lazy

    return etree.tostring(to_ubl_tree(invoice), xml_declaration=True, encoding="UTF-8", pretty_print=pretty)
