"""An accepted OCR result -> the EN 16931 invoice (``einvoice.invoicing.model.Invoice``) of the
received invoice, from which Factur-X is generated and validated.

What a paper invoice does not carry is filled in explicitly, never guessed silently:

* electronic addresses (BT-34/BT-49): the SIRENs, scheme 0225 (the French CTC address);
* billing framework (BT-23): ``M1`` unless the reviewer sets it (``businessProcess`` correction);
* the PMT/PMD/AAB notes: the sentence of the document when one is found (indemnité forfaitaire,
  pénalités de retard, escompte), otherwise "Non mentionné sur la facture d'origine";
* lines: the lines read when they add up to the total without VAT and their rates are known;
  otherwise one line per VAT rate ("Montant soumis à TVA n %" for its base), so the totals of the
  generated invoice are exactly those read;
* VAT exemption (no VAT at all): category E with the exemption sentence found (293 B franchise,
  art. 262 ter, autoliquidation -> AE), otherwise "Exonération (mention de la facture d'origine)".
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from einvoice.invoicing.model import FRENCH_VAT_RATES
from einvoice.ocr.normalize import fold

NOT_STATED = "Non mentionné sur la facture d'origine"
_NOTES = (
    ("PMT", r"indemnite forfaitaire|frais de recouvrement|recovery (?:fee|costs)"),
    ("PMD", r"penalites? de retard|interets? de retard|late (?:payment )?(?:penalt|interest)"),
    ("AAB", r"escompte|early payment discount"),
)
_EXEMPTIONS = (
    (r"293\s?b", "E", "TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE"),
    (r"autoliquidation|reverse charge", "AE", "Autoliquidation", "VATEX-EU-AE"),
    (r"262 ter|livraison intracommunautaire|intra-community supply", "K", "Exonération de TVA, art. 262 ter I du CGI",
     "VATEX-EU-IC"),
)



def _dec(value: Decimal) -> str:
    """A decimal as the invoice model reads it: positional notation, never ``2E+1``."""
    return format(value, "f")

def _v(result: dict[str, Any], bt: str) -> Any:
    f = (result.get("fields") or {}).get(bt)
    return f.get("value") if f else None


def _notes(text_rows: list[str]) -> list[dict[str, str]]:
    notes = []
    for code, rx in _NOTES:
        found = next((r.strip(" •-+*") for r in text_rows if re.search(rx, fold(r))), None)
        notes.append({"subjectCode": code, "text": (found or NOT_STATED)[:500]})
    return notes


def _rate(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except Exception:  # noqa: BLE001
        return None
    return d.normalize() if d in FRENCH_VAT_RATES else None


def _lines(result: dict[str, Any], text_rows: list[str]) -> list[dict[str, Any]]:
    ht = Decimal(str(_v(result, "BT-109")))
    rows = result.get("vatBreakdown") or []
    read = result.get("lines") or []
    single_rate = _rate(rows[0]["rate"]["value"]) if len(rows) == 1 else None
    if read and sum(Decimal(str(ln["netAmount"]["value"])) for ln in read) == ht:
        out = []
        for i, ln in enumerate(read, start=1):
            rate = _rate((ln.get("vatRate") or {}).get("value")) or single_rate
            if rate is None:
                break
            amount = Decimal(str(ln["netAmount"]["value"]))
            qty = Decimal(str((ln.get("quantity") or {}).get("value") or 1))
            price = (amount / qty) if qty else amount
            if qty == 0 or price.quantize(Decimal("0.000001")) * qty != amount:
                qty, price = Decimal(1), amount
            out.append({"id": str(i), "name": str(ln["name"]["value"])[:200] or f"Ligne {i}", "quantity": _dec(qty),
                        "unitCode": "C62", "netPrice": _dec(price.quantize(Decimal("0.000001")).normalize()),
                        "vatCategory": "S" if rate else "Z", "vatRate": _dec(rate)})
        else:
            return out
    if rows:
        out = []
        for i, r in enumerate(rows, start=1):
            rate = _rate(r["rate"]["value"])
            base = (r.get("base") or {}).get("value")
            if rate is None or base is None:
                return []
            out.append({"id": str(i), "name": f"Montant soumis à TVA {rate} % (facture d'origine)", "quantity": "1",
                        "unitCode": "C62", "netPrice": _dec(base), "vatCategory": "S" if rate else "Z",
                        "vatRate": _dec(rate)})
        return out
    vat = Decimal(str(_v(result, "BT-110") or 0))
    if vat == 0:
        text = fold(" ".join(text_rows))
        category, reason, code = "E", "Exonération (mention de la facture d'origine)", None
        for rx, cat, why, vatex in _EXEMPTIONS:
            if re.search(rx, text):
                category, reason, code = cat, why, vatex
                break
        return [{"id": "1", "name": "Montant de la facture d'origine", "quantity": "1", "unitCode": "C62",
                 "netPrice": _dec(ht), "vatCategory": category, "vatRate": "0",
                 "_exemption": {"reason": reason, "code": code}}]
    rate = _rate((vat * 100 / ht).quantize(Decimal("0.1"))) if ht else None
    if rate is None:
        return []
    return [{"id": "1", "name": f"Montant soumis à TVA {rate} % (facture d'origine)", "quantity": "1",
             "unitCode": "C62", "netPrice": _dec(ht), "vatCategory": "S", "vatRate": _dec(rate)}]


def invoice_json(result: dict[str, Any], *, text_rows: list[str], business_process: str = "M1") -> dict[str, Any]:
    """The ``Invoice`` JSON of a result (raises ``ValueError`` naming what is missing)."""
    missing = [bt for bt in ("BT-1", "BT-2", "BT-27", "BT-44", "BT-109", "BT-110", "BT-112") if _v(result, bt) is None]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    lines = _lines(result, text_rows)
    if not lines:
        raise ValueError("no line or VAT rate could be derived (correct vatBreakdown or lines)")
    exemption = lines[0].pop("_exemption", None)
    seller_siren, buyer_siren = _v(result, "BT-30"), _v(result, "BT-47")
    seller: dict[str, Any] = {"name": _v(result, "BT-27"), "address": {"countryCode": "FR"}}
    if seller_siren:
        seller["siren"] = seller_siren
        seller["electronicAddress"] = {"value": seller_siren, "scheme": "0225"}
    if _v(result, "BT-31"):
        seller["vatId"] = _v(result, "BT-31")
        seller["address"]["countryCode"] = str(_v(result, "BT-31"))[:2]
    if _v(result, "BT-29"):
        seller["identifiers"] = [{"value": _v(result, "BT-29"), "scheme": "0009"}]
    buyer: dict[str, Any] = {"name": _v(result, "BT-44"), "address": {"countryCode": "FR"}}
    if buyer_siren:
        buyer["siren"] = buyer_siren
        buyer["electronicAddress"] = {"value": buyer_siren, "scheme": "0225"}
    if _v(result, "BT-48"):
        buyer["vatId"] = _v(result, "BT-48")
    inv: dict[str, Any] = {
        "number": _v(result, "BT-1"),
        "issueDate": _v(result, "BT-2"),
        "typeCode": _v(result, "BT-3") or "380",
        "currency": _v(result, "BT-5") or "EUR",
        "businessProcess": business_process,
        "notes": _notes(text_rows),
        "seller": seller,
        "buyer": buyer,
        "lines": lines,
    }
    if _v(result, "BT-9"):
        inv["dueDate"] = _v(result, "BT-9")
    if _v(result, "BT-84"):
        inv["paymentInstructions"] = {"meansCode": "58", "creditTransfers": [{"accountId": _v(result, "BT-84")}]}
    if exemption:
        inv["vatBreakdown"] = [{"category": lines[0]["vatCategory"], "rate": "0", "exemptionReason": exemption["reason"],
                                **({"exemptionReasonCode": exemption["code"]} if exemption["code"] else {})}]
    due, ttc = _v(result, "BT-115"), _v(result, "BT-112")
    if due is not None and ttc is not None and Decimal(str(due)) != Decimal(str(ttc)):
        inv["totals"] = {"prepaid": _dec(Decimal(str(ttc)) - Decimal(str(due)))}
    if _v(result, "BT-25"):
        inv["precedingInvoices"] = [{"number": _v(result, "BT-25"),
                                     **({"issueDate": _v(result, "BT-26")} if _v(result, "BT-26") else {})}]
    return inv
