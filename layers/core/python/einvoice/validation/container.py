"""PDF/A-3 (ISO 19005-3) + Factur-X container rules, as findings of layer ``pdfa``.

This is a structural check written against ISO 19005-3 (clause numbers as in the veraPDF PDF/A-3B
profile) and the Factur-X / ZUGFeRD 2.x container requirements; it is not veraPDF (no font-program,
glyph, colour-space-in-content, transparency or annotation checks). It reads dictionaries, the XMP
packet and the first 128 bytes of the ICC output profile; it never decompresses a page content stream
nor an attachment other than the invoice (see :mod:`einvoice.validation.pdf`).

Not a defect under PDF/A-3: an Info dictionary that differs from the XMP (ISO 19005-1 6.7.3 required
them to agree; ISO 19005-2/3 dropped that clause), e.g. an Info ``/Keywords`` absent from the XMP or a
``/Creator`` whose case differs from ``xmp:CreatorTool``.

Every rule is listed in :data:`RULES` with its severity: ``fatal`` where the standard says *shall*,
``warning`` where a reader still finds the invoice unambiguously (legacy ZUGFeRD attachment names, an
unusual MIME type for the XML, a missing ``fx:Version``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from einvoice.errors import DomainError
from einvoice.validation.models import Finding
from einvoice.validation.pdf import XMP_MAX_BYTES, FileSpec, PdfDocument, decode_stream, resolve

VERSION = "2026-12-02"
NAME = "einvoice PDF/A-3 + Factur-X container rules (structural, not veraPDF)"

FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
ZUGFERD2_NS = "urn:zugferd:pdfa:CrossIndustryDocument:invoice:2p0#"
_PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PDFA_SCHEMA_NS = "http://www.aiim.org/pdfa/ns/schema#"

#: profile (from the XML's BT-24) -> the XMP fx:ConformanceLevel that describes it
LEVELS = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
    "extended-ctc-fr": "EXTENDED",
}
KNOWN_LEVELS = frozenset(LEVELS.values()) | {"XRECHNUNG"}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    severity: str
    source: str  # clause
    text: str


RULES: dict[str, Rule] = {
    r.rule_id: r
    for r in (
        Rule("PDFA-ENCRYPT", "fatal", "ISO 19005-3 6.1.3", "the trailer shall not contain Encrypt"),
        Rule("PDFA-TRAILER-ID", "fatal", "ISO 19005-3 6.1.3", "the trailer shall contain the file identifier ID"),
        Rule(
            "PDFA-OUTPUTINTENT",
            "fatal",
            "ISO 19005-3 6.2.4.3",
            "device colour needs a PDF/A OutputIntent (GTS_PDFA1 with a DestOutputProfile) or a Default colour "
            "space on every page",
        ),
        Rule(
            "PDFA-OUTPUTINTENT-ICC",
            "fatal",
            "ISO 19005-3 6.2.3",
            "the output profile shall be an ICC v2/v4 (< 5.0) printer or monitor profile in GRAY, RGB or CMYK, and "
            "all DestOutputProfile entries shall be the same",
        ),
        Rule(
            "PDFA-XMP",
            "fatal",
            "ISO 19005-3 6.6.2.1",
            "the catalog shall have a Metadata stream (Type Metadata, Subtype XML) holding well-formed XMP",
        ),
        Rule("PDFA-XMP-ID", "fatal", "ISO 19005-3 6.6.4", "XMP pdfaid:part shall be 3 and pdfaid:conformance A, B or U"),
        Rule(
            "PDFA-FONT-EMBEDDED",
            "fatal",
            "ISO 19005-3 6.2.11.4.1",
            "font programs shall be embedded (fonts of the page and form resources; Type3 fonts exempt)",
        ),
        Rule("PDFA-JAVASCRIPT", "fatal", "ISO 19005-3 6.5.1", "JavaScript actions shall not be used"),
        Rule(
            "PDFA-AF",
            "fatal",
            "ISO 19005-3 6.8",
            "every embedded file shall be an associated file (listed in an /AF array)",
        ),
        Rule(
            "PDFA-EF-MIME",
            "fatal",
            "ISO 19005-3 6.8",
            "the embedded file stream shall give its MIME type in /Subtype (e.g. /text#2Fxml)",
        ),
        Rule("PDFA-EF-NAMES", "fatal", "ISO 19005-3 6.8", "the file specification shall contain /F and /UF"),
        Rule(
            "PDFA-AFRELATIONSHIP",
            "fatal",
            "ISO 19005-3 6.8",
            "the file specification shall contain /AFRelationship",
        ),
        Rule("FX-AF", "fatal", "Factur-X 1.0 §6.2.2", "the invoice XML shall be associated with the document (catalog /AF)"),
        Rule(
            "FX-FILENAME",
            "fatal",
            "Factur-X 1.0 §6.2.2",
            "the invoice XML shall be named factur-x.xml (ZUGFeRD 2.x names zugferd-invoice.xml / xrechnung.xml: "
            "warning)",
        ),
        Rule(
            "FX-AFRELATIONSHIP",
            "fatal",
            "Factur-X 1.0 §6.2.2",
            "AFRelationship of the invoice XML: /Data for MINIMUM and BASIC WL; /Data, /Source or /Alternative otherwise",
        ),
        Rule("FX-EF-MIME", "warning", "Factur-X 1.0 §6.2.2", "the invoice XML should have the MIME type text/xml"),
        Rule(
            "FX-XMP-EXTENSION",
            "fatal",
            "Factur-X 1.0 §6.2.3; ISO 19005-3 6.6.2.3.1",
            "the XMP shall declare the Factur-X (or ZUGFeRD 2) namespace in a pdfaExtension schema",
        ),
        Rule(
            "FX-XMP-DOCUMENTFILENAME",
            "fatal",
            "Factur-X 1.0 §6.2.3",
            "XMP fx:DocumentFileName shall name the embedded invoice XML",
        ),
        Rule("FX-XMP-DOCUMENTTYPE", "fatal", "Factur-X 1.0 §6.2.3", "XMP fx:DocumentType shall be INVOICE"),
        Rule("FX-XMP-VERSION", "warning", "Factur-X 1.0 §6.2.3", "XMP fx:Version should be present"),
        Rule(
            "FX-XMP-CONFORMANCE",
            "fatal",
            "Factur-X 1.0 §6.2.3",
            "XMP fx:ConformanceLevel shall be a Factur-X level matching the profile of the XML (BT-24)",
        ),
    )
}

IMPLEMENTED_CHECKS = tuple(f"{r.rule_id} ({r.source}, {r.severity}): {r.text}" for r in RULES.values())


class _Findings(list):
    def add(self, rule_id: str, message: str, location: str | None = None, severity: str | None = None) -> None:
        rule = RULES[rule_id]
        self.append(
            Finding(
                rule_id=rule_id,
                severity=severity or rule.severity,
                layer="pdfa",
                location=location,
                message=f"{message} ({rule.source}: {rule.text})",
            )
        )


# ----------------------------------------------------------------------------------------------- facts
def facts(doc: PdfDocument, invoice: FileSpec | None) -> dict[str, Any]:
    """What the container declares (dictionaries, XMP, ICC header), for the rules and for reports."""
    reader = doc.reader
    catalog = doc.catalog
    out: dict[str, Any] = {
        "encrypted": "/Encrypt" in reader.trailer,
        "trailer_id": bool(resolve(reader.trailer.get("/ID"))),
    }
    out["output_intents"], out["icc"] = _output_intents(doc, catalog)
    out["pages_with_default_colour"], out["pages"], out["fonts"] = _pages(reader)
    out["fonts_embedded"] = bool(out["fonts"]) and all(out["fonts"].values())
    out.update(_xmp(doc, catalog))
    out["af"] = [
        {"name": f.name, "relationship": str(resolve(f.spec.get("/AFRelationship")) or "")}
        for f in doc.files
        if f.in_catalog_af
    ]
    page_af = _page_af_ids(reader)
    out["embedded_files"] = []
    for f in doc.files:
        stream = f.stream()
        params = resolve(stream.get("/Params")) if stream is not None else None
        size = resolve(params.get("/Size")) if params is not None else None
        out["embedded_files"].append(
            {
                "name": f.name,
                "subtype": str(resolve(stream.get("/Subtype"))) if stream is not None and "/Subtype" in stream else None,
                "size": int(size) if isinstance(size, int) else None,
                "has_f_uf": "/F" in f.spec and "/UF" in f.spec,
                "relationship": str(resolve(f.spec.get("/AFRelationship")) or "") or None,
                "associated": f.in_catalog_af or id(f.spec) in page_af or _spec_id(f) in page_af,
                "embedded": stream is not None,
            }
        )
    out["invoice"] = invoice.name if invoice is not None else None
    names = resolve(catalog.get("/Names"))
    js = bool(names and "/JavaScript" in names)
    oa = resolve(catalog.get("/OpenAction"))
    if hasattr(oa, "get") and resolve(oa.get("/S")) == "/JavaScript":
        js = True
    out["javascript"] = js
    return out


def _spec_id(f: FileSpec) -> int:
    ref = getattr(f.spec, "indirect_reference", None)
    return getattr(ref, "idnum", -1)


def _page_af_ids(reader: Any) -> set[int]:
    ids: set[int] = set()
    for page in reader.pages:
        for ref in resolve(page.get("/AF")) or []:
            ids.add(getattr(ref, "idnum", id(resolve(ref))))
    return ids


def _output_intents(doc: PdfDocument, catalog: Any) -> tuple[list[str], list[dict[str, Any]]]:
    intents: list[str] = []
    icc: list[dict[str, Any]] = []
    for oi in resolve(catalog.get("/OutputIntents")) or []:
        oi = resolve(oi)
        if not hasattr(oi, "get"):
            continue
        if "/DestOutputProfile" not in oi:
            continue
        intents.append(str(resolve(oi.get("/S"))))
        ref = oi.raw_get("/DestOutputProfile")
        header = _icc_header(doc, resolve(ref))
        icc.append({"ref": getattr(ref, "idnum", None), **header})
    return intents, icc


def _icc_header(doc: PdfDocument, stream: Any) -> dict[str, Any]:
    """Device class, colour space and major version from the 128-byte ICC header (only that is decoded)."""
    import zlib

    try:
        raw = bytes(stream._data)
        names = resolve(stream.get("/Filter"))
        if names is None:
            head = raw[:128]
        elif str(names) == "/FlateDecode" or names == ["/FlateDecode"]:
            head = zlib.decompressobj().decompress(raw, 128)
            doc.budget.charge(len(head), "ICC profile header")
        else:
            return {"readable": False}
    except Exception:  # noqa: BLE001 - an unreadable profile is reported by the rule
        return {"readable": False}
    if len(head) < 20:
        return {"readable": False}
    return {
        "readable": True,
        "device_class": head[12:16].decode("latin-1"),
        "colour_space": head[16:20].decode("latin-1"),
        "version": head[8] + head[9] / 16 / 10,
    }


def _pages(reader: Any) -> tuple[int, int, dict[str, bool]]:
    fonts: dict[str, bool] = {}
    seen: set[int] = set()
    with_default = 0
    count = 0
    for page in reader.pages:
        count += 1
        resources = resolve(page.get("/Resources"))
        spaces = resolve(resources.get("/ColorSpace")) if resources else None
        if spaces and any(k in spaces for k in ("/DefaultRGB", "/DefaultCMYK", "/DefaultGray")):
            with_default += 1
        _collect_fonts(resources, fonts, seen, 0)
    return with_default, count, fonts


def _font_embedded(font: Any) -> tuple[str, bool]:
    font = resolve(font)
    name = str(resolve(font.get("/BaseFont", font.get("/Name", "?"))))
    subtype = resolve(font.get("/Subtype"))
    if subtype == "/Type3":
        return name, True
    if subtype == "/Type0":
        descendants = resolve(font.get("/DescendantFonts")) or []
        return name, bool(descendants) and all(_font_embedded(d)[1] for d in descendants)
    desc = resolve(font.get("/FontDescriptor"))
    if desc is None:
        return name, False
    return name, any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _collect_fonts(resources: Any, out: dict[str, bool], seen: set[int], depth: int) -> None:
    """Fonts of a resource dictionary and of its form XObjects (dictionaries only; no stream is decoded)."""
    if not resources or depth > 20:
        return
    for ref in (resolve(resources.get("/Font")) or {}).values():
        key = getattr(ref, "idnum", None) or id(ref)
        if key in seen:
            continue
        seen.add(key)
        name, ok = _font_embedded(ref)
        out[name] = out.get(name, True) and ok
    for ref in (resolve(resources.get("/XObject")) or {}).values():
        key = getattr(ref, "idnum", None) or id(ref)
        if key in seen:
            continue
        seen.add(key)
        xo = resolve(ref)
        if hasattr(xo, "get") and resolve(xo.get("/Subtype")) == "/Form" and "/Resources" in xo:
            _collect_fonts(resolve(xo["/Resources"]), out, seen, depth + 1)


def _xmp(doc: PdfDocument, catalog: Any) -> dict[str, Any]:
    from lxml import etree

    out: dict[str, Any] = {
        "xmp": None,  # None = absent; "ok"; or why it cannot be read
        "pdfaid_part": None,
        "pdfaid_conformance": None,
        "fx_namespace": None,
        "fx_document_file_name": None,
        "fx_document_type": None,
        "fx_version": None,
        "fx_conformance_level": None,
        "fx_extension_schema": False,
        "xmp_dictionary": None,
    }
    meta = resolve(catalog.get("/Metadata"))
    if meta is None:
        return out
    if not hasattr(meta, "get_data"):
        out["xmp"] = "the catalog /Metadata is not a stream"
        return out
    if resolve(meta.get("/Type")) != "/Metadata" or resolve(meta.get("/Subtype")) != "/XML":
        out["xmp_dictionary"] = "the /Metadata stream is not /Type /Metadata /Subtype /XML"
    try:
        data = decode_stream(meta, XMP_MAX_BYTES, doc.budget, "the XMP metadata")
        start = data.find(b"<x:xmpmeta")
        if start < 0:
            start = data.find(b"<rdf:RDF")
        end = data.rfind(b"</x:xmpmeta>")
        chunk = data[start : end + len(b"</x:xmpmeta>")] if end > 0 else data[max(start, 0) :]
        if b"<!DOCTYPE" in chunk:
            raise ValueError("DOCTYPE in XMP")
        root = etree.fromstring(
            chunk, parser=etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        )
    except DomainError as exc:  # the request's budget ran out (413) or this packet is over XMP_MAX_BYTES
        if not any(d.rule == "FileSizeExceeded" for d in exc.details):
            raise
        out["xmp"] = f"the XMP packet is larger than {XMP_MAX_BYTES} bytes and was not read"
        return out
    except Exception as exc:  # noqa: BLE001 - an unreadable XMP is a finding
        out["xmp"] = f"the XMP packet is not well-formed XML ({type(exc).__name__}: {exc})"[:300]
        return out
    out["xmp"] = "ok"
    out["pdfaid_part"] = xmp_value(root, _PDFAID_NS, "part")
    out["pdfaid_conformance"] = xmp_value(root, _PDFAID_NS, "conformance")
    for ns in (FX_NS, ZUGFERD2_NS):
        if xmp_value(root, ns, "DocumentFileName") is not None or xmp_value(root, ns, "ConformanceLevel") is not None:
            out["fx_namespace"] = ns
            break
    ns = out["fx_namespace"] or FX_NS
    out["fx_document_file_name"] = xmp_value(root, ns, "DocumentFileName")
    out["fx_document_type"] = xmp_value(root, ns, "DocumentType")
    out["fx_version"] = xmp_value(root, ns, "Version")
    out["fx_conformance_level"] = xmp_value(root, ns, "ConformanceLevel")
    out["fx_extension_schema"] = any(
        (el.text or "").strip() == ns for el in root.iter(f"{{{_PDFA_SCHEMA_NS}}}namespaceURI")
    )
    return out


def xmp_value(root: Any, ns: str, name: str) -> str | None:
    """Value of an XMP simple property written either as attribute or as element."""
    for desc in root.iter(f"{{{_RDF_NS}}}Description"):
        if f"{{{ns}}}{name}" in desc.attrib:
            return desc.attrib[f"{{{ns}}}{name}"].strip()
        el = desc.find(f"{{{ns}}}{name}")
        if el is not None and el.text:
            return el.text.strip()
    return None


# ----------------------------------------------------------------------------------------------- rules
_MIME = re.compile(r"^/[-\w+.]+(?:/|#2[Ff])[-\w+.]+$")


def check(doc: PdfDocument, invoice: FileSpec | None, profile: str | None, specification_id: str | None) -> list[Finding]:
    """The container findings (layer ``pdfa``) of a hybrid PDF whose invoice XML has ``profile``."""
    f = facts(doc, invoice)
    return findings(f, profile, specification_id)


def findings(f: dict[str, Any], profile: str | None, specification_id: str | None) -> list[Finding]:
    out = _Findings()
    if f["encrypted"]:
        out.add("PDFA-ENCRYPT", "the PDF is encrypted")
    if not f["trailer_id"]:
        out.add("PDFA-TRAILER-ID", "the trailer has no /ID")
    if "/GTS_PDFA1" not in f["output_intents"] and f["pages_with_default_colour"] < f["pages"]:
        out.add(
            "PDFA-OUTPUTINTENT",
            "no PDF/A OutputIntent and no Default colour space on "
            f"{f['pages'] - f['pages_with_default_colour']} of {f['pages']} page(s) (content streams are not read, "
            "so device colour is assumed)",
        )
    for icc in f["icc"]:
        if not icc.get("readable"):
            out.add("PDFA-OUTPUTINTENT-ICC", "the ICC output profile cannot be read")
        elif icc["device_class"] not in ("prtr", "mntr") or icc["colour_space"] not in ("GRAY", "RGB ", "CMYK"):
            out.add(
                "PDFA-OUTPUTINTENT-ICC",
                f"ICC output profile of class {icc['device_class']!r} in {icc['colour_space'].strip()!r}",
            )
        elif icc["version"] >= 5:
            out.add("PDFA-OUTPUTINTENT-ICC", f"ICC output profile version {icc['version']:.1f}")
    if len({icc.get("ref") for icc in f["icc"]}) > 1:
        out.add("PDFA-OUTPUTINTENT-ICC", "the OutputIntents use different DestOutputProfile streams")
    if f["xmp"] is None:
        out.add("PDFA-XMP", "the catalog has no /Metadata (XMP)")
    elif f["xmp"] != "ok":
        out.add("PDFA-XMP", f["xmp"])
    if f["xmp_dictionary"]:
        out.add("PDFA-XMP", f["xmp_dictionary"])
    if f["xmp"] == "ok" or f["pdfaid_part"] is not None:
        if f["pdfaid_part"] != "3":
            out.add("PDFA-XMP-ID", f"XMP pdfaid:part is {f['pdfaid_part']!r}, not '3': the file does not claim PDF/A-3")
        if (f["pdfaid_conformance"] or "").upper() not in ("A", "B", "U"):
            out.add("PDFA-XMP-ID", f"XMP pdfaid:conformance is {f['pdfaid_conformance']!r}")
    missing = sorted(n for n, ok in f["fonts"].items() if not ok)
    if missing:
        out.add("PDFA-FONT-EMBEDDED", f"fonts not embedded: {', '.join(missing[:10])}")
    if f["javascript"]:
        out.add("PDFA-JAVASCRIPT", "the document contains JavaScript")
    for e in f["embedded_files"]:
        where = f"attachment {e['name']!r}"
        if not e["associated"]:
            out.add("PDFA-AF", f"{where} is not referenced from an /AF array", where)
        if e["embedded"] and not (e["subtype"] and _MIME.match(e["subtype"])):
            out.add("PDFA-EF-MIME", f"{where} has MIME type {e['subtype']!r}", where)
        if not e["has_f_uf"]:
            out.add("PDFA-EF-NAMES", f"{where} lacks /F or /UF", where)
        if not e["relationship"]:
            out.add("PDFA-AFRELATIONSHIP", f"{where} has no /AFRelationship", where)
    _facturx_rules(f, profile, specification_id, out)
    return list(out)


def _facturx_rules(f: dict[str, Any], profile: str | None, specification_id: str | None, out: _Findings) -> None:
    name = f["invoice"]
    entry = next((e for e in f["embedded_files"] if e["name"] == name), None)
    if name is None or entry is None:
        out.add("FX-FILENAME", "no attachment named factur-x.xml")
    else:
        where = f"attachment {name!r}"
        if name != "factur-x.xml":
            legacy = name.lower() in ("zugferd-invoice.xml", "xrechnung.xml")
            out.add(
                "FX-FILENAME",
                f"the invoice XML is named {name!r}" + (" (ZUGFeRD 2.x name)" if legacy else ""),
                where,
                severity="warning" if legacy else None,
            )
        if not any(a["name"] == name for a in f["af"]):
            out.add("FX-AF", f"{where} is not referenced from the catalog /AF array", where)
        relationship = entry["relationship"]
        allowed = ("/Data",) if profile in ("minimum", "basicwl") else ("/Data", "/Source", "/Alternative")
        if relationship and relationship not in allowed:
            out.add("FX-AFRELATIONSHIP", f"{where} has /AFRelationship {relationship} for profile {profile}", where)
        subtype = (entry["subtype"] or "").replace("#2F", "/").replace("#2f", "/")
        if entry["embedded"] and subtype not in ("/text/xml", "/application/xml"):
            out.add("FX-EF-MIME", f"{where} has MIME type {entry['subtype']!r}", where)
    if f["xmp"] != "ok":
        return  # PDFA-XMP already says why nothing below can be read
    if not f["fx_extension_schema"]:
        out.add("FX-XMP-EXTENSION", "no pdfaExtension schema declares the Factur-X namespace " + (f["fx_namespace"] or FX_NS))
    if f["fx_document_file_name"] is None or (name is not None and f["fx_document_file_name"] != name):
        out.add("FX-XMP-DOCUMENTFILENAME", f"XMP fx:DocumentFileName is {f['fx_document_file_name']!r}, attachment is {name!r}")
    if f["fx_document_type"] != "INVOICE":
        out.add("FX-XMP-DOCUMENTTYPE", f"XMP fx:DocumentType is {f['fx_document_type']!r}")
    if not f["fx_version"]:
        out.add("FX-XMP-VERSION", "XMP fx:Version is missing")
    level = f["fx_conformance_level"]
    expected = _expected_levels(profile, specification_id)
    if level not in KNOWN_LEVELS:
        out.add("FX-XMP-CONFORMANCE", f"XMP fx:ConformanceLevel is {level!r}")
    elif expected and level not in expected:
        out.add(
            "FX-XMP-CONFORMANCE",
            f"XMP fx:ConformanceLevel {level!r} does not describe the XML (BT-24 {specification_id!r}: "
            f"{' or '.join(sorted(expected))})",
        )


def _expected_levels(profile: str | None, specification_id: str | None) -> set[str]:
    """Levels that may describe an XML of this profile (empty = unknown profile: not compared)."""
    if profile is None:
        return set()
    sid = (specification_id or "").lower()
    if profile == "en16931" and sid != "urn:cen.eu:en16931:2017":
        # another CIUS of EN 16931 (e.g. XRechnung) in a ZUGFeRD 2.1+ hybrid: XRECHNUNG or EN 16931
        return {"EN 16931", "XRECHNUNG"} if "xrechnung" in sid else {"EN 16931"}
    return {LEVELS[profile]}
