"""Input handling: size limit, safe XML parsing, Factur-X/ZUGFeRD PDF extraction, detection.

Security posture (the input is untrusted):
- any DOCTYPE is refused (no DTD, no entity declarations: XXE and billion-laughs never reach a parser
  that would expand them); the parser also runs with ``resolve_entities=False``, ``no_network=True``,
  ``load_dtd=False`` and ``huge_tree=False``;
- the XML embedded in a PDF goes through the same parser and the same size limit (the PDF itself is
  read lazily against one decompression budget: :mod:`einvoice.validation.pdf`);
- sizes are bounded before any parsing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from einvoice.errors import BadRequestError, ErrorDetail, PayloadTooLargeError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

NS_CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
NS_UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_UBL_CREDITNOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS_ZUGFERD1 = "urn:ferd:CrossIndustryDocument:invoice:1p0"
NS_ORDERX = "urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100"

ROOTS = {
    f"{{{NS_CII}}}CrossIndustryInvoice": ("cii", "CrossIndustryInvoice"),
    f"{{{NS_UBL_INVOICE}}}Invoice": ("ubl", "Invoice"),
    f"{{{NS_UBL_CREDITNOTE}}}CreditNote": ("ubl", "CreditNote"),
}
_UNSUPPORTED_ROOTS = {
    f"{{{NS_ZUGFERD1}}}CrossIndustryDocument": "ZUGFeRD 1.0 (CrossIndustryDocument) is not an accepted syntax;"
    " send CII D16B/D22B (Factur-X/ZUGFeRD 2.x) or UBL 2.1",
    f"{{{NS_ORDERX}}}SCRDMCCBDACIOMessageStructure": "Order-X is an order, not an invoice",
}

_DOCTYPE_MARKERS = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
_PDF_SNIFF = 1024


@dataclass
class XmlDocument:
    root: Any  # lxml _Element
    syntax: str  # cii | ubl
    root_name: str
    specification_id: str | None
    profile: str | None


def bad_request(message: str, message_fr: str, rule: str = "INPUT") -> BadRequestError:
    """A typed 400 with one detail carrying the rule id and the French message."""
    return BadRequestError(message, [ErrorDetail(message, field="body", rule=rule, message_fr=message_fr)])


def check_size(data: bytes, max_bytes: int) -> None:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise bad_request("the document must be bytes", "le document doit être fourni en octets")
    if len(data) > max_bytes:
        msg = f"document of {len(data)} bytes exceeds the limit of {max_bytes} bytes"
        raise PayloadTooLargeError(
            msg,
            [
                ErrorDetail(
                    msg,
                    field="body",
                    rule="FileSizeExceeded",
                    message_fr=f"le document ({len(data)} octets) dépasse la limite de {max_bytes} octets",
                )
            ],
        )
    if len(data) == 0:
        raise bad_request("empty document", "document vide")


def is_pdf(data: bytes) -> bool:
    return b"%PDF-" in bytes(data[:_PDF_SNIFF])


def _parser() -> Any:
    from lxml import etree

    # A new parser per call is cheap (~µs) and avoids sharing parser state across threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_xml(data: bytes, *, what: str = "document") -> Any:
    """Parse untrusted XML; refuse DOCTYPE; return the root element."""
    from lxml import etree

    raw = bytes(data)
    if any(marker in raw for marker in _DOCTYPE_MARKERS):
        raise bad_request(
            f"the {what} contains a DOCTYPE declaration (DTDs and entities are refused)",
            "le document contient une déclaration DOCTYPE (DTD et entités refusées)",
            rule="XML-DOCTYPE",
        )
    try:
        root = etree.fromstring(raw, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise bad_request(
            f"the {what} is not well-formed XML: {exc}", f"XML mal formé : {exc}", rule="XML-SYNTAX"
        ) from exc
    except ValueError as exc:  # e.g. unicode strings with an encoding declaration
        raise bad_request(
            f"the {what} is not readable XML: {exc}", f"XML illisible : {exc}", rule="XML-SYNTAX"
        ) from exc
    if root is None:
        raise bad_request(f"the {what} is not XML", "le document n'est pas du XML", rule="XML-SYNTAX")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise bad_request(
            f"the {what} contains a DOCTYPE declaration (DTDs and entities are refused)",
            "le document contient une déclaration DOCTYPE (DTD et entités refusées)",
            rule="XML-DOCTYPE",
        )
    return root


def _text(root: Any, path: str, ns: dict[str, str]) -> str | None:
    found = root.find(path, ns)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def profile_from_specification_id(syntax: str, spec_id: str | None) -> str | None:
    """Map BT-24 to a profile (factur-x level names). ``None`` = not a supported specification id.

    Recognised: Factur-X 1.0x / ZUGFeRD 2.x ids, ``urn:cen.eu:en16931:2017`` and its CIUS
    (``#compliant#...``: XRechnung, Peppol BIS...), ``#conformant#urn:factur-x.eu:1p0:extended`` and the
    French ``#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr``.
    """
    if not spec_id:
        return None
    sid = spec_id.strip()
    low = sid.lower()
    if "extended-ctc-fr" in low:
        return "extended-ctc-fr"
    if syntax == "ubl":
        return "en16931" if low.startswith("urn:cen.eu:en16931:2017") else None
    # CII
    if low in ("urn:factur-x.eu:1p0:minimum", "urn:zugferd.de:2p0:minimum"):
        return "minimum"
    if low in ("urn:factur-x.eu:1p0:basicwl", "urn:zugferd.de:2p0:basicwl"):
        return "basicwl"
    if low.startswith("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic") or low.startswith(
        "urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic"
    ):
        return "basic"
    if low.startswith("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended") or low.startswith(
        "urn:cen.eu:en16931:2017#conformant#urn:zugferd.de:2p0:extended"
    ):
        return "extended"
    if low == "urn:cen.eu:en16931:2017" or low.startswith("urn:cen.eu:en16931:2017#compliant#"):
        return "en16931"
    # Legacy Factur-X 1.0 / ZUGFeRD 2.0 spellings (e.g. "...:2017:compliant:factur-x.eu:1p0:basic"):
    # select the level's rule set like factur-x does; the Factur-X code list then flags the id itself.
    m = re.search(r"(?:factur-x\.eu:1p0|zugferd\.de:2p0):(minimum|basicwl|basic|en16931|extended)$", low)
    if m:
        return m.group(1)
    return None


def inspect_xml(root: Any) -> XmlDocument:
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag in _UNSUPPORTED_ROOTS:
        msg = _UNSUPPORTED_ROOTS[tag]
        raise bad_request(msg, "syntaxe non acceptée (ZUGFeRD 1.0 / Order-X)", rule="XML-ROOT")
    if tag not in ROOTS:
        msg = (
            f"unknown root element {tag or '(none)'}: expected a CII CrossIndustryInvoice or a UBL 2.1 "
            "Invoice/CreditNote"
        )
        raise bad_request(msg, f"élément racine inconnu {tag or '(aucun)'} : CII ou UBL 2.1 attendu", rule="XML-ROOT")
    syntax, root_name = ROOTS[tag]
    if syntax == "cii":
        spec_id = _text(
            root,
            "{%s}ExchangedDocumentContext/{%s}GuidelineSpecifiedDocumentContextParameter/{%s}ID"
            % (NS_CII, NS_RAM, NS_RAM),
            {},
        )
    else:
        spec_id = _text(root, f"{{{NS_CBC}}}CustomizationID", {})
    return XmlDocument(root, syntax, root_name, spec_id, profile_from_specification_id(syntax, spec_id))
