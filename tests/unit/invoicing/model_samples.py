"""Sample invoices for the invoice-engine tests (model / calc / checks / cii / ubl / parse)."""

from __future__ import annotations

import copy
from typing import Any

from einvoice.invoicing.model import Invoice

SELLER_SIREN = "732829320"  # Luhn-valid
BUYER_SIREN = "552100554"  # Luhn-valid


def sample_body() -> dict[str, Any]:
    """A French domestic B2B invoice body (camelCase JSON, as POST /v1/invoices) that passes every check."""
    return copy.deepcopy(
        {
            "number": "F2026-0001",
            "issueDate": "2026-09-15",
            "typeCode": "380",
            "currency": "EUR",
            "vatDueDateCode": "3",
            "dueDate": "2026-10-15",
            "buyerReference": "SERVICE-ACHATS",
            "purchaseOrderReference": "PO-4512",
            "paymentTerms": "Paiement à 30 jours",
            "businessProcess": "M1",
            "notes": [
                {"subjectCode": "PMT", "text": "Indemnité forfaitaire pour frais de recouvrement : 40 EUR"},
                {"subjectCode": "PMD", "text": "Pénalités de retard : 3 fois le taux d'intérêt légal"},
                {"subjectCode": "AAB", "text": "Pas d'escompte pour paiement anticipé"},
                {"subjectCode": "BAR", "text": "B2B"},
            ],
            "seller": {
                "name": "Vendeur SAS",
                "identifiers": [{"value": SELLER_SIREN + "00074", "scheme": "0009"}],
                "siren": SELLER_SIREN,
                "vatId": "FR44" + SELLER_SIREN,
                "legalInfo": "SAS au capital de 10 000 EUR, RCS Paris",
                "electronicAddress": {"value": SELLER_SIREN, "scheme": "0225"},
                "address": {"line1": "1 rue de la Paix", "city": "Paris", "postcode": "75002", "countryCode": "FR"},
                "contact": {"name": "Jeanne", "email": "compta@vendeur.example"},
            },
            "buyer": {
                "name": "Acheteur SARL",
                "siren": BUYER_SIREN,
                "vatId": "FR96" + BUYER_SIREN,
                "electronicAddress": {"value": BUYER_SIREN, "scheme": "0225"},
                "address": {"line1": "2 avenue Foch", "city": "Lyon", "postcode": "69006", "countryCode": "FR"},
            },
            "delivery": {
                "date": "2026-09-10",
                "address": {"line1": "Entrepôt 4, ZI Nord", "city": "Villeurbanne", "postcode": "69100",
                            "countryCode": "FR"},
            },
            "paymentInstructions": {
                "meansCode": "58",
                "remittanceInformation": "F2026-0001",
                "creditTransfers": [{"accountId": "FR7630006000011234567890189", "bic": "AGRIFRPP"}],
            },
            "charges": [{"amount": "15.00", "vatCategory": "S", "vatRate": "20", "reason": "Frais de port"}],
            "allowances": [
                {"amount": "5.00", "vatCategory": "S", "vatRate": "20", "reason": "Remise fidélité", "reasonCode": "95"}
            ],
            "lines": [
                {"id": "1", "quantity": "3", "unitCode": "C62", "netPrice": "19.99", "vatCategory": "S",
                 "vatRate": "20", "name": "Clavier"},
                {"id": "2", "quantity": "2.5", "unitCode": "HUR", "netPrice": "80", "vatCategory": "S",
                 "vatRate": "20", "name": "Installation",
                 "allowances": [{"amount": "10.00", "reason": "Geste commercial"}]},
                {"id": "3", "quantity": "1", "netPrice": "12.50", "vatCategory": "S", "vatRate": "5.5",
                 "name": "Livre technique"},
            ],
        }
    )


def sample_invoice(**updates: Any) -> Invoice:
    body = sample_body()
    body.update(updates)
    return Invoice.model_validate(body)
