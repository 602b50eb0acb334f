"""Conversion between syntaxes through the semantic model (CII <-> UBL, JSON -> either).

``convert(source, to="cii"|"ubl", profile=None) -> bytes`` where ``source`` is XML bytes/str
(CII or UBL, detected), an :class:`Invoice`, or a JSON-shaped dict (API body). Every
business term of the model is carried over; amounts present in the source are kept as they
are (missing derived amounts are computed).

For CII the profile defaults to the source BT-24 (a UBL EXTENDED-CTC-FR document becomes a
CII EXTENDED-CTC-FR one). For UBL, a Factur-X-only BT-24 (BASIC WL, BASIC, EXTENDED) is
mapped to ``urn:cen.eu:en16931:2017`` since UBL has no such flavours.
"""

from __future__ import annotations

from typing import Any

from .model import PROFILE_EXTENDED_CTC_FR, UBL_SPECIFICATION_IDS, Invoice

__all__ = ["convert", "to_model", "TARGETS"]

TARGETS = ("cii", "ubl")


def to_model(source: Any) -> Invoice:
    """Invoice from XML bytes/str, an Invoice or a JSON dict."""
    if isinstance(source, Invoice):
        return source
    if isinstance(source, dict):
        return Invoice.model_validate(source)
    if isinstance(source, (bytes, bytearray, str)):
        from .parse import parse_xml

        data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
        return parse_xml(data)
    raise TypeError(f"cannot convert {type(source).__name__}")


def convert(source: Any, to: str = "cii", profile: str | None = None) -> bytes:
    """Convert ``source`` to CII or UBL XML bytes."""
    target = to.lower()
    if target not in TARGETS:
        raise ValueError(f"unknown target syntax {to!r} (cii or ubl)")
    invoice = to_model(source)
    if target == "cii":
        from .cii import to_cii

        return to_cii(invoice, profile)
    from .cii import profile_of
    from .ubl import to_ubl

    prof = profile or profile_of(invoice.specification_id)
    spec = UBL_SPECIFICATION_IDS[PROFILE_EXTENDED_CTC_FR if prof == PROFILE_EXTENDED_CTC_FR else "en16931"]
    if profile is not None or invoice.specification_id not in UBL_SPECIFICATION_IDS.values():
        if invoice.specification_id != spec and not _is_cius(invoice.specification_id):
            invoice = invoice.model_copy(update={"specification_id": spec})
    return to_ubl(invoice)


def _is_cius(spec: str) -> bool:
    """A CIUS of EN 16931 that is meaningful in UBL (e.g. Peppol BIS, XRechnung)."""
    s = spec.lower()
    return s.startswith("urn:cen.eu:en16931:2017#compliant#") and "factur-x" not in s
