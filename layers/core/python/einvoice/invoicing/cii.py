"""UN/CEFACT CII D22B writer (Factur-X / ZUGFeRD 2.x flavours and EXTENDED-CTC-FR).

``to_cii(invoice, profile=None) -> bytes``. The profile selects BT-24 and the elements
allowed by the profile XSD:

- ``en16931`` (``urn:cen.eu:en16931:2017``), ``extended``, ``extended-ctc-fr``: every
  business term of the model;
- ``basicwl``: header only (no lines, no contacts, no BT-7, BT-33, BG-24, BT-11, BT-15, BT-14,
  BT-114, card / BIC / account name), as the Factur-X BASIC WL XSD requires;
- ``basic``: BASIC WL header plus lines limited to id, note, BT-157, name, prices, quantity,
  VAT, period, allowances/charges and net amount (Factur-X BASIC XSD).

Without ``profile`` the profile is derived from ``invoice.specification_id``.
Derived amounts missing from the invoice are computed first (:func:`calc.compute`).
Element order follows the Factur-X 1.09 XSDs (tested with ``facturx.xml_check_xsd``).
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from . import calc
from .model import (
    PROFILE_BASIC,
    PROFILE_BASICWL,
    PROFILE_EN16931,
    PROFILE_EXTENDED,
    PROFILE_EXTENDED_CTC_FR,
    PROFILE_MINIMUM,
    SPECIFICATION_IDS,
    Address,
    Identifier,
    Invoice,
)
from .xmlwriter import XmlBuilder

__all__ = [
    "NS",
    "RSM",
    "RAM",
    "UDT",
    "QDT",
    "profile_of",
    "to_cii",
    "to_cii_tree",
    "VAT_DUE_TO_CII",
    "VAT_DUE_FROM_CII",
]

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NS = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}

#: BT-8: UNTDID 2005 (model, UBL) -> UNTDID 2475 (CII) and back.
VAT_DUE_TO_CII = {"3": "5", "35": "29", "432": "72"}
VAT_DUE_FROM_CII = {v: k for k, v in VAT_DUE_TO_CII.items()}


def profile_of(specification_id: str | None) -> str:
    """Profile key for a BT-24 value (unknown / EN 16931-compliant CIUS -> ``en16931``)."""
    s = (specification_id or "").strip().lower()
    if "extended-ctc-fr" in s:
        return PROFILE_EXTENDED_CTC_FR
    if "extended" in s:
        return PROFILE_EXTENDED
    if "basicwl" in s or "basic-wl" in s:
        return PROFILE_BASICWL
    if s.endswith(":basic") or "1p0:basic" in s:
        return PROFILE_BASIC
    if "minimum" in s:
        return PROFILE_MINIMUM
    return PROFILE_EN16931


def _d(value: Decimal) -> str:
    """Decimal to XML text without exponent."""
    text = format(value, "f")
    return text


def _date(value: _dt.date) -> str:
    return value.strftime("%Y%m%d")


class _W(XmlBuilder):
    """CII element builder bound to the profile feature flags."""

    def __init__(self, profile: str) -> None:
        super().__init__(NS)
        self.profile = profile
        self.basicwl = profile in (PROFILE_BASICWL, PROFILE_MINIMUM)  # header only, no lines
        self.full = profile not in (PROFILE_BASICWL, PROFILE_MINIMUM, PROFILE_BASIC)
        self.extended = profile in (PROFILE_EXTENDED, PROFILE_EXTENDED_CTC_FR)

    def date_time(self, parent: Any, tag: str, value: _dt.date) -> Any:
        el = self.sub(parent, tag)
        self.sub(el, "udt:DateTimeString", _date(value), format="102")
        return el

    def amount(self, parent: Any, tag: str, value: Decimal | None, currency: str | None = None) -> Any:
        if value is None:
            return None
        return self.sub(parent, tag, _d(value), currencyID=currency)

    # ---------------------------------------------------------------- parts
    def address(self, parent: Any, tag: str, a: Address | None) -> None:
        if a is None:
            return
        el = self.sub(parent, tag)
        self.opt(el, "ram:PostcodeCode", a.postcode)
        self.opt(el, "ram:LineOne", a.line1)
        self.opt(el, "ram:LineTwo", a.line2)
        self.opt(el, "ram:LineThree", a.line3)
        self.opt(el, "ram:CityName", a.city)
        self.sub(el, "ram:CountryID", a.country_code)
        self.opt(el, "ram:CountrySubDivisionName", a.country_subdivision)

    def ids(self, parent: Any, identifiers: list[Identifier]) -> None:
        for i in identifiers:
            if not i.scheme:
                self.sub(parent, "ram:ID", i.value)
        for i in identifiers:
            if i.scheme:
                self.sub(parent, "ram:GlobalID", i.value, schemeID=i.scheme)

    def party(self, parent: Any, tag: str, p: Any, legal_scheme: str | None) -> None:
        el = self.sub(parent, tag)
        self.ids(el, p.identifiers)
        self.sub(el, "ram:Name", p.name)
        if self.full:
            self.opt(el, "ram:Description", getattr(p, "legal_info", None))
        if p.siren or p.trading_name:
            lo = self.sub(el, "ram:SpecifiedLegalOrganization")
            self.opt(lo, "ram:ID", p.siren, schemeID=legal_scheme if p.siren else None)
            self.opt(lo, "ram:TradingBusinessName", p.trading_name)
        if self.full and p.contact is not None:
            c = p.contact
            ct = self.sub(el, "ram:DefinedTradeContact")
            self.opt(ct, "ram:PersonName", c.name)
            if c.phone:
                self.sub(self.sub(ct, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber", c.phone)
            if c.email:
                self.sub(self.sub(ct, "ram:EmailURIUniversalCommunication"), "ram:URIID", c.email)
        self.address(el, "ram:PostalTradeAddress", p.address)
        if p.electronic_address is not None:
            uc = self.sub(el, "ram:URIUniversalCommunication")
            self.sub(uc, "ram:URIID", p.electronic_address.value, schemeID=p.electronic_address.scheme)
        if p.vat_id:
            self.sub(self.sub(el, "ram:SpecifiedTaxRegistration"), "ram:ID", p.vat_id, schemeID="VA")
        if getattr(p, "tax_registration_id", None):
            self.sub(self.sub(el, "ram:SpecifiedTaxRegistration"), "ram:ID", p.tax_registration_id, schemeID="FC")

    def ref_doc(self, parent: Any, tag: str, issuer_id: str | None) -> None:
        if issuer_id:
            self.sub(self.sub(parent, tag), "ram:IssuerAssignedID", issuer_id)

    def period(self, parent: Any, period: Any) -> None:
        if period is None or (period.start is None and period.end is None):
            return
        el = self.sub(parent, "ram:BillingSpecifiedPeriod")
        if period.start:
            self.date_time(el, "ram:StartDateTime", period.start)
        if period.end:
            self.date_time(el, "ram:EndDateTime", period.end)

    def allowance_charge(self, parent: Any, ac: Any, charge: bool, with_tax: bool) -> None:
        el = self.sub(parent, "ram:SpecifiedTradeAllowanceCharge")
        self.sub(self.sub(el, "ram:ChargeIndicator"), "udt:Indicator", "true" if charge else "false")
        if ac.percentage is not None:
            self.sub(el, "ram:CalculationPercent", _d(ac.percentage))
        self.amount(el, "ram:BasisAmount", ac.base_amount)
        self.amount(el, "ram:ActualAmount", ac.amount)
        self.opt(el, "ram:ReasonCode", ac.reason_code)
        self.opt(el, "ram:Reason", ac.reason)
        if with_tax:
            tt = self.sub(el, "ram:CategoryTradeTax")
            self.sub(tt, "ram:TypeCode", "VAT")
            self.sub(tt, "ram:CategoryCode", ac.vat_category)
            if ac.vat_rate is not None:
                self.sub(tt, "ram:RateApplicablePercent", _d(ac.vat_rate))


def to_cii_tree(invoice: Invoice, profile: str | None = None, *, computed: bool = False) -> Any:
    """The CII document as an lxml element tree (root ``rsm:CrossIndustryInvoice``).

    ``computed=True``: ``invoice`` is already the output of :func:`calc.compute` (not computed again).
    """
    from lxml import etree  # lazy

    prof = profile or profile_of(invoice.specification_id)
    if prof not in SPECIFICATION_IDS:
        raise ValueError(f"unknown CII profile {prof!r}")
    if prof == PROFILE_MINIMUM:
        raise ValueError("the Factur-X MINIMUM profile is not an invoice (no VAT breakdown); use basicwl or higher")
    spec_id = SPECIFICATION_IDS[prof] if profile else invoice.specification_id
    inv = invoice if computed else calc.compute(invoice)
    assert inv.totals is not None
    w = _W(prof)
    cur = inv.currency

    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap={"rsm": RSM, "qdt": QDT, "ram": RAM, "udt": UDT})
    ctx = w.sub(root, "rsm:ExchangedDocumentContext")
    if inv.business_process:
        w.sub(w.sub(ctx, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID", inv.business_process)
    w.sub(w.sub(ctx, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", spec_id)

    doc = w.sub(root, "rsm:ExchangedDocument")
    w.sub(doc, "ram:ID", inv.number)
    w.sub(doc, "ram:TypeCode", inv.type_code)
    w.date_time(doc, "ram:IssueDateTime", inv.issue_date)
    for n in inv.notes:
        note = w.sub(doc, "ram:IncludedNote")
        w.sub(note, "ram:Content", n.text)
        w.opt(note, "ram:SubjectCode", n.subject_code)

    tx = w.sub(root, "rsm:SupplyChainTradeTransaction")

    # ------------------------------------------------------------ lines
    if not w.basicwl:
        for line in inv.lines:
            li = w.sub(tx, "ram:IncludedSupplyChainTradeLineItem")
            ad = w.sub(li, "ram:AssociatedDocumentLineDocument")
            w.sub(ad, "ram:LineID", line.id)
            if w.extended:
                w.opt(ad, "ram:ParentLineID", line.parent_line_id)
                w.opt(ad, "ram:LineStatusReasonCode", line.line_status)
            if line.note:
                w.sub(w.sub(ad, "ram:IncludedNote"), "ram:Content", line.note)
            prod = w.sub(li, "ram:SpecifiedTradeProduct")
            if line.standard_item_id:
                w.sub(prod, "ram:GlobalID", line.standard_item_id.value, schemeID=line.standard_item_id.scheme)
            if w.full:
                w.opt(prod, "ram:SellerAssignedID", line.seller_item_id)
                w.opt(prod, "ram:BuyerAssignedID", line.buyer_item_id)
            w.sub(prod, "ram:Name", line.name)
            if w.full:
                _product_details(w, prod, line)
            agr = w.sub(li, "ram:SpecifiedLineTradeAgreement")
            if w.full and line.order_line_reference:
                w.sub(w.sub(agr, "ram:BuyerOrderReferencedDocument"), "ram:LineID", line.order_line_reference)
            gross_price = line.gross_price
            if gross_price is None and line.price_discount is not None:
                gross_price = line.net_price + line.price_discount  # BT-146 = BT-148 - BT-147
            if gross_price is not None:
                gp = w.sub(agr, "ram:GrossPriceProductTradePrice")
                w.sub(gp, "ram:ChargeAmount", _d(gross_price))
                if line.base_quantity is not None:
                    w.sub(gp, "ram:BasisQuantity", _d(line.base_quantity), unitCode=line.base_quantity_unit_code)
                if line.price_discount is not None:
                    pd = w.sub(gp, "ram:AppliedTradeAllowanceCharge")
                    w.sub(w.sub(pd, "ram:ChargeIndicator"), "udt:Indicator", "false")
                    w.sub(pd, "ram:ActualAmount", _d(line.price_discount))
            np_ = w.sub(agr, "ram:NetPriceProductTradePrice")
            w.sub(np_, "ram:ChargeAmount", _d(line.net_price))
            if line.base_quantity is not None:
                w.sub(np_, "ram:BasisQuantity", _d(line.base_quantity), unitCode=line.base_quantity_unit_code)
            dl = w.sub(li, "ram:SpecifiedLineTradeDelivery")
            w.sub(dl, "ram:BilledQuantity", _d(line.quantity), unitCode=line.unit_code)
            st = w.sub(li, "ram:SpecifiedLineTradeSettlement")
            tt = w.sub(st, "ram:ApplicableTradeTax")
            w.sub(tt, "ram:TypeCode", "VAT")
            w.sub(tt, "ram:CategoryCode", line.vat_category)
            if line.vat_rate is not None:
                w.sub(tt, "ram:RateApplicablePercent", _d(line.vat_rate))
            w.period(st, line.period)
            for a in line.allowances:
                w.allowance_charge(st, a, False, with_tax=False)
            for c in line.charges:
                w.allowance_charge(st, c, True, with_tax=False)
            ms = w.sub(st, "ram:SpecifiedTradeSettlementLineMonetarySummation")
            w.sub(ms, "ram:LineTotalAmount", _d(line.net_amount if line.net_amount is not None else Decimal(0)))
            if w.full and line.object_id:
                od = w.sub(st, "ram:AdditionalReferencedDocument")
                w.sub(od, "ram:IssuerAssignedID", line.object_id.value)
                w.sub(od, "ram:TypeCode", "130")
                w.opt(od, "ram:ReferenceTypeCode", line.object_id.scheme)
            if w.full and line.accounting_reference:
                w.sub(w.sub(st, "ram:ReceivableSpecifiedTradeAccountingAccount"), "ram:ID", line.accounting_reference)

    # ------------------------------------------------------------ agreement
    agr = w.sub(tx, "ram:ApplicableHeaderTradeAgreement")
    w.opt(agr, "ram:BuyerReference", inv.buyer_reference)
    w.party(agr, "ram:SellerTradeParty", inv.seller, inv.seller.siren_scheme)
    w.party(agr, "ram:BuyerTradeParty", inv.buyer, inv.buyer.siren_scheme)
    if inv.tax_representative:
        tr = inv.tax_representative
        el = w.sub(agr, "ram:SellerTaxRepresentativeTradeParty")
        w.sub(el, "ram:Name", tr.name)
        w.address(el, "ram:PostalTradeAddress", tr.address)
        w.sub(w.sub(el, "ram:SpecifiedTaxRegistration"), "ram:ID", tr.vat_id, schemeID="VA")
    if w.full:
        w.ref_doc(agr, "ram:SellerOrderReferencedDocument", inv.sales_order_reference)
    w.ref_doc(agr, "ram:BuyerOrderReferencedDocument", inv.purchase_order_reference)
    w.ref_doc(agr, "ram:ContractReferencedDocument", inv.contract_reference)
    if w.full:
        for d in inv.additional_documents:
            el = w.sub(agr, "ram:AdditionalReferencedDocument")
            w.sub(el, "ram:IssuerAssignedID", d.id)
            w.opt(el, "ram:URIID", d.uri)
            w.sub(el, "ram:TypeCode", "916")
            w.opt(el, "ram:Name", d.description)
            if d.content_b64 is not None:
                w.sub(el, "ram:AttachmentBinaryObject", d.content_b64, mimeCode=d.mime_code or "application/pdf",
                      filename=d.filename or d.id)
        if inv.tender_reference:
            el = w.sub(agr, "ram:AdditionalReferencedDocument")
            w.sub(el, "ram:IssuerAssignedID", inv.tender_reference)
            w.sub(el, "ram:TypeCode", "50")
        if inv.invoiced_object_id:
            el = w.sub(agr, "ram:AdditionalReferencedDocument")
            w.sub(el, "ram:IssuerAssignedID", inv.invoiced_object_id.value)
            w.sub(el, "ram:TypeCode", "130")
            w.opt(el, "ram:ReferenceTypeCode", inv.invoiced_object_id.scheme)
        if inv.project_reference:
            pr = w.sub(agr, "ram:SpecifiedProcuringProject")
            w.sub(pr, "ram:ID", inv.project_reference)
            w.sub(pr, "ram:Name", "Project reference")

    # ------------------------------------------------------------ delivery
    dlv = w.sub(tx, "ram:ApplicableHeaderTradeDelivery")
    d = inv.delivery
    if d is not None and (d.party_name or d.location_id or d.address):
        st = w.sub(dlv, "ram:ShipToTradeParty")
        if d.location_id:
            w.ids(st, [d.location_id])
        w.opt(st, "ram:Name", d.party_name)
        w.address(st, "ram:PostalTradeAddress", d.address)
    if d is not None and d.date:
        w.date_time(w.sub(dlv, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime", d.date)
    w.ref_doc(dlv, "ram:DespatchAdviceReferencedDocument", inv.despatch_advice_reference)
    if w.full:
        w.ref_doc(dlv, "ram:ReceivingAdviceReferencedDocument", inv.receiving_advice_reference)

    # ------------------------------------------------------------ settlement
    stl = w.sub(tx, "ram:ApplicableHeaderTradeSettlement")
    pi = inv.payment_instructions
    dd = pi.direct_debit if pi else None
    w.opt(stl, "ram:CreditorReferenceID", dd.creditor_id if dd else None)
    w.opt(stl, "ram:PaymentReference", pi.remittance_information if pi else None)
    w.opt(stl, "ram:TaxCurrencyCode", inv.tax_currency)
    w.sub(stl, "ram:InvoiceCurrencyCode", cur)
    if inv.payee:
        pe = w.sub(stl, "ram:PayeeTradeParty")
        if inv.payee.identifier:
            w.ids(pe, [inv.payee.identifier])
        w.sub(pe, "ram:Name", inv.payee.name)
        if inv.payee.legal_id:
            lo = w.sub(pe, "ram:SpecifiedLegalOrganization")
            w.sub(lo, "ram:ID", inv.payee.legal_id.value, schemeID=inv.payee.legal_id.scheme)
    if pi is not None:
        transfers = pi.credit_transfers or [None]
        for k, ct in enumerate(transfers):
            pm = w.sub(stl, "ram:SpecifiedTradeSettlementPaymentMeans")
            w.sub(pm, "ram:TypeCode", pi.means_code)
            if w.full:
                w.opt(pm, "ram:Information", pi.means_text if k == 0 else None)
                if k == 0 and pi.card:
                    cd = w.sub(pm, "ram:ApplicableTradeSettlementFinancialCard")
                    w.sub(cd, "ram:ID", pi.card.account_number)
                    w.opt(cd, "ram:CardholderName", pi.card.holder_name)
            if k == 0 and dd and dd.debited_account_id:
                w.sub(w.sub(pm, "ram:PayerPartyDebtorFinancialAccount"), "ram:IBANID", dd.debited_account_id)
            if ct is not None:
                acc = w.sub(pm, "ram:PayeePartyCreditorFinancialAccount")
                if _looks_like_iban(ct.account_id):
                    w.sub(acc, "ram:IBANID", ct.account_id)
                    if w.full:
                        w.opt(acc, "ram:AccountName", ct.account_name)
                else:
                    if w.full:
                        w.opt(acc, "ram:AccountName", ct.account_name)
                    w.sub(acc, "ram:ProprietaryID", ct.account_id)
                if w.full and ct.bic:
                    w.sub(w.sub(pm, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", ct.bic)
    due_code = VAT_DUE_TO_CII.get(inv.vat_due_date_code or "", inv.vat_due_date_code)
    for v in inv.vat_breakdown:
        tt = w.sub(stl, "ram:ApplicableTradeTax")
        w.amount(tt, "ram:CalculatedAmount", v.tax_amount)
        w.sub(tt, "ram:TypeCode", "VAT")
        w.opt(tt, "ram:ExemptionReason", v.exemption_reason)
        w.amount(tt, "ram:BasisAmount", v.taxable_amount)
        w.sub(tt, "ram:CategoryCode", v.category)
        w.opt(tt, "ram:ExemptionReasonCode", v.exemption_reason_code)
        if w.full and inv.tax_point_date:
            w.sub(w.sub(tt, "ram:TaxPointDate"), "udt:DateString", _date(inv.tax_point_date), format="102")
        w.opt(tt, "ram:DueDateTypeCode", due_code)
        if v.rate is not None:
            w.sub(tt, "ram:RateApplicablePercent", _d(v.rate))
    w.period(stl, inv.invoicing_period)
    for a in inv.allowances:
        w.allowance_charge(stl, a, False, with_tax=True)
    for c in inv.charges:
        w.allowance_charge(stl, c, True, with_tax=True)
    mandate = dd.mandate_reference if dd else None
    if inv.payment_terms or inv.due_date or mandate:
        pt = w.sub(stl, "ram:SpecifiedTradePaymentTerms")
        w.opt(pt, "ram:Description", inv.payment_terms)
        if inv.due_date:
            w.date_time(pt, "ram:DueDateDateTime", inv.due_date)
        w.opt(pt, "ram:DirectDebitMandateID", mandate)
    t = inv.totals
    ms = w.sub(stl, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    w.amount(ms, "ram:LineTotalAmount", t.line_total)
    w.amount(ms, "ram:ChargeTotalAmount", t.charge_total)
    w.amount(ms, "ram:AllowanceTotalAmount", t.allowance_total)
    w.amount(ms, "ram:TaxBasisTotalAmount", t.tax_exclusive)
    w.amount(ms, "ram:TaxTotalAmount", t.tax_amount, cur)
    if t.tax_amount_accounting is not None:
        w.amount(ms, "ram:TaxTotalAmount", t.tax_amount_accounting, inv.tax_currency or cur)
    if w.full:
        w.amount(ms, "ram:RoundingAmount", t.rounding)
    w.amount(ms, "ram:GrandTotalAmount", t.tax_inclusive)
    w.amount(ms, "ram:TotalPrepaidAmount", t.prepaid)
    w.amount(ms, "ram:DuePayableAmount", t.payable)
    for p in inv.preceding_invoices:
        rd = w.sub(stl, "ram:InvoiceReferencedDocument")
        w.sub(rd, "ram:IssuerAssignedID", p.number)
        if p.issue_date:
            fd = w.sub(rd, "ram:FormattedIssueDateTime")
            w.sub(fd, "qdt:DateTimeString", _date(p.issue_date), format="102")
    if inv.buyer_accounting_reference:
        w.sub(w.sub(stl, "ram:ReceivableSpecifiedTradeAccountingAccount"), "ram:ID", inv.buyer_accounting_reference)
    return root


def _product_details(w: _W, prod: Any, line: Any) -> None:
    """BT-154, BG-32, BT-158, BT-159 (EN 16931 and above)."""
    w.opt(prod, "ram:Description", line.description)
    for attr in line.attributes:
        pc = w.sub(prod, "ram:ApplicableProductCharacteristic")
        w.sub(pc, "ram:Description", attr.name)
        w.sub(pc, "ram:Value", attr.value)
    for cls in line.classification_ids:
        w.sub(w.sub(prod, "ram:DesignatedProductClassification"), "ram:ClassCode", cls.value, listID=cls.scheme)
    if line.origin_country:
        w.sub(w.sub(prod, "ram:OriginTradeCountry"), "ram:ID", line.origin_country)


def _looks_like_iban(value: str) -> bool:
    v = value.replace(" ", "")
    return len(v) >= 15 and v[:2].isalpha() and v[2:4].isdigit() and v.isalnum()


def to_cii(invoice: Invoice, profile: str | None = None, *, pretty: bool = False, computed: bool = False) -> bytes:
    """Serialize ``invoice`` as CII D22B XML bytes (UTF-8, with XML declaration)."""
    from lxml import etree  # lazy

    root = to_cii_tree(invoice, profile, computed=computed)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)
