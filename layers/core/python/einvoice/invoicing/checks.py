"""French legal checks (CGI annexe II art. 242 nonies A, C. com. L441-9, FNFE BR-FR rules) and
a selection of EN 16931 core rules, on the semantic model.

``check(invoice)`` returns every failure as an :class:`einvoice.errors.ErrorDetail` with an
English and a French message, the JSON path of the field (camelCase, as in the API body)
and the rule id (``BR-FR-xx``, ``BR-xx``, ``BR-CO-xx``...). ``ensure_valid(invoice)`` raises
:class:`einvoice.errors.InvalidInputError` with all of them.

Scope notes:
- French rules (BR-FR-*) apply when the seller is established in France (seller country FR,
  or a seller SIREN, or a French VAT id); that is the FNFE scope for Flux 2 emission.
- BR-FR-11 (buyer SIREN): required when the ``BAR`` note says ``B2B``, or when there is no
  ``BAR`` note and the buyer is in France (domestic B2B is the default processing).
- Amount consistency (BR-CO-10..17, BR-xx-08/09) comes from :func:`calc.check_amounts`; call
  ``check`` on ``calc.compute(invoice)`` to check caller-provided amounts.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from decimal import Decimal

from einvoice.errors import ErrorDetail, InvalidInputError
from einvoice.identifiers import normalize_identifier, validate_siren, validate_siret, validate_vat

from . import calc
from .model import (
    ALLOWED_TYPE_CODES,
    BUSINESS_PROCESS_CODES,
    CORRECTIVE_TYPE_CODES,
    CREDIT_NOTE_TYPE_CODES,
    EXPECTED_PROCESSING_VALUES,
    FRENCH_VAT_CATEGORIES,
    FRENCH_VAT_RATES,
    PREPAYMENT_TYPE_CODES,
    SELF_BILLED_TYPE_CODES,
    VAT_CATEGORIES,
    Invoice,
)

__all__ = ["check", "ensure_valid", "duplicate_key", "ATTACHMENT_DESCRIPTIONS", "is_french_seller"]

#: BR-FR-17 values of BT-123.
ATTACHMENT_DESCRIPTIONS = frozenset(
    {"RIB", "LISIBLE", "FEUILLE_DE_STYLE", "PJA", "BORDEREAU_SUIVI", "DOCUMENT_ANNEXE", "BON_LIVRAISON",
     "BON_COMMANDE", "BORDEREAU_SUIVI_VALIDATION", "ETAT_ACOMPTE", "FACTURE_PAIEMENT_DIRECT",
     "RECAPITULATIF_COTRAITANCE"}
)
_ID_RE = re.compile(r"^[A-Za-z0-9+\-_/]+$")
_EADDR_RE = re.compile(r"^[A-Za-z0-9+\-_.]+$")
_UNTAXED_RATE_ZERO = {"Z", "E", "AE", "K", "G"}
_EXEMPTION_REQUIRED = {"E", "AE", "K", "G", "O"}
_VAT_DUE_CODES = {"3", "35", "432"}
_DEC_AMOUNT = 2
_DEC_QTY = 4
_DEC_PRICE = 6
_DEC_RATE = 2


_REASON_FR = {
    "missing": "absent",
    "must contain only digits": "doit contenir uniquement des chiffres",
    "must be 9 digits": "doit comporter 9 chiffres",
    "must be 14 digits": "doit comporter 14 chiffres",
    "invalid check digit (Luhn)": "clé de contrôle invalide (Luhn)",
    "does not start with the SIREN": "ne commence pas par le SIREN",
    "invalid check (La Poste: digit sum must be a multiple of 5)":
        "contrôle invalide (La Poste : la somme des chiffres doit être un multiple de 5)",
    "invalid French VAT key": "clé de TVA française invalide",
    "invalid French VAT number": "numéro de TVA français invalide",
    "French VAT number must be FR + 2-character key + 9-digit SIREN":
        "le numéro de TVA français doit être FR + clé de 2 caractères + SIREN à 9 chiffres",
    "the SIREN inside the French VAT number has an invalid check digit":
        "le SIREN contenu dans le numéro de TVA a une clé invalide",
    "invalid EU VAT number (checksum or format)": "numéro de TVA européen invalide (clé ou format)",
    "must be a 2-letter country prefix followed by 2 to 13 letters or digits":
        "doit être un préfixe pays de 2 lettres suivi de 2 à 13 lettres ou chiffres",
}


def _fr(reason: str | None) -> str:
    return _REASON_FR.get(reason or "", reason or "")


class _Out:
    def __init__(self) -> None:
        self.items: list[ErrorDetail] = []

    def add(self, rule: str, field: str | None, en: str, fr: str) -> None:
        self.items.append(ErrorDetail(message=en, message_fr=fr, field=field, rule=rule))


def is_french_seller(invoice: Invoice) -> bool:
    s = invoice.seller
    return (
        (s.address.country_code or "").upper() == "FR"
        or bool(s.siren)
        or normalize_identifier(s.vat_id).startswith("FR")
    )


def _decimals(v: Decimal) -> int:
    exp = v.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def _dates(inv: Invoice) -> Iterable[tuple[str, _dt.date | None]]:
    yield "issueDate", inv.issue_date
    yield "dueDate", inv.due_date
    yield "taxPointDate", inv.tax_point_date
    for i, p in enumerate(inv.preceding_invoices):
        yield f"precedingInvoices[{i}].issueDate", p.issue_date
    if inv.delivery:
        yield "delivery.date", inv.delivery.date
    if inv.invoicing_period:
        yield "invoicingPeriod.start", inv.invoicing_period.start
        yield "invoicingPeriod.end", inv.invoicing_period.end
    for i, line in enumerate(inv.lines):
        if line.period:
            yield f"lines[{i}].period.start", line.period.start
            yield f"lines[{i}].period.end", line.period.end


def _amount_fields(inv: Invoice) -> Iterable[tuple[str, Decimal | None]]:
    for i, a in enumerate(inv.allowances):
        yield f"allowances[{i}].amount", a.amount
        yield f"allowances[{i}].baseAmount", a.base_amount
    for i, c in enumerate(inv.charges):
        yield f"charges[{i}].amount", c.amount
        yield f"charges[{i}].baseAmount", c.base_amount
    for i, line in enumerate(inv.lines):
        yield f"lines[{i}].netAmount", line.net_amount
        for j, a in enumerate(line.allowances):
            yield f"lines[{i}].allowances[{j}].amount", a.amount
            yield f"lines[{i}].allowances[{j}].baseAmount", a.base_amount
        for j, c in enumerate(line.charges):
            yield f"lines[{i}].charges[{j}].amount", c.amount
            yield f"lines[{i}].charges[{j}].baseAmount", c.base_amount
    for i, v in enumerate(inv.vat_breakdown):
        yield f"vatBreakdown[{i}].taxableAmount", v.taxable_amount
        yield f"vatBreakdown[{i}].taxAmount", v.tax_amount
    if inv.totals:
        for name, value in inv.totals.model_dump().items():
            alias = type(inv.totals).model_fields[name].alias or name
            yield f"totals.{alias}", value


def _vat_ids(inv: Invoice) -> list[tuple[str, str]]:
    out = [("seller.vatId", inv.seller.vat_id), ("buyer.vatId", inv.buyer.vat_id)]
    if inv.tax_representative:
        out.append(("taxRepresentative.vatId", inv.tax_representative.vat_id))
    return [(p, v) for p, v in out if v]


def _check_core(inv: Invoice, o: _Out) -> None:
    """Selected EN 16931 core rules (presence, VAT categories, payment)."""
    if not inv.specification_id:
        o.add("BR-01", "specificationId", "The specification identifier (BT-24) is missing",
              "L'identifiant de spécification (BT-24) est absent")
    if not inv.number.strip():
        o.add("BR-02", "number", "The invoice number (BT-1) is missing", "Le numéro de facture (BT-1) est absent")
    if not re.fullmatch(r"[A-Z]{3}", inv.currency or ""):
        o.add("BR-05", "currency", "The invoice currency (BT-5) must be an ISO 4217 code",
              "La devise de la facture (BT-5) doit être un code ISO 4217")
    if not inv.seller.name.strip():
        o.add("BR-06", "seller.name", "The seller name (BT-27) is missing", "Le nom du vendeur (BT-27) est absent")
    if not inv.buyer.name.strip():
        o.add("BR-07", "buyer.name", "The buyer name (BT-44) is missing", "Le nom de l'acheteur (BT-44) est absent")
    if not re.fullmatch(r"[A-Z]{2}", inv.seller.address.country_code or ""):
        o.add("BR-09", "seller.address.countryCode", "The seller country code (BT-40) must be an ISO 3166-1 code",
              "Le code pays du vendeur (BT-40) doit être un code ISO 3166-1")
    if not re.fullmatch(r"[A-Z]{2}", inv.buyer.address.country_code or ""):
        o.add("BR-11", "buyer.address.countryCode", "The buyer country code (BT-55) must be an ISO 3166-1 code",
              "Le code pays de l'acheteur (BT-55) doit être un code ISO 3166-1")
    if not inv.lines:
        o.add("BR-16", "lines", "The invoice must have at least one line (BG-25)",
              "La facture doit comporter au moins une ligne (BG-25)")
    if inv.tax_point_date is not None and inv.vat_due_date_code is not None:
        o.add("BR-CO-03", "vatDueDateCode",
              "The VAT point date (BT-7) and the VAT point date code (BT-8) are mutually exclusive",
              "La date d'exigibilité de la TVA (BT-7) et son code (BT-8) sont mutuellement exclusifs")
    if inv.vat_due_date_code is not None and inv.vat_due_date_code not in _VAT_DUE_CODES:
        o.add("BR-CL-06", "vatDueDateCode",
              "The VAT point date code (BT-8) must be 3 (invoice date, VAT on debits), 35 (delivery) or 432 (payment)",
              "Le code de date d'exigibilité (BT-8) doit valoir 3 (débits), 35 (livraison) ou 432 (encaissement)")
    s = inv.seller
    if not (s.identifiers or s.siren or s.vat_id):
        o.add("BR-CO-26", "seller", "The seller must have an identifier (BT-29), a legal id (BT-30) or a VAT id (BT-31)",
              "Le vendeur doit avoir un identifiant (BT-29), un identifiant légal (BT-30) ou un n° de TVA (BT-31)")
    for path, vat in _vat_ids(inv):
        if not re.match(r"[A-Z]{2}", normalize_identifier(vat)):
            o.add("BR-CO-09", path, f"The VAT identifier {vat!r} must start with an ISO 3166-1 country prefix",
                  f"Le numéro de TVA {vat!r} doit commencer par un préfixe pays ISO 3166-1")
    for i, p in enumerate(inv.preceding_invoices):
        if not p.number.strip():
            o.add("BR-55", f"precedingInvoices[{i}].number", "The preceding invoice reference (BT-25) is empty",
                  "La référence de la facture antérieure (BT-25) est vide")

    # payment: BR-CO-25 and BR-61
    t = inv.totals
    if t and t.payable is not None and t.payable > 0 and inv.due_date is None and not inv.payment_terms \
            and inv.type_code not in CREDIT_NOTE_TYPE_CODES:
        o.add("BR-CO-25", "dueDate", "A positive amount due (BT-115) needs a due date (BT-9) or payment terms (BT-20)",
              "Un net à payer positif (BT-115) exige une date d'échéance (BT-9) ou des conditions de paiement (BT-20)")
    pi = inv.payment_instructions
    if pi and pi.means_code in ("30", "58") and not pi.credit_transfers:
        o.add("BR-61", "paymentInstructions.creditTransfers",
              "A credit transfer (payment means 30/58) needs the payment account identifier (BT-84, IBAN)",
              "Un virement (moyen de paiement 30/58) exige l'identifiant du compte (BT-84, IBAN)")
    for i, a in enumerate(inv.allowances):
        if not a.reason and not a.reason_code:
            o.add("BR-33", f"allowances[{i}].reason", "A document allowance needs a reason (BT-97) or reason code (BT-98)",
                  "Une remise de pied doit avoir un motif (BT-97) ou un code motif (BT-98)")
    for i, c in enumerate(inv.charges):
        if not c.reason and not c.reason_code:
            o.add("BR-38", f"charges[{i}].reason", "A document charge needs a reason (BT-104) or reason code (BT-105)",
                  "Des frais de pied doivent avoir un motif (BT-104) ou un code motif (BT-105)")
    for i, line in enumerate(inv.lines):
        for j, a in enumerate(line.allowances):
            if not a.reason and not a.reason_code:
                o.add("BR-42", f"lines[{i}].allowances[{j}].reason",
                      "A line allowance needs a reason (BT-139) or reason code (BT-140)",
                      "Une remise de ligne doit avoir un motif (BT-139) ou un code motif (BT-140)")
        for j, c in enumerate(line.charges):
            if not c.reason and not c.reason_code:
                o.add("BR-44", f"lines[{i}].charges[{j}].reason",
                      "A line charge needs a reason (BT-144) or reason code (BT-145)",
                      "Des frais de ligne doivent avoir un motif (BT-144) ou un code motif (BT-145)")
        if line.net_price < 0:
            o.add("BR-27", f"lines[{i}].netPrice", "The item net price (BT-146) must not be negative",
                  "Le prix net unitaire (BT-146) ne doit pas être négatif")
        if line.gross_price is not None and line.gross_price < 0:
            o.add("BR-28", f"lines[{i}].grossPrice", "The item gross price (BT-148) must not be negative",
                  "Le prix brut unitaire (BT-148) ne doit pas être négatif")
    _check_vat_categories(inv, o)


def _check_vat_categories(inv: Invoice, o: _Out) -> None:
    extended = "extended" in (inv.specification_id or "").lower()
    used: list[tuple[str, str, Decimal | None]] = []
    for i, line in enumerate(inv.lines):
        if calc.counts(line):  # GROUP / INFORMATION sub-lines carry no VAT
            used.append((f"lines[{i}]", line.vat_category, line.vat_rate))
    for i, a in enumerate(inv.allowances):
        used.append((f"allowances[{i}]", a.vat_category, a.vat_rate))
    for i, c in enumerate(inv.charges):
        used.append((f"charges[{i}]", c.vat_category, c.vat_rate))
    rate_field = {"lines": "vatRate"}
    cats = set()
    for path, cat, rate in used:
        cats.add(cat)
        rf = f"{path}.{rate_field.get(path.split('[')[0], 'vatRate')}"
        if cat not in VAT_CATEGORIES:
            o.add("BR-CL-18", f"{path}.vatCategory",
                  f"Unknown VAT category code {cat!r}", f"Code de catégorie de TVA {cat!r} inconnu")
            continue
        if cat == "S" and (rate is None or rate <= 0):
            o.add(calc.category_rule(cat, "05"), rf, "Standard rated (S) items need a VAT rate greater than 0",
                  "Les éléments au taux normal (S) doivent avoir un taux de TVA supérieur à 0")
        elif cat in _UNTAXED_RATE_ZERO and (rate is None or rate != 0):
            o.add(calc.category_rule(cat, "05"), rf, f"Items of VAT category {cat} must have a VAT rate of 0",
                  f"Les éléments de catégorie de TVA {cat} doivent avoir un taux de TVA de 0")
        elif cat == "O" and rate is not None:
            o.add(calc.category_rule(cat, "05"), rf, "Items not subject to VAT (O) must not have a VAT rate",
                  "Les éléments hors champ de TVA (O) ne doivent pas avoir de taux")
    has_vat_ids = bool(inv.seller.vat_id or inv.tax_representative or inv.buyer.vat_id)
    if has_vat_ids:
        for rule, kind, items in (("BR-O-02", "lines", inv.lines), ("BR-O-03", "allowances", inv.allowances),
                                  ("BR-O-04", "charges", inv.charges)):
            if any(x.vat_category == "O" and (kind != "lines" or calc.counts(x)) for x in items):
                o.add(rule, "seller.vatId" if inv.seller.vat_id else "buyer.vatId",
                      f"{kind.capitalize()} not subject to VAT (O) exclude the seller, tax representative and buyer "
                      "VAT identifiers (BT-31, BT-63, BT-48)",
                      "Les éléments hors champ de TVA (O) excluent les n° de TVA du vendeur, du représentant fiscal et "
                      "de l'acheteur (BT-31, BT-63, BT-48)")
    if "O" in cats and len(cats) > 1:
        o.add("BR-O-11", "lines", "An invoice with category O (not subject to VAT) must not use other VAT categories",
              "Une facture avec la catégorie O (hors champ) ne doit pas utiliser d'autres catégories de TVA")
    s, b = inv.seller, inv.buyer
    seller_has_vat = bool(s.vat_id or s.tax_registration_id or inv.tax_representative)
    for cat in sorted(cats & {"S", "Z", "E", "AE", "K", "G"}):
        if not seller_has_vat:
            o.add(calc.category_rule(cat, "02"), "seller.vatId",
                  f"VAT category {cat} needs the seller VAT identifier (BT-31), tax registration (BT-32) or tax "
                  "representative (BT-63)",
                  f"La catégorie de TVA {cat} exige le n° de TVA du vendeur (BT-31), son identifiant fiscal (BT-32) ou "
                  "un représentant fiscal (BT-63)")
    if "AE" in cats and not (b.vat_id or b.siren):
        o.add("BR-AE-02", "buyer.vatId", "Reverse charge (AE) needs the buyer VAT identifier (BT-48) or legal id (BT-47)",
              "L'autoliquidation (AE) exige le n° de TVA de l'acheteur (BT-48) ou son identifiant légal (BT-47)")
    if "K" in cats and not b.vat_id:
        o.add("BR-IC-02", "buyer.vatId", "Intra-community supplies (K) need the buyer VAT identifier (BT-48)",
              "Les livraisons intracommunautaires (K) exigent le n° de TVA de l'acheteur (BT-48)")
    if "K" in cats and not ((inv.delivery and (inv.delivery.date or inv.delivery.address)) or inv.invoicing_period):
        o.add("BR-IC-11", "delivery.date",
              "Intra-community supplies (K) need the actual delivery date (BT-72) or the invoicing period (BG-14)",
              "Les livraisons intracommunautaires (K) exigent la date de livraison (BT-72) ou la période de facturation (BG-14)")
    if "K" in cats and not (inv.delivery and inv.delivery.address):
        o.add("BR-IC-12", "delivery.address", "Intra-community supplies (K) need the deliver-to country (BT-80)",
              "Les livraisons intracommunautaires (K) exigent le pays de livraison (BT-80)")
    for i, v in enumerate(inv.vat_breakdown):
        has_reason = bool(v.exemption_reason or v.exemption_reason_code)
        if v.category in _EXEMPTION_REQUIRED and not has_reason:
            o.add(calc.category_rule(v.category, "10"), f"vatBreakdown[{i}].exemptionReason",
                  f"VAT category {v.category} needs an exemption reason (BT-120) or code (BT-121), e.g. the legal reference",
                  f"La catégorie de TVA {v.category} exige une mention d'exonération (BT-120) ou son code (BT-121), "
                  "par exemple la référence légale")
        if v.category in ("S", "Z") and has_reason and not extended:  # EN 16931 only; extensions relax it
            o.add(calc.category_rule(v.category, "10"), f"vatBreakdown[{i}].exemptionReason",
                  f"VAT category {v.category} must not have an exemption reason",
                  f"La catégorie de TVA {v.category} ne doit pas avoir de motif d'exonération")
        if v.category != "O" and v.rate is None:
            o.add("BR-48", f"vatBreakdown[{i}].rate", "Each VAT breakdown needs a VAT rate (BT-119) except category O",
                  "Chaque ventilation de TVA doit avoir un taux (BT-119), sauf la catégorie O")


def _check_french(inv: Invoice, o: _Out) -> None:
    s, b = inv.seller, inv.buyer
    # BR-FR-01 / 02 invoice numbers
    if len(inv.number) > 35:
        o.add("BR-FR-01", "number", "The invoice number (BT-1) must not exceed 35 characters",
              "Le numéro de facture (BT-1) ne doit pas dépasser 35 caractères")
    if inv.number and not _ID_RE.match(inv.number):
        o.add("BR-FR-02", "number",
              "The invoice number (BT-1) may only contain letters, digits and + - _ / (no spaces)",
              "Le numéro de facture (BT-1) ne peut contenir que lettres, chiffres et + - _ / (sans espace)")
    for i, p in enumerate(inv.preceding_invoices):
        if len(p.number) > 35:
            o.add("BR-FR-01", f"precedingInvoices[{i}].number",
                  "The preceding invoice reference (BT-25) must not exceed 35 characters",
                  "La référence de facture antérieure (BT-25) ne doit pas dépasser 35 caractères")
        if p.number and not _ID_RE.match(p.number):
            o.add("BR-FR-02", f"precedingInvoices[{i}].number",
                  "The preceding invoice reference (BT-25) may only contain letters, digits and + - _ /",
                  "La référence de facture antérieure (BT-25) ne peut contenir que lettres, chiffres et + - _ /")
    # BR-FR-03 dates
    for path, d in _dates(inv):
        if d is not None and not (2000 <= d.year <= 2099):
            o.add("BR-FR-03", path, "Dates must be between the years 2000 and 2099",
                  "Les dates doivent être comprises entre les années 2000 et 2099")
    # BR-FR-04 type code
    if inv.type_code not in ALLOWED_TYPE_CODES:
        o.add("BR-FR-04", "typeCode", f"Invoice type code (BT-3) {inv.type_code!r} is not allowed in France",
              f"Le code type de facture (BT-3) {inv.type_code!r} n'est pas autorisé en France")
    # BR-FR-05 / 06 notes
    counts: dict[str, int] = {}
    for n in inv.notes:
        code = (n.subject_code or "").upper()
        counts[code] = counts.get(code, 0) + 1
    labels = {
        "PMT": ("the flat-rate recovery indemnity (EUR 40)", "l'indemnité forfaitaire pour frais de recouvrement (40 EUR)"),
        "PMD": ("the late-payment penalties", "les pénalités de retard"),
        "AAB": ("the early-payment discount (escompte) conditions", "les conditions d'escompte"),
    }
    for code, (en, fr) in labels.items():
        if counts.get(code, 0) == 0:
            o.add("BR-FR-05", "notes", f"A note with subject code {code} ({en}) is mandatory",
                  f"Une note de code sujet {code} ({fr}) est obligatoire")
        elif counts[code] > 1:
            o.add("BR-FR-06", "notes", f"The note with subject code {code} must appear only once",
                  f"La note de code sujet {code} ne doit apparaître qu'une fois")
    if counts.get("TXD", 0) > 1:
        o.add("BR-FR-06", "notes", "The note with subject code TXD must appear only once",
              "La note de code sujet TXD ne doit apparaître qu'une fois")
    bar_count = counts.get("BAR", 0)
    bar = inv.expected_processing
    if bar_count > 1 or (bar is not None and bar not in EXPECTED_PROCESSING_VALUES):
        o.add("BR-FR-20", "notes", "The BAR note (expected processing) must be one of "
              + ", ".join(sorted(EXPECTED_PROCESSING_VALUES)) + " and appear once",
              "La note BAR (traitement attendu) doit valoir l'une de "
              + ", ".join(sorted(EXPECTED_PROCESSING_VALUES)) + " et n'apparaître qu'une fois")
    # BR-FR-08 business process (nature of operation)
    if not inv.business_process:
        o.add("BR-FR-08", "businessProcess",
              "The billing framework (BT-23, nature of operation B1/S1/M1...) is mandatory",
              "Le cadre de facturation (BT-23, nature de l'opération B1/S1/M1...) est obligatoire")
    elif inv.business_process not in BUSINESS_PROCESS_CODES:
        o.add("BR-FR-08", "businessProcess", f"Unknown billing framework (BT-23) {inv.business_process!r}",
              f"Cadre de facturation (BT-23) {inv.business_process!r} inconnu")
    # VAT numbers are mandatory mentions (242 nonies A 2°-4°): check digits (FR key, EU checksums)
    for path, vat in _vat_ids(inv):
        reason = validate_vat(vat)
        if reason and re.match(r"[A-Z]{2}", normalize_identifier(vat)):
            o.add("BR-FR-MENTION-07", path, f"Invalid VAT identifier {vat!r}: {reason}",
                  f"Numéro de TVA {vat!r} invalide : {_fr(reason)}")
    # BR-FR-10 seller SIREN
    if not s.siren:
        o.add("BR-FR-10", "seller.siren", "The seller SIREN (BT-30, scheme 0002) is mandatory",
              "Le SIREN du vendeur (BT-30, schéma 0002) est obligatoire")
    else:
        reason = validate_siren(s.siren)
        if reason or s.siren != normalize_identifier(s.siren):
            o.add("BR-FR-10", "seller.siren", f"Invalid seller SIREN {s.siren!r}: {reason or 'must be 9 digits'}",
                  f"SIREN du vendeur {s.siren!r} invalide : {_fr(reason) or 'doit comporter 9 chiffres'}")
        if s.siren_scheme not in (None, "0002"):
            o.add("BR-FR-10", "seller.sirenScheme", "The seller legal identifier scheme must be 0002 (SIREN)",
                  "Le schéma de l'identifiant légal du vendeur doit être 0002 (SIREN)")
    # BR-FR-11 buyer SIREN
    bar_b2b = bar == "B2B"
    buyer_fr = (b.address.country_code or "").upper() == "FR"
    if bar_b2b and not b.siren:
        o.add("BR-FR-11", "buyer.siren", "The buyer SIREN (BT-47, scheme 0002) is mandatory for B2B invoices",
              "Le SIREN de l'acheteur (BT-47, schéma 0002) est obligatoire pour les factures B2B")
    elif bar is None and buyer_fr and not b.siren:
        # legal mention (CGI 242 nonies A 1° as amended): the buyer SIREN, unless a BAR note says B2C...
        o.add("BR-FR-MENTION-06", "buyer.siren",
              "The buyer SIREN (BT-47) is a mandatory mention for a French business buyer (or add a BAR note "
              "B2C / B2CINT / OUTOFSCOPE)",
              "Le SIREN de l'acheteur (BT-47) est une mention obligatoire pour un client professionnel français "
              "(ou ajouter une note BAR B2C / B2CINT / OUTOFSCOPE)")
    elif b.siren and (b.siren_scheme == "0002" or (bar_b2b and b.siren_scheme is None)):
        reason = validate_siren(b.siren)
        if reason or b.siren != normalize_identifier(b.siren):
            o.add("BR-FR-11" if bar_b2b else "BR-FR-32", "buyer.siren",
                  f"Invalid buyer SIREN {b.siren!r}: {reason or 'must be 9 digits'}",
                  f"SIREN de l'acheteur {b.siren!r} invalide : {_fr(reason) or 'doit comporter 9 chiffres'}")
    # BR-FR-09 SIRET / BR-FR-32 scheme 0002 identifiers
    for party, path, siren in (("seller", "seller", s.siren), ("buyer", "buyer", b.siren)):
        for i, ident in enumerate(getattr(inv, party).identifiers):
            if ident.scheme == "0009":
                reason = validate_siret(ident.value, siren if siren else None)
                if reason:
                    o.add("BR-FR-09", f"{path}.identifiers[{i}].value", f"Invalid SIRET {ident.value!r}: {reason}",
                          f"SIRET {ident.value!r} invalide : {_fr(reason)}")
            elif ident.scheme in ("0002", "0231") and not re.fullmatch(r"\d{9}", ident.value):
                o.add("BR-FR-32", f"{path}.identifiers[{i}].value",
                      f"Identifiers with scheme {ident.scheme} must be 9 digits",
                      f"Les identifiants de schéma {ident.scheme} doivent comporter 9 chiffres")
    # BR-FR-12/13 electronic addresses, BR-FR-21/22 prefix, BR-FR-23/25 syntax
    if b.electronic_address is None:
        o.add("BR-FR-12", "buyer.electronicAddress", "The buyer electronic address (BT-49) is mandatory",
              "L'adresse électronique de l'acheteur (BT-49) est obligatoire")
    if s.electronic_address is None:
        o.add("BR-FR-13", "seller.electronicAddress", "The seller electronic address (BT-34) is mandatory",
              "L'adresse électronique du vendeur (BT-34) est obligatoire")
    for rule, path, ea in (("BR-FR-23", "seller.electronicAddress", s.electronic_address),
                           ("BR-FR-25", "buyer.electronicAddress", b.electronic_address)):
        if ea is not None and ea.scheme == "0225":
            if len(ea.value) > 125 or not _EADDR_RE.match(ea.value):
                o.add(rule, f"{path}.value",
                      "An electronic address with scheme 0225 must be at most 125 characters among A-Z a-z 0-9 + - _ .",
                      "Une adresse électronique de schéma 0225 doit compter au plus 125 caractères parmi A-Z a-z 0-9 + - _ .")
    self_billed = inv.type_code in SELF_BILLED_TYPE_CODES
    if bar_b2b and not self_billed and b.electronic_address is not None and b.siren:
        ea = b.electronic_address
        if ea.scheme != "0225" or not ea.value.startswith(normalize_identifier(b.siren)):
            o.add("BR-FR-21", "buyer.electronicAddress",
                  "For B2B, the buyer electronic address (BT-49) must use scheme 0225 and start with the buyer SIREN",
                  "En B2B, l'adresse électronique de l'acheteur (BT-49) doit être de schéma 0225 et commencer par "
                  "le SIREN de l'acheteur")
    if bar_b2b and self_billed and s.electronic_address is not None and s.siren:
        ea = s.electronic_address
        if ea.scheme != "0225" or not ea.value.startswith(normalize_identifier(s.siren)):
            o.add("BR-FR-22", "seller.electronicAddress",
                  "For a self-billed B2B invoice, the seller electronic address (BT-34) must use scheme 0225 and "
                  "start with the seller SIREN",
                  "Pour une autofacture B2B, l'adresse électronique du vendeur (BT-34) doit être de schéma 0225 et "
                  "commencer par le SIREN du vendeur")
    # BR-FR-15 / 16 categories and rates
    entries: list[tuple[str, str, Decimal | None]] = []
    entries += [(f"lines[{i}]", x.vat_category, x.vat_rate) for i, x in enumerate(inv.lines) if calc.counts(x)]
    entries += [(f"allowances[{i}]", x.vat_category, x.vat_rate) for i, x in enumerate(inv.allowances)]
    entries += [(f"charges[{i}]", x.vat_category, x.vat_rate) for i, x in enumerate(inv.charges)]
    for path, cat, rate in entries:
        if cat not in FRENCH_VAT_CATEGORIES:
            o.add("BR-FR-15", f"{path}.vatCategory", f"VAT category {cat!r} is not allowed (S, E, AE, K, G, O, Z only)",
                  f"La catégorie de TVA {cat!r} n'est pas autorisée (S, E, AE, K, G, O, Z uniquement)")
        if rate is not None and (rate not in FRENCH_VAT_RATES or _decimals(rate) > _DEC_RATE):
            o.add("BR-FR-16", f"{path}.vatRate", f"VAT rate {rate} is not a French rate",
                  f"Le taux de TVA {rate} n'est pas un taux français")
    for i, v in enumerate(inv.vat_breakdown):
        if v.category not in FRENCH_VAT_CATEGORIES:
            o.add("BR-FR-15", f"vatBreakdown[{i}].category", f"VAT category {v.category!r} is not allowed",
                  f"La catégorie de TVA {v.category!r} n'est pas autorisée")
        if v.rate is not None and (v.rate not in FRENCH_VAT_RATES or _decimals(v.rate) > _DEC_RATE):
            o.add("BR-FR-16", f"vatBreakdown[{i}].rate", f"VAT rate {v.rate} is not a French rate",
                  f"Le taux de TVA {v.rate} n'est pas un taux français")
    # BR-FR-17 / 18 attachments
    lisible = 0
    for i, d in enumerate(inv.additional_documents):
        if d.description is not None and d.description not in ATTACHMENT_DESCRIPTIONS:
            o.add("BR-FR-17", f"additionalDocuments[{i}].description",
                  f"Attachment description (BT-123) {d.description!r} is not in the French list",
                  f"La description de pièce jointe (BT-123) {d.description!r} n'est pas dans la liste française")
        lisible += d.description == "LISIBLE"
    if lisible > 1:
        o.add("BR-FR-18", "additionalDocuments", "At most one attachment may be described LISIBLE",
              "Au plus une pièce jointe peut être décrite LISIBLE")
    # BR-FR-CO-03 .. 09 document type coherence
    tc = inv.type_code
    if tc == "262" and not (inv.contract_reference and inv.invoicing_period):
        o.add("BR-FR-CO-03", "contractReference",
              "A credit note for a global allowance (262) needs the contract reference (BT-12) and the invoicing period (BG-14)",
              "Un avoir de remise globale (262) exige la référence du contrat (BT-12) et la période de facturation (BG-14)")
    if tc in CORRECTIVE_TYPE_CODES and len(inv.preceding_invoices) != 1:
        o.add("BR-FR-CO-04", "precedingInvoices",
              "A corrective invoice must reference exactly one preceding invoice (BG-3: BT-25 and BT-26)",
              "Une facture rectificative doit référencer exactement une facture antérieure (BG-3 : BT-25 et BT-26)")
    if tc in CORRECTIVE_TYPE_CODES:
        for i, p in enumerate(inv.preceding_invoices):
            if p.issue_date is None:
                o.add("BR-FR-CO-04", f"precedingInvoices[{i}].issueDate",
                      "The preceding invoice issue date (BT-26) is mandatory for a corrective invoice",
                      "La date de la facture antérieure (BT-26) est obligatoire pour une facture rectificative")
    if tc in CREDIT_NOTE_TYPE_CODES and not inv.preceding_invoices:
        o.add("BR-FR-CO-05", "precedingInvoices",
              "A credit note must reference the preceding invoice(s) it credits (BG-3)",
              "Un avoir doit référencer la ou les factures antérieures qu'il annule (BG-3)")
    bp = inv.business_process or ""
    already_paid = bp in ("B2", "S2", "M2")
    if inv.due_date and inv.due_date < inv.issue_date and tc not in PREPAYMENT_TYPE_CODES and not already_paid:
        o.add("BR-FR-CO-07", "dueDate", "The due date (BT-9) must not precede the issue date (BT-2)",
              "La date d'échéance (BT-9) ne doit pas précéder la date d'émission (BT-2)")
    if bp in ("B4", "S4", "M4") and tc in PREPAYMENT_TYPE_CODES:
        o.add("BR-FR-CO-08", "businessProcess",
              "A final invoice after advance payments (B4/S4/M4) cannot be a prepayment document (386/500/503)",
              "Une facture définitive après acompte (B4/S4/M4) ne peut pas être un document d'acompte (386/500/503)")
    if already_paid:
        t = inv.totals
        if t is None or t.prepaid is None or t.tax_inclusive is None or t.prepaid != t.tax_inclusive \
                or (t.payable or Decimal(0)) != 0:
            o.add("BR-FR-CO-09", "totals.prepaid",
                  "An already paid invoice (B2/S2/M2) needs paid amount (BT-113) = total with VAT (BT-112) and "
                  "amount due (BT-115) = 0",
                  "Une facture déjà payée (B2/S2/M2) exige montant payé (BT-113) = total TTC (BT-112) et net à "
                  "payer (BT-115) = 0")
        if inv.due_date is None:
            o.add("BR-FR-CO-09", "dueDate", "An already paid invoice (B2/S2/M2) needs the payment date as due date (BT-9)",
                  "Une facture déjà payée (B2/S2/M2) exige la date de paiement en date d'échéance (BT-9)")
    # BR-FR-CO-12 foreign currency
    if inv.currency != "EUR":
        if inv.tax_currency != "EUR" or inv.totals is None or inv.totals.tax_amount_accounting is None:
            o.add("BR-FR-CO-12", "taxCurrency",
                  "An invoice not in EUR needs VAT accounting currency EUR (BT-6) and the VAT total in EUR (BT-111)",
                  "Une facture hors EUR exige la devise de comptabilisation de la TVA EUR (BT-6) et le total de TVA "
                  "en EUR (BT-111)")
    # BR-FR-CO-14/15 single VAT entity member
    if any(i.scheme == "0231" for i in s.identifiers):
        txd = inv.note("TXD")
        if txd is None or "MEMBRE_ASSUJETTI_UNIQUE" not in txd.text:
            o.add("BR-FR-CO-14", "notes", "A member of a single VAT entity (scheme 0231) needs the TXD note "
                  "MEMBRE_ASSUJETTI_UNIQUE", "Un membre d'un assujetti unique (schéma 0231) exige la note TXD "
                  "MEMBRE_ASSUJETTI_UNIQUE")
        if inv.tax_representative is None:
            o.add("BR-FR-CO-15", "taxRepresentative",
                  "A member of a single VAT entity needs the tax representative (BG-11) with the group VAT number",
                  "Un membre d'un assujetti unique exige le représentant fiscal (BG-11) avec le n° de TVA du groupe")
    # BR-FR-DEC-01..04 decimals
    for path, v in _amount_fields(inv):
        if v is not None and _decimals(v) > _DEC_AMOUNT:
            o.add("BR-FR-DEC-01", path, "Amounts may have at most 2 decimals",
                  "Les montants ont au plus 2 décimales")
    for i, line in enumerate(inv.lines):
        if _decimals(line.quantity) > _DEC_QTY:
            o.add("BR-FR-DEC-02", f"lines[{i}].quantity", "Quantities may have at most 4 decimals",
                  "Les quantités ont au plus 4 décimales")
        if line.base_quantity is not None and _decimals(line.base_quantity) > _DEC_QTY:
            o.add("BR-FR-DEC-02", f"lines[{i}].baseQuantity", "Quantities may have at most 4 decimals",
                  "Les quantités ont au plus 4 décimales")
        for name, value in (("netPrice", line.net_price), ("grossPrice", line.gross_price),
                            ("priceDiscount", line.price_discount)):
            if value is not None and _decimals(value) > _DEC_PRICE:
                o.add("BR-FR-DEC-03", f"lines[{i}].{name}", "Unit prices may have at most 6 decimals",
                      "Les prix unitaires ont au plus 6 décimales")
    rates = [(f"{path}.vatRate", rate) for path, _cat, rate in entries]
    rates += [(f"vatBreakdown[{i}].rate", v.rate) for i, v in enumerate(inv.vat_breakdown)]
    for path, rate in rates:
        if rate is not None and _decimals(rate) > _DEC_RATE:
            o.add("BR-FR-DEC-04", path, "VAT rates may have at most 2 decimals",
                  "Les taux de TVA ont au plus 2 décimales")
    # legal mentions not covered by schematrons (CGI 242 nonies A, L441-9)
    if not s.address.city or not (s.address.line1 or s.address.postcode):
        o.add("BR-FR-MENTION-01", "seller.address", "The seller full address (BG-5) is a mandatory mention",
              "L'adresse complète du vendeur (BG-5) est une mention obligatoire")
    if not b.address.city or not (b.address.line1 or b.address.postcode):
        o.add("BR-FR-MENTION-01", "buyer.address", "The buyer full address (BG-8) is a mandatory mention",
              "L'adresse complète de l'acheteur (BG-8) est une mention obligatoire")
    if inv.delivery and inv.delivery.address:
        d = inv.delivery.address
        if not d.city or not (d.line1 or d.postcode):
            o.add("BR-FR-MENTION-02", "delivery.address",
                  "The delivery address (BG-15), when given, must be complete (street or post code, and city)",
                  "L'adresse de livraison (BG-15), si elle est indiquée, doit être complète (voie ou code postal, et ville)")
    if not s.vat_id and not inv.tax_representative and any(
            x.vat_category in ("S",) for x in inv.lines):
        o.add("BR-FR-MENTION-03", "seller.vatId", "The seller VAT number (BT-31) is a mandatory mention",
              "Le numéro de TVA intracommunautaire du vendeur (BT-31) est une mention obligatoire")
    if tc not in CREDIT_NOTE_TYPE_CODES and not already_paid and inv.due_date is None:
        o.add("BR-FR-MENTION-04", "dueDate", "The payment due date (BT-9) is a mandatory mention (C. com. L441-9)",
              "La date d'échéance du paiement (BT-9) est une mention obligatoire (C. com. L441-9)")


def _check_ubl_schemes(inv: Invoice, o: _Out) -> None:
    """BR-FR-CO-10 in UBL: party identifiers (BT-29, BT-46, BT-60) need a scheme; CII has scheme-less
    private ``ram:ID`` for that, UBL has only ``PartyIdentification/ID``."""
    groups = [("seller.identifiers", inv.seller.identifiers), ("buyer.identifiers", inv.buyer.identifiers)]
    if inv.payee and inv.payee.identifier:
        groups.append(("payee.identifier", [inv.payee.identifier]))
    for path, idents in groups:
        for i, ident in enumerate(idents):
            if not ident.scheme:
                field = path if path == "payee.identifier" else f"{path}[{i}]"
                o.add("BR-FR-CO-10", f"{field}.scheme",
                      "In UBL every party identifier (BT-29, BT-46, BT-60) needs a scheme",
                      "En UBL chaque identifiant de partie (BT-29, BT-46, BT-60) doit avoir un schéma")


def _check_debits_option(inv: Invoice, vat_on_debits: bool, o: _Out) -> None:
    """New mention (CGI 242 nonies A): "option pour le paiement de la taxe d'après les débits" = BT-8 code 3."""
    has_services = any((inv.business_process or "").startswith(p) for p in ("S", "M")) or not inv.business_process
    if vat_on_debits and has_services and inv.vat_due_date_code != "3":
        o.add("BR-FR-MENTION-05", "vatDueDateCode",
              "The seller opted for VAT on debits: the VAT point date code (BT-8) must be 3",
              "Le vendeur a opté pour le paiement de la TVA d'après les débits : le code BT-8 doit valoir 3")
    if not vat_on_debits and inv.vat_due_date_code == "3":
        o.add("BR-FR-MENTION-05", "vatDueDateCode",
              "BT-8 = 3 states the option for VAT on debits, which the seller has not taken",
              "BT-8 = 3 indique l'option pour les débits, que le vendeur n'a pas exercée")


def check(invoice: Invoice, *, amounts: bool = True, french: bool | None = None,
          tolerances: calc.Tolerances | None = None, syntax: str | None = None,
          vat_on_debits: bool | None = None) -> list[ErrorDetail]:
    """All failures of ``invoice`` (empty list = valid).

    ``french=None`` applies the French rules when the seller is established in France;
    ``amounts=False`` skips the amount consistency checks (BR-CO-10..17...);
    ``syntax="ubl"`` adds the rules that only bite in UBL (BR-FR-CO-10 identifier schemes);
    ``vat_on_debits`` (the seller company's option, when known) checks the BT-8 mention.
    """
    o = _Out()
    _check_core(invoice, o)
    french_rules = bool(french or (french is None and is_french_seller(invoice)))
    if french_rules:
        _check_french(invoice, o)
    if french_rules and (syntax or "").lower().startswith("ubl"):
        _check_ubl_schemes(invoice, o)
    if french_rules and vat_on_debits is not None:
        _check_debits_option(invoice, vat_on_debits, o)
    if amounts:
        o.items.extend(calc.check_amounts(invoice, tolerances))
    return o.items


def ensure_valid(invoice: Invoice, **kwargs: object) -> Invoice:
    """Raise :class:`InvalidInputError` (422) with every detail when ``check`` finds failures."""
    details = check(invoice, **kwargs)  # type: ignore[arg-type]
    if details:
        raise InvalidInputError(
            f"The invoice breaks {len(details)} rule(s)", details=details
        )
    return invoice


def duplicate_key(invoice: Invoice) -> str:
    """Key of the company "duplicate control" option: seller SIREN, invoice number, issue year.

    Same seller (supplier, also for self-billed invoices), same number in the same year = duplicate.
    Falls back to the seller VAT id, then the seller name, when there is no SIREN.
    """
    seller = invoice.seller
    party = normalize_identifier(seller.siren) or normalize_identifier(seller.vat_id) or seller.name.strip().upper()
    return f"{party}#{invoice.number.strip()}#{invoice.issue_date.year:04d}"
