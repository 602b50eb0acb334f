"""EN 16931 semantic invoice model (the business terms used by the French CTC profiles).

Every amount, quantity, price and rate is a :class:`decimal.Decimal` (never a float).
Field descriptions carry the EN 16931 business term (BT-xx) or group (BG-xx) number.
The JSON shape uses camelCase aliases (``populate_by_name``) and is the body of
``POST /v1/invoices``: ``Invoice.model_validate(body)`` / ``invoice.to_json_dict()``.

Derived amounts (line net amounts, VAT breakdown, document totals) may be left out of the
input; :func:`einvoice.invoicing.calc.compute` fills them in.

Semantic conventions (independent of the syntax):
- ``vat_due_date_code`` (BT-8) holds the UNTDID 2005 value used by EN 16931 / UBL
  (``3`` invoice date = VAT on debits, ``35`` delivery date, ``432`` paid-to date = VAT on
  receipt). The CII writer maps it to UNTDID 2475 (5 / 29 / 72) and the parser maps back.
- Document-level allowances (BG-20) and charges (BG-21) are two lists; same for line level
  (BG-27 / BG-28).
- ``seller`` is always the supplier (BG-4), also on self-billed invoices (389...) where the
  buyer issues the document.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from einvoice.api import limits as L
from einvoice.types import Base64, Dec, ShortText, Text

__all__ = [
    "ALLOWED_TYPE_CODES",
    "CREDIT_NOTE_TYPE_CODES",
    "CORRECTIVE_TYPE_CODES",
    "SELF_BILLED_TYPE_CODES",
    "PREPAYMENT_TYPE_CODES",
    "BUSINESS_PROCESS_CODES",
    "VAT_CATEGORIES",
    "FRENCH_VAT_CATEGORIES",
    "FRENCH_VAT_RATES",
    "EXPECTED_PROCESSING_VALUES",
    "NON_COUNTED_LINE_STATUSES",
    "PROFILE_EN16931",
    "PROFILE_BASICWL",
    "PROFILE_BASIC",
    "PROFILE_MINIMUM",
    "PROFILE_EXTENDED",
    "PROFILE_EXTENDED_CTC_FR",
    "SPECIFICATION_IDS",
    "UBL_SPECIFICATION_IDS",
    "Base",
    "Identifier",
    "ElectronicAddress",
    "Address",
    "Contact",
    "Note",
    "PrecedingInvoiceReference",
    "AdditionalDocument",
    "Seller",
    "Buyer",
    "Payee",
    "TaxRepresentative",
    "Delivery",
    "Period",
    "CreditTransfer",
    "PaymentCard",
    "DirectDebit",
    "PaymentInstructions",
    "DocumentAllowanceCharge",
    "LineAllowanceCharge",
    "ItemAttribute",
    "InvoiceLine",
    "VatBreakdown",
    "DocumentTotals",
    "Invoice",
]

# --------------------------------------------------------------------------- code lists

#: BR-FR-04: the BT-3 values accepted by the French CTC rules.
ALLOWED_TYPE_CODES: frozenset[str] = frozenset(
    {"380", "389", "393", "501", "386", "500", "384", "471", "472", "473", "261", "262", "381",
     "396", "502", "503"}
)
#: Credit notes (BR-FR-CO-05): prior invoice reference in header (or every DETAIL line).
CREDIT_NOTE_TYPE_CODES: frozenset[str] = frozenset({"261", "262", "381", "396", "502", "503"})
#: Corrective invoices (BR-FR-CO-04): exactly one prior invoice reference.
CORRECTIVE_TYPE_CODES: frozenset[str] = frozenset({"384", "471", "472", "473"})
#: Self-billed documents (BR-FR-22): the buyer issues in the seller's name.
SELF_BILLED_TYPE_CODES: frozenset[str] = frozenset({"389", "501", "500", "471", "473", "261", "502"})
#: Prepayment (advance) documents: due date may precede issue date (BR-FR-CO-07).
PREPAYMENT_TYPE_CODES: frozenset[str] = frozenset({"386", "500", "503"})
#: BR-FR-08: "cadre de facturation" (BT-23); prefix B goods, S services, M mixed.
BUSINESS_PROCESS_CODES: frozenset[str] = frozenset(
    {"B1", "S1", "M1", "B2", "S2", "M2", "S3", "B4", "S4", "M4", "S5", "S6", "B7", "S7", "B8",
     "S8", "M8", "B9", "S9", "M9"}
)
#: EN 16931 VAT category codes (UNCL 5305 subset).
VAT_CATEGORIES: frozenset[str] = frozenset({"S", "Z", "E", "AE", "K", "G", "O", "L", "M"})
#: BR-FR-15: L and M (Canary islands, Ceuta/Melilla) are not allowed.
FRENCH_VAT_CATEGORIES: frozenset[str] = frozenset({"S", "E", "AE", "K", "G", "O", "Z"})
#: BR-FR-16: allowed VAT rates.
FRENCH_VAT_RATES: frozenset[Decimal] = frozenset(
    Decimal(x) for x in ("0", "0.9", "1.05", "1.75", "2.1", "5.5", "7", "8.5", "9.2", "9.6", "10",
                         "13", "19.6", "20", "20.6")
)
#: BR-FR-20: values of the ``BAR`` note (expected processing).
EXPECTED_PROCESSING_VALUES: frozenset[str] = frozenset(
    {"B2B", "B2BINT", "B2C", "B2CINT", "OUTOFSCOPE", "ARCHIVEONLY"}
)

#: EXT-FR-FE-163 sub-line types that do not count in the totals.
NON_COUNTED_LINE_STATUSES: frozenset[str] = frozenset({"GROUP", "INFORMATION"})

# BT-24 values (fr-reform.md §2.3)
PROFILE_MINIMUM = "minimum"
PROFILE_BASICWL = "basicwl"
PROFILE_BASIC = "basic"
PROFILE_EN16931 = "en16931"
PROFILE_EXTENDED = "extended"
PROFILE_EXTENDED_CTC_FR = "extended-ctc-fr"

#: profile -> BT-24 in CII (Factur-X guideline ids).
SPECIFICATION_IDS: dict[str, str] = {
    PROFILE_MINIMUM: "urn:factur-x.eu:1p0:minimum",
    PROFILE_BASICWL: "urn:factur-x.eu:1p0:basicwl",
    PROFILE_BASIC: "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
    PROFILE_EN16931: "urn:cen.eu:en16931:2017",
    PROFILE_EXTENDED: "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
    PROFILE_EXTENDED_CTC_FR: "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr",
}
#: profile -> BT-24 in UBL (UBL has no Factur-X flavours).
UBL_SPECIFICATION_IDS: dict[str, str] = {
    PROFILE_EN16931: SPECIFICATION_IDS[PROFILE_EN16931],
    PROFILE_EXTENDED_CTC_FR: SPECIFICATION_IDS[PROFILE_EXTENDED_CTC_FR],
}


# --------------------------------------------------------------------------- base


class Base(BaseModel):
    """camelCase JSON aliases, population by field name, unknown keys refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        str_strip_whitespace=True,
        validate_assignment=False,
        defer_build=True,  # validators are built on first use: cheap import for cold starts
    )

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict with camelCase keys; decimals as strings, dates ISO, None dropped."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# --------------------------------------------------------------------------- small parts


class Identifier(Base):
    """An identifier with an optional scheme (ISO 6523 ICD / EAS / other)."""

    value: ShortText = Field(description="Identifier value")
    scheme: ShortText | None = Field(default=None, description="Scheme identifier (e.g. 0002 SIREN, 0009 SIRET, 0088 GLN)")


class ElectronicAddress(Base):
    """Electronic address (BT-34 seller / BT-49 buyer); French CTC scheme 0225."""

    value: ShortText = Field(description="BT-34/BT-49 electronic address, e.g. '123456789' or '123456789_STATUTS'")
    scheme: ShortText = Field(default="0225", description="BT-34-1/BT-49-1 EAS scheme (0225 = French CTC address)")


class Address(Base):
    """Postal address (BG-5 seller, BG-8 buyer, BG-12 tax representative, BG-15 delivery)."""

    line1: ShortText | None = Field(default=None, description="BT-35/BT-50/BT-64/BT-75 address line 1")
    line2: ShortText | None = Field(default=None, description="BT-36/BT-51/BT-65/BT-76 address line 2")
    line3: ShortText | None = Field(default=None, description="BT-162/BT-163/BT-164/BT-165 address line 3")
    city: ShortText | None = Field(default=None, description="BT-37/BT-52/BT-66/BT-77 city")
    postcode: ShortText | None = Field(default=None, description="BT-38/BT-53/BT-67/BT-78 post code")
    country_subdivision: ShortText | None = Field(default=None, description="BT-39/BT-54/BT-68/BT-79 country subdivision")
    country_code: ShortText = Field(description="BT-40/BT-55/BT-69/BT-80 ISO 3166-1 alpha-2 country code")


class Contact(Base):
    """Contact (BG-6 seller, BG-9 buyer)."""

    name: ShortText | None = Field(default=None, description="BT-41/BT-56 contact point")
    phone: ShortText | None = Field(default=None, description="BT-42/BT-57 telephone")
    email: ShortText | None = Field(default=None, description="BT-43/BT-58 e-mail")


class Note(Base):
    """Invoice note (BG-1): BT-21 subject code (UNTDID 4451: PMT, PMD, AAB, BAR, TXD, REG, ABL, AAI...)."""

    subject_code: ShortText | None = Field(default=None, description="BT-21 invoice note subject code")
    text: Text = Field(description="BT-22 invoice note")


class PrecedingInvoiceReference(Base):
    """Preceding invoice reference (BG-3)."""

    number: ShortText = Field(description="BT-25 preceding invoice reference")
    issue_date: _dt.date | None = Field(default=None, description="BT-26 preceding invoice issue date")


class AdditionalDocument(Base):
    """Additional supporting document (BG-24)."""

    id: ShortText = Field(description="BT-122 supporting document reference")
    description: Text | None = Field(
        default=None, description="BT-123 description (French list BR-FR-17: RIB, LISIBLE, BON_COMMANDE...)"
    )
    uri: ShortText | None = Field(default=None, description="BT-124 external document location")
    content_b64: Base64 | None = Field(default=None, description="BT-125 attached document, base64")
    mime_code: ShortText | None = Field(default=None, description="BT-125-1 attached document MIME code")
    filename: ShortText | None = Field(default=None, description="BT-125-2 attached document filename")


# --------------------------------------------------------------------------- parties


class Seller(Base):
    """Seller (BG-4): the supplier, also when the buyer issues a self-billed invoice."""

    name: ShortText = Field(description="BT-27 seller name")
    trading_name: ShortText | None = Field(default=None, description="BT-28 seller trading name")
    identifiers: list[Identifier] = Field(
        default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BT-29 seller identifiers (e.g. SIRET scheme 0009, GLN 0088)"
    )
    siren: ShortText | None = Field(default=None, description="BT-30 seller legal registration identifier (SIREN)")
    siren_scheme: ShortText | None = Field(default="0002", description="BT-30-1 legal registration id scheme (0002 SIREN)")
    vat_id: ShortText | None = Field(default=None, description="BT-31 seller VAT identifier (e.g. FR32123456789)")
    tax_registration_id: ShortText | None = Field(default=None, description="BT-32 seller tax registration identifier")
    legal_info: Text | None = Field(
        default=None, description="BT-33 seller additional legal information (legal form, share capital, RCS)"
    )
    electronic_address: ElectronicAddress | None = Field(default=None, description="BT-34 seller electronic address")
    address: Address = Field(description="BG-5 seller postal address")
    contact: Contact | None = Field(default=None, description="BG-6 seller contact")


class Buyer(Base):
    """Buyer (BG-7)."""

    name: ShortText = Field(description="BT-44 buyer name")
    trading_name: ShortText | None = Field(default=None, description="BT-45 buyer trading name")
    identifiers: list[Identifier] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BT-46 buyer identifiers")
    siren: ShortText | None = Field(default=None, description="BT-47 buyer legal registration identifier (SIREN)")
    siren_scheme: ShortText | None = Field(default="0002", description="BT-47-1 legal registration id scheme (0002 SIREN)")
    vat_id: ShortText | None = Field(default=None, description="BT-48 buyer VAT identifier")
    electronic_address: ElectronicAddress | None = Field(default=None, description="BT-49 buyer electronic address")
    address: Address = Field(description="BG-8 buyer postal address")
    contact: Contact | None = Field(default=None, description="BG-9 buyer contact")


class Payee(Base):
    """Payee (BG-10), e.g. the factor of a factored invoice (393)."""

    name: ShortText = Field(description="BT-59 payee name")
    identifier: Identifier | None = Field(default=None, description="BT-60 payee identifier")
    legal_id: Identifier | None = Field(default=None, description="BT-61 payee legal registration identifier")


class TaxRepresentative(Base):
    """Seller tax representative party (BG-11)."""

    name: ShortText = Field(description="BT-62 seller tax representative name")
    vat_id: ShortText = Field(description="BT-63 seller tax representative VAT identifier")
    address: Address = Field(description="BG-12 seller tax representative postal address")


class Delivery(Base):
    """Delivery information (BG-13)."""

    party_name: ShortText | None = Field(default=None, description="BT-70 deliver to party name")
    location_id: Identifier | None = Field(default=None, description="BT-71 deliver to location identifier")
    date: _dt.date | None = Field(default=None, description="BT-72 actual delivery date")
    address: Address | None = Field(default=None, description="BG-15 deliver to address")


class Period(Base):
    """Invoicing period (BG-14) or invoice line period (BG-26)."""

    start: _dt.date | None = Field(default=None, description="BT-73/BT-134 period start date")
    end: _dt.date | None = Field(default=None, description="BT-74/BT-135 period end date")


class CreditTransfer(Base):
    """Credit transfer (BG-17)."""

    account_id: ShortText = Field(description="BT-84 payment account identifier (IBAN)")
    account_name: ShortText | None = Field(default=None, description="BT-85 payment account name")
    bic: ShortText | None = Field(default=None, description="BT-86 payment service provider identifier (BIC)")


class PaymentCard(Base):
    """Payment card information (BG-18)."""

    account_number: ShortText = Field(description="BT-87 payment card primary account number (masked)")
    holder_name: ShortText | None = Field(default=None, description="BT-88 payment card holder name")


class DirectDebit(Base):
    """Direct debit (BG-19)."""

    mandate_reference: ShortText | None = Field(default=None, description="BT-89 mandate reference identifier")
    creditor_id: ShortText | None = Field(default=None, description="BT-90 bank assigned creditor identifier")
    debited_account_id: ShortText | None = Field(default=None, description="BT-91 debited account identifier")


class PaymentInstructions(Base):
    """Payment instructions (BG-16)."""

    means_code: ShortText = Field(description="BT-81 payment means type code (UNTDID 4461: 30, 58 SEPA CT, 59 SEPA DD...)")
    means_text: Text | None = Field(default=None, description="BT-82 payment means text")
    remittance_information: Text | None = Field(default=None, description="BT-83 remittance information")
    credit_transfers: list[CreditTransfer] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BG-17 credit transfers")
    card: PaymentCard | None = Field(default=None, description="BG-18 payment card information")
    direct_debit: DirectDebit | None = Field(default=None, description="BG-19 direct debit")


# --------------------------------------------------------------------------- allowances / charges


class DocumentAllowanceCharge(Base):
    """Document level allowance (BG-20) or charge (BG-21)."""

    amount: Dec = Field(description="BT-92/BT-99 amount (without VAT)")
    base_amount: Dec | None = Field(default=None, description="BT-93/BT-100 base amount")
    percentage: Dec | None = Field(default=None, description="BT-94/BT-101 percentage")
    vat_category: ShortText = Field(description="BT-95/BT-102 VAT category code")
    vat_rate: Dec | None = Field(default=None, description="BT-96/BT-103 VAT rate")
    reason: Text | None = Field(default=None, description="BT-97/BT-104 reason")
    reason_code: ShortText | None = Field(default=None, description="BT-98/BT-105 reason code (UNTDID 5189 / 7161)")


class LineAllowanceCharge(Base):
    """Invoice line allowance (BG-27) or charge (BG-28)."""

    amount: Dec = Field(description="BT-136/BT-141 amount (without VAT)")
    base_amount: Dec | None = Field(default=None, description="BT-137/BT-142 base amount")
    percentage: Dec | None = Field(default=None, description="BT-138/BT-143 percentage")
    reason: Text | None = Field(default=None, description="BT-139/BT-144 reason")
    reason_code: ShortText | None = Field(default=None, description="BT-140/BT-145 reason code")


# --------------------------------------------------------------------------- lines


class ItemAttribute(Base):
    """Item attribute (BG-32)."""

    name: ShortText = Field(description="BT-160 item attribute name")
    value: ShortText = Field(description="BT-161 item attribute value")


class InvoiceLine(Base):
    """Invoice line (BG-25) with price details (BG-29), VAT (BG-30) and item (BG-31)."""

    id: ShortText = Field(description="BT-126 invoice line identifier")
    parent_line_id: ShortText | None = Field(
        default=None, description="EXT-FR-FE-162 parent line identifier (EXTENDED-CTC-FR sub-lines)"
    )
    line_status: ShortText | None = Field(
        default=None,
        description="EXT-FR-FE-163 line sub-type: GROUP, DETAIL or INFORMATION (EXTENDED-CTC-FR); GROUP and "
        "INFORMATION lines are not counted in the totals",
    )
    note: Text | None = Field(default=None, description="BT-127 invoice line note")
    object_id: Identifier | None = Field(default=None, description="BT-128 invoice line object identifier")
    quantity: Dec = Field(description="BT-129 invoiced quantity")
    unit_code: ShortText = Field(default="C62", description="BT-130 invoiced quantity unit of measure (UN/ECE rec 20/21)")
    net_amount: Dec | None = Field(
        default=None, description="BT-131 invoice line net amount (computed when absent)"
    )
    order_line_reference: ShortText | None = Field(default=None, description="BT-132 referenced purchase order line")
    accounting_reference: ShortText | None = Field(default=None, description="BT-133 buyer accounting reference")
    period: Period | None = Field(default=None, description="BG-26 invoice line period")
    allowances: list[LineAllowanceCharge] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BG-27 line allowances")
    charges: list[LineAllowanceCharge] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BG-28 line charges")
    net_price: Dec = Field(description="BT-146 item net price (without VAT, after price discount)")
    price_discount: Dec | None = Field(default=None, description="BT-147 item price discount")
    gross_price: Dec | None = Field(default=None, description="BT-148 item gross price")
    base_quantity: Dec | None = Field(default=None, description="BT-149 item price base quantity (default 1)")
    base_quantity_unit_code: ShortText | None = Field(default=None, description="BT-150 item price base quantity unit")
    vat_category: ShortText = Field(description="BT-151 invoiced item VAT category code")
    vat_rate: Dec | None = Field(default=None, description="BT-152 invoiced item VAT rate (percent)")
    name: ShortText = Field(description="BT-153 item name")
    description: Text | None = Field(default=None, description="BT-154 item description")
    seller_item_id: ShortText | None = Field(default=None, description="BT-155 item seller's identifier")
    buyer_item_id: ShortText | None = Field(default=None, description="BT-156 item buyer's identifier")
    standard_item_id: Identifier | None = Field(default=None, description="BT-157 item standard identifier (e.g. GTIN 0160)")
    classification_ids: list[Identifier] = Field(
        default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BT-158 item classification identifiers (scheme = list id, e.g. STI)"
    )
    origin_country: ShortText | None = Field(default=None, description="BT-159 item country of origin")
    attributes: list[ItemAttribute] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BG-32 item attributes")


# --------------------------------------------------------------------------- VAT and totals


class VatBreakdown(Base):
    """VAT breakdown (BG-23), one per (category, rate).

    Input may give only category/rate/exemption reason: ``calc.compute`` fills the amounts.
    """

    category: ShortText = Field(description="BT-118 VAT category code")
    rate: Dec | None = Field(default=None, description="BT-119 VAT category rate (percent)")
    taxable_amount: Dec | None = Field(default=None, description="BT-116 VAT category taxable amount (computed when absent)")
    tax_amount: Dec | None = Field(default=None, description="BT-117 VAT category tax amount (computed when absent)")
    exemption_reason: Text | None = Field(default=None, description="BT-120 VAT exemption reason text")
    exemption_reason_code: ShortText | None = Field(default=None, description="BT-121 VAT exemption reason code (VATEX)")


class DocumentTotals(Base):
    """Document totals (BG-22).

    Input may give only ``prepaid`` / ``rounding`` / ``taxAmountAccounting``: ``calc.compute``
    fills the others. After ``compute`` every derived amount is set.
    """

    line_total: Dec | None = Field(default=None, description="BT-106 sum of invoice line net amounts")
    allowance_total: Dec | None = Field(default=None, description="BT-107 sum of allowances on document level")
    charge_total: Dec | None = Field(default=None, description="BT-108 sum of charges on document level")
    tax_exclusive: Dec | None = Field(default=None, description="BT-109 invoice total amount without VAT")
    tax_amount: Dec | None = Field(default=None, description="BT-110 invoice total VAT amount")
    tax_amount_accounting: Dec | None = Field(
        default=None, description="BT-111 invoice total VAT amount in accounting currency (BT-6)"
    )
    tax_inclusive: Dec | None = Field(default=None, description="BT-112 invoice total amount with VAT")
    prepaid: Dec | None = Field(default=None, description="BT-113 paid amount")
    rounding: Dec | None = Field(default=None, description="BT-114 rounding amount")
    payable: Dec | None = Field(default=None, description="BT-115 amount due for payment")


# --------------------------------------------------------------------------- invoice


class Invoice(Base):
    """An EN 16931 invoice (also a credit note: BT-3 381...), French CTC flavour."""

    number: ShortText = Field(description="BT-1 invoice number")
    issue_date: _dt.date = Field(description="BT-2 invoice issue date")
    type_code: ShortText = Field(
        default="380",
        description="BT-3 invoice type code (380 invoice, 389 self-billed, 381 credit note, 384 corrective, "
        "386 prepayment, 393 factored, 261/262/396/471/472/473/500/501/502/503)",
    )
    currency: ShortText = Field(default="EUR", description="BT-5 invoice currency code")
    tax_currency: ShortText | None = Field(default=None, description="BT-6 VAT accounting currency code")
    tax_point_date: _dt.date | None = Field(default=None, description="BT-7 value added tax point date")
    vat_due_date_code: ShortText | None = Field(
        default=None,
        description="BT-8 VAT point date code, UNTDID 2005: 3 = invoice date (option for VAT on debits), "
        "35 = delivery date, 432 = paid-to date (VAT on receipts). CII writes 5/29/72.",
    )
    due_date: _dt.date | None = Field(default=None, description="BT-9 payment due date")
    buyer_reference: ShortText | None = Field(default=None, description="BT-10 buyer reference")
    project_reference: ShortText | None = Field(default=None, description="BT-11 project reference")
    contract_reference: ShortText | None = Field(default=None, description="BT-12 contract reference")
    purchase_order_reference: ShortText | None = Field(default=None, description="BT-13 purchase order reference")
    sales_order_reference: ShortText | None = Field(default=None, description="BT-14 sales order reference")
    receiving_advice_reference: ShortText | None = Field(default=None, description="BT-15 receiving advice reference")
    despatch_advice_reference: ShortText | None = Field(default=None, description="BT-16 despatch advice reference")
    tender_reference: ShortText | None = Field(default=None, description="BT-17 tender or lot reference")
    invoiced_object_id: Identifier | None = Field(default=None, description="BT-18 invoiced object identifier")
    buyer_accounting_reference: ShortText | None = Field(default=None, description="BT-19 buyer accounting reference")
    payment_terms: Text | None = Field(default=None, description="BT-20 payment terms")
    notes: list[Note] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BG-1 invoice notes (PMT, PMD, AAB mandatory in France)")
    business_process: ShortText | None = Field(
        default=None, description="BT-23 business process type = French 'cadre de facturation' (B1, S1, M1...)"
    )
    specification_id: ShortText = Field(
        default=SPECIFICATION_IDS[PROFILE_EN16931], description="BT-24 specification identifier"
    )
    preceding_invoices: list[PrecedingInvoiceReference] = Field(
        default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BG-3 preceding invoice references"
    )
    seller: Seller = Field(description="BG-4 seller")
    buyer: Buyer = Field(description="BG-7 buyer")
    payee: Payee | None = Field(default=None, description="BG-10 payee")
    tax_representative: TaxRepresentative | None = Field(default=None, description="BG-11 seller tax representative")
    delivery: Delivery | None = Field(default=None, description="BG-13 delivery information")
    invoicing_period: Period | None = Field(default=None, description="BG-14 invoicing period")
    payment_instructions: PaymentInstructions | None = Field(default=None, description="BG-16 payment instructions")
    additional_documents: list[AdditionalDocument] = Field(
        default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BG-24 additional supporting documents"
    )
    allowances: list[DocumentAllowanceCharge] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BG-20 document allowances")
    charges: list[DocumentAllowanceCharge] = Field(default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BG-21 document charges")
    lines: list[InvoiceLine] = Field(default_factory=list, max_length=L.MAX_INVOICE_LINES, description="BG-25 invoice lines")
    vat_breakdown: list[VatBreakdown] = Field(
        default_factory=list, max_length=L.MAX_LIST_ITEMS, description="BG-23 VAT breakdown (computed when empty)"
    )
    totals: DocumentTotals | None = Field(default=None, description="BG-22 document totals (computed when absent)")

    # ----------------------------------------------------------------- helpers
    @property
    def counted_lines(self) -> list[InvoiceLine]:
        """Lines that count in the totals (not GROUP / INFORMATION sub-line headers)."""
        return [x for x in self.lines if (x.line_status or "").upper() not in NON_COUNTED_LINE_STATUSES]

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in CREDIT_NOTE_TYPE_CODES

    @property
    def is_self_billed(self) -> bool:
        return self.type_code in SELF_BILLED_TYPE_CODES

    def note(self, subject_code: str) -> Note | None:
        """First note with this subject code (BT-21), or None."""
        for n in self.notes:
            if (n.subject_code or "").upper() == subject_code.upper():
                return n
        return None

    @property
    def expected_processing(self) -> str | None:
        """Value of the ``BAR`` note (B2B, B2BINT, B2C...), if any."""
        n = self.note("BAR")
        return n.text.strip().upper() if n else None
