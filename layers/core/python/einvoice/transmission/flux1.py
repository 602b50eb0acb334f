"""Flux 1: the regulatory extract of an issued invoice for the PPF (``docs/fr-reform.md`` §1.3, §2.8).

F1 BASE ("démarrage") carries the header and the VAT breakdown. The AIFE F1 XSD and schematron are
not available offline, so the extract is built from the platform's own CII writer (the Factur-X
BASIC WL header, which has no lines) with what F1 BASE does not carry removed (notes, contacts,
payment means and terms); the profile is carried by the file name (rule S1.06, "F1BASE").

Offline checks (``check``): the current PPF limitations of §2.8 (invoice id length by date, the
frameworks BT-23 the F1 schematron accepts) and the structure this platform can verify (SIRENs,
VAT breakdown, totals). A failing extract is not sent: it is held with its reasons.
"""

from __future__ import annotations

import re
from typing import Any

PROFILE = "F1BASE"
INTERFACE_CII = "FFE0112A"  # PPF interface code of Flux 1 in CII (third-party source: UNCONFIRMED)
# Frameworks (BT-23) the July 2026 F1 schematron accepts: B1...S7 without S3, x8, x9.
ACCEPTED_FRAMEWORKS = frozenset({"B1", "S1", "M1", "B2", "S2", "M2", "B4", "S4", "M4", "S5", "S6", "B7", "S7"})
# PPF limit on the invoice id (BT-1): 20 characters until the end of December 2026, then 35.
ID_LIMITS = (("2026-12-31", 20), ("9999-12-31", 35))
_DROP = ("IncludedNote", "DefinedTradeContact", "SpecifiedTradeSettlementPaymentMeans",
         "SpecifiedTradePaymentTerms")
_SIREN = re.compile(r"^[0-9]{9}$")


def id_limit(day: str) -> int:
    return next(limit for until, limit in ID_LIMITS if day <= until)


def check(invoice: Any, *, day: str) -> list[dict[str, str]]:
    """PPF limits and structure checks runnable offline; ``[{rule, message}]`` (empty = can be sent)."""
    out = []
    limit = id_limit(day)
    if len(invoice.number) > limit:
        out.append({"rule": "PPF-LIM-ID", "message": f"the PPF accepts invoice ids of at most {limit} characters "
                                                     f"until further notice ({len(invoice.number)} here)"})
    if invoice.business_process and invoice.business_process not in ACCEPTED_FRAMEWORKS:
        out.append({"rule": "PPF-LIM-BT23", "message": f"the F1 schematron does not accept the framework "
                                                       f"{invoice.business_process} yet"})
    if not _SIREN.match(invoice.seller.siren or ""):
        out.append({"rule": "F1-SELLER-SIREN", "message": "the seller's SIREN (BT-30) is required"})
    if not _SIREN.match(invoice.buyer.siren or ""):
        out.append({"rule": "F1-BUYER-SIREN", "message": "the buyer's SIREN (BT-47) is required"})
    if not invoice.vat_breakdown or invoice.totals is None:
        out.append({"rule": "F1-VAT", "message": "the VAT breakdown (BG-23) and the totals (BG-22) are required"})
    return out


def extract(invoice: Any) -> bytes:
    """The F1 BASE extract (CII D22B restricted to the header and the VAT breakdown)."""
    from lxml import etree

    from einvoice.invoicing import calc
    from einvoice.invoicing.cii import RAM, to_cii_tree

    root = to_cii_tree(calc.compute(invoice), "basicwl", computed=True)
    for name in _DROP:
        for el in list(root.iter(f"{{{RAM}}}{name}")):
            el.getparent().remove(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def object_name(invoice: Any, transmission_id: str, day: str) -> str:
    """``ppf/flux1/<day>/FFE0112A_F1BASE_<invoice number>_<transmission>.xml`` (number made key-safe)."""
    number = re.sub(r"[^A-Za-z0-9._-]+", "-", invoice.number).strip("-") or "invoice"
    return f"ppf/flux1/{day}/{INTERFACE_CII}_{PROFILE}_{number}_{transmission_id}.xml"
