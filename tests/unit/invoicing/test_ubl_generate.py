"""UBL 2.1 generation: Invoice vs CreditNote, XSD validity, EN 16931 binding details."""

from __future__ import annotations

import facturx
import pytest
from lxml import etree

from einvoice.errors import InvalidInputError
from einvoice.invoicing import calc, ubl
from tests.unit.invoicing.model_samples import sample_invoice
from tests.unit.invoicing.test_cii_generate import _rich_invoice
from tests.unit.invoicing.xsd_helpers import assert_xsd_valid

NS = {"cac": ubl.CAC, "cbc": ubl.CBC}
REF = [{"number": "F2026-0000", "issueDate": "2026-09-01"}]


@pytest.mark.parametrize("type_code", ["380", "389", "384", "386", "393"])
def test_invoice_types_produce_a_valid_ubl_invoice(type_code):
    inv = _rich_invoice(typeCode=type_code)
    xml = ubl.to_ubl(inv)
    root = etree.fromstring(xml)
    assert etree.QName(root).localname == "Invoice" and etree.QName(root).namespace == ubl.INVOICE_NS
    assert root.findtext("cbc:InvoiceTypeCode", namespaces=NS) == type_code
    assert_xsd_valid(xml, "ubl-invoice")


@pytest.mark.parametrize("type_code", ["381", "261", "262", "396", "502", "503"])
def test_credit_notes_produce_a_valid_ubl_credit_note(type_code):
    inv = _rich_invoice(typeCode=type_code, precedingInvoices=REF)
    xml = ubl.to_ubl(inv)
    root = etree.fromstring(xml)
    assert etree.QName(root).localname == "CreditNote" and etree.QName(root).namespace == ubl.CREDITNOTE_NS
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == type_code
    assert root.findall("cac:CreditNoteLine", NS) and not root.findall("cac:InvoiceLine", NS)
    assert root.find("cac:CreditNoteLine/cbc:CreditedQuantity", NS) is not None
    # BT-9 of a credit note goes to PaymentMeans/PaymentDueDate
    assert root.findtext("cac:PaymentMeans/cbc:PaymentDueDate", namespaces=NS) == "2026-10-15"
    # BT-11 of a credit note: AdditionalDocumentReference type 50
    assert root.findtext("cac:AdditionalDocumentReference[cbc:DocumentTypeCode='50']/cbc:ID", namespaces=NS) == "PRJ-1"
    assert root.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", namespaces=NS) == "F2026-0000"
    assert_xsd_valid(xml, "ubl-creditnote")
    assert facturx.xml_check_xsd(xml, flavor="ubl-2.1-creditnote")


def test_ubl_binding_details():
    root = etree.fromstring(ubl.to_ubl(sample_invoice()))
    x = lambda p: root.findtext(p, namespaces=NS)  # noqa: E731
    assert x("cbc:CustomizationID") == "urn:cen.eu:en16931:2017"
    assert x("cbc:ProfileID") == "M1"  # BT-23
    assert [n.text for n in root.findall("cbc:Note", NS)][:3] == [
        "#PMT#Indemnité forfaitaire pour frais de recouvrement : 40 EUR",
        "#PMD#Pénalités de retard : 3 fois le taux d'intérêt légal",
        "#AAB#Pas d'escompte pour paiement anticipé",
    ]
    assert x("cac:InvoicePeriod/cbc:DescriptionCode") == "3"  # BT-8 debits, UNTDID 2005
    party = "cac:AccountingSupplierParty/cac:Party"
    ep = root.find(f"{party}/cbc:EndpointID", NS)
    assert (ep.text, ep.get("schemeID")) == ("732829320", "0225")
    legal = root.find(f"{party}/cac:PartyLegalEntity/cbc:CompanyID", NS)
    assert (legal.text, legal.get("schemeID")) == ("732829320", "0002")
    assert x(f"{party}/cac:PartyLegalEntity/cbc:RegistrationName") == "Vendeur SAS"
    assert x(f"{party}/cac:PartyTaxScheme/cbc:CompanyID") == "FR44732829320"
    assert x("cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID") == "552100554"
    assert x("cac:Delivery/cac:DeliveryLocation/cac:Address/cbc:CityName") == "Villeurbanne"
    assert x("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == "FR7630006000011234567890189"
    assert x("cac:TaxTotal/cbc:TaxAmount") == "52.68"
    assert x("cac:LegalMonetaryTotal/cbc:PayableAmount") == "325.15"
    assert root.find("cac:LegalMonetaryTotal/cbc:PayableAmount", NS).get("currencyID") == "EUR"


def test_sepa_creditor_id_goes_to_the_payee_or_seller_identification():
    inv = _rich_invoice()
    root = etree.fromstring(ubl.to_ubl(inv))
    assert root.findtext("cac:PayeeParty/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']", namespaces=NS) == \
        "FR12ZZZ123456"
    no_payee = inv.model_copy(update={"payee": None})
    root = etree.fromstring(ubl.to_ubl(no_payee))
    assert root.findtext("cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']",
                         namespaces=NS) == "FR12ZZZ123456"


def test_foreign_currency_second_tax_total():
    inv = calc.compute(sample_invoice(currency="USD", taxCurrency="EUR", totals={"taxAmountAccounting": "45.12"}))
    root = etree.fromstring(ubl.to_ubl(inv))
    totals = [(t.findtext("cbc:TaxAmount", namespaces=NS), t.find("cbc:TaxAmount", NS).get("currencyID"))
              for t in root.findall("cac:TaxTotal", NS)]
    assert totals == [("52.68", "USD"), ("45.12", "EUR")]
    assert_xsd_valid(ubl.to_ubl(inv), "ubl-invoice")


def test_invoice_without_lines_cannot_be_ubl():
    with pytest.raises(InvalidInputError) as err:
        ubl.to_ubl(sample_invoice(lines=[]))
    assert err.value.details[0].rule == "BR-16"


@pytest.mark.slow
def test_generated_ubl_passes_the_full_validation_pipeline():
    from einvoice import validation
    for inv in (_rich_invoice(), _rich_invoice(typeCode="381", precedingInvoices=REF)):
        report = validation.validate(ubl.to_ubl(inv))
        assert report.verdict == "valid", report.findings[:10]
