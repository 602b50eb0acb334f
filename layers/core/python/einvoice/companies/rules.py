"""Company rules, shared by the API (one company) and the CSV import (many lines).

Each failure is a ``Violation(field, reason, rule, reason_fr)``: the API turns it into a 422
``ErrorDetail``; the import into a per-line ``{"line", "field", "reason"}`` entry.

Rule ids:
  COMPANY-01  at least one of purchaseInvoices / salesInvoices
  COMPANY-02  purchasePayment requires purchaseInvoices
  COMPANY-03  one company per identifier in the account (409 in the API)
  COMPANY-04  identifier: SIREN 9 digits / SIRET 14 digits with a valid key (Luhn; La Poste rule)
  COMPANY-05  the identifier must be known to the directory
  COMPANY-06  the company must not be closed in the directory
  COMPANY-07  a SIRET must belong to a SIREN known and active in the directory
"""

from __future__ import annotations

from typing import NamedTuple

from einvoice.directory.models import Establishment, LegalUnit


class Violation(NamedTuple):
    field: str
    reason: str
    rule: str
    reason_fr: str


def check_options(purchase_invoices: bool, purchase_payment: bool, sales_invoices: bool) -> list[Violation]:
    out = []
    if not purchase_invoices and not sales_invoices:
        out.append(
            Violation(
                "purchaseInvoices",
                "at least one of purchaseInvoices or salesInvoices must be selected",
                "COMPANY-01",
                "au moins une des options factures d'achat ou factures de vente doit être choisie",
            )
        )
    if purchase_payment and not purchase_invoices:
        out.append(
            Violation(
                "purchasePayment",
                "purchasePayment requires purchaseInvoices",
                "COMPANY-02",
                "le paiement des achats nécessite l'option factures d'achat",
            )
        )
    return out


def normalize(identifier: str) -> str:
    """Digits of an identifier as typed (spaces, non-breaking spaces, dots, dashes removed)."""
    from einvoice.identifiers import normalize_identifier

    return normalize_identifier(identifier)


def check_identifier(identifier_type: str, identifier: str) -> Violation | None:
    """Format and key of an already-normalised identifier, for the given type."""
    from einvoice.identifiers import validate_siren, validate_siret

    if identifier_type == "SIREN":
        reason = validate_siren(identifier)
        if reason is None:
            return None
        if identifier.isdigit() and len(identifier) == 14:
            reason = "a 14-digit identifier is a SIRET: use identifierType SIRET"
        return Violation("identifier", f"invalid SIREN: {reason}", "COMPANY-04", f"SIREN invalide : {reason}")
    reason = validate_siret(identifier)
    if reason is None:
        return None
    if identifier.isdigit() and len(identifier) == 9:
        reason = "a 9-digit identifier is a SIREN: use identifierType SIREN"
    return Violation("identifier", f"invalid SIRET: {reason}", "COMPANY-04", f"SIRET invalide : {reason}")


def check_directory(
    identifier_type: str, identifier: str, unit: LegalUnit | None, est: Establishment | None
) -> Violation | None:
    """Directory consistency, given the legal unit of the identifier's SIREN and (SIRET) the establishment."""
    siren = identifier[:9]
    if identifier_type == "SIRET":
        if unit is None:
            return Violation(
                "identifier",
                f"the SIREN {siren} of this SIRET is unknown to the directory",
                "COMPANY-07",
                f"le SIREN {siren} de ce SIRET est inconnu de l'annuaire",
            )
        if not unit.active:
            return Violation(
                "identifier",
                f"the SIREN {siren} of this SIRET is closed in the directory",
                "COMPANY-07",
                f"le SIREN {siren} de ce SIRET est fermé dans l'annuaire",
            )
        if est is None:
            return Violation(
                "identifier", "SIRET unknown to the directory", "COMPANY-05", "SIRET inconnu de l'annuaire"
            )
        if est.siren != siren:
            return Violation(
                "identifier",
                "the directory lists this SIRET under another SIREN",
                "COMPANY-07",
                "l'annuaire rattache ce SIRET à un autre SIREN",
            )
        if not est.active:
            return Violation(
                "identifier",
                "establishment closed in the directory",
                "COMPANY-06",
                "établissement fermé dans l'annuaire",
            )
        return None
    if unit is None:
        return Violation("identifier", "SIREN unknown to the directory", "COMPANY-05", "SIREN inconnu de l'annuaire")
    if not unit.active:
        return Violation(
            "identifier", "company closed in the directory", "COMPANY-06", "entreprise fermée dans l'annuaire"
        )
    return None
