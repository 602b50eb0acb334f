"""Lazy, budgeted reading of Factur-X / ZUGFeRD / XRechnung hybrid PDFs (untrusted input).

- Nothing is decompressed unless the validation needs it: the invoice attachment is found by its file
  specification (catalog ``/AF`` array or ``EmbeddedFiles`` name tree, read as dictionaries), so the
  other attachments are never decompressed, and page content streams are never decompressed at all
  (the container checks read font, colour-space and file-spec dictionaries only).
- Every decompression of one request draws from one :class:`Budget`: the invoice XML (also capped by
  the raw-XML size limit, 413 ``FileSizeExceeded`` above it), the XMP packet, the ICC profile header and
  the object streams pypdf decodes to reach dictionaries. Flate streams are inflated incrementally
  (``zlib.decompressobj`` with ``max_length``), so a zip bomb stops at the budget instead of filling
  memory; other filters go through pypdf under the same cap (its per-request configuration).
"""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass, field
from typing import Any

from einvoice.errors import BadRequestError, DomainError, ErrorDetail, PayloadTooLargeError

#: Attachment names of the invoice XML: Factur-X, then ZUGFeRD 2.0 and the ZUGFeRD 2.1+ XRechnung hybrid.
INVOICE_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
#: The XMP packet may be large (thumbnails, history) but never needs more than this to be checked.
XMP_MAX_BYTES = 4 * 1024 * 1024
#: Decompression allowance beyond the invoice XML (XMP, ICC header, object streams, xref streams).
STRUCTURE_ALLOWANCE = 8 * 1024 * 1024
_INFLATE_CHUNK = 256 * 1024


def _bad(message: str, message_fr: str, rule: str) -> BadRequestError:
    return BadRequestError(message, [ErrorDetail(message, field="body", rule=rule, message_fr=message_fr)])


def too_large(what: str, limit: int, rule: str = "FileSizeExceeded") -> PayloadTooLargeError:
    msg = f"{what} exceeds the limit of {limit} bytes once decompressed"
    return PayloadTooLargeError(
        msg, [ErrorDetail(msg, field="body", rule=rule, message_fr=f"{what} : plus de {limit} octets une fois décompressé")]
    )


class Budget:
    """Bytes that the decompressions of one request may still produce."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.used)

    def charge(self, n: int, what: str) -> None:
        self.used += n
        if self.used > self.total:
            raise too_large(f"the PDF ({what})", self.total, rule="PDF-DECOMPRESSION-BUDGET")


def _caps(limit: int) -> dict[str, int]:
    """pypdf configuration capping every decoder at ``limit`` output bytes (per-context, thread-safe)."""
    n = max(1, limit)
    return {
        "zlib_maximum_output_length": n,
        "lzw_maximum_output_length": n,
        "run_length_maximum_output_length": n,
        "brotli_maximum_output_length": n,
        "jbig2_maximum_output_length": n,
        "array_based_stream_maximum_output_length": n,
        "stream_decoding_work_maximum_length": n,
        "xmp_maximum_input_length": min(n, XMP_MAX_BYTES),
    }


def _budgeted_reader(data: bytes, budget: Budget) -> Any:
    """A pypdf reader whose object-stream decoding is charged to ``budget``."""
    from pypdf import PdfReader, apply_configuration

    class _Reader(PdfReader):
        def _get_object_from_stream(self, indirect_reference: Any) -> Any:  # pypdf: objects inside an /ObjStm
            entry = self.xref_objStm.get(indirect_reference.idnum)
            stmnum = entry[0] if entry else None
            if stmnum is None or stmnum in charged:
                return super()._get_object_from_stream(indirect_reference)
            with apply_configuration(**_caps(budget.remaining)):
                result = super()._get_object_from_stream(indirect_reference)
            charged.add(stmnum)
            stm = self.resolved_objects.get((stmnum, 0))
            decoded = getattr(stm, "decoded_self", None)
            if decoded is not None:
                budget.charge(len(decoded.get_data()), "object streams")
            return result

    charged: set[int] = set()
    with apply_configuration(**_caps(budget.remaining)):  # cross-reference streams, decoded while opening
        return _Reader(io.BytesIO(data), strict=False)


@dataclass
class FileSpec:
    """An embedded file as the PDF declares it (dictionaries only; the stream is not decoded)."""

    name: str  # /UF, else /F, else the name-tree key
    spec: Any  # the file specification dictionary
    tree_name: str | None = None  # key in the EmbeddedFiles name tree
    in_catalog_af: bool = False

    def stream(self) -> Any:
        ef = resolve(self.spec.get("/EF"))
        if not ef:
            return None
        return resolve(ef.get("/F") or ef.get("/UF"))


@dataclass
class PdfDocument:
    """An opened PDF: pypdf reader (lazy), the request's budget and the embedded files found."""

    reader: Any
    budget: Budget
    files: list[FileSpec] = field(default_factory=list)

    @property
    def catalog(self) -> Any:
        return resolve(self.reader.trailer.get("/Root"))

    def invoice(self) -> FileSpec | None:
        """The invoice attachment by name (Factur-X first), else None."""
        by_name = {f.name.lower(): f for f in self.files}
        for name in INVOICE_NAMES:
            if name in by_name:
                return by_name[name]
        return None

    def close(self) -> None:
        """Drop the parsed objects now (pypdf objects and their reader form reference cycles, which would
        otherwise wait for the garbage collector while holding the raw streams)."""
        self.files.clear()
        self.reader.resolved_objects.clear()
        self.reader.flattened_pages = None
        self.reader.stream = None  # the BytesIO holds a copy of the input (pypdf asks for its buffer)

    def read(self, stream: Any, limit: int, what: str) -> bytes:
        """Decoded bytes of ``stream``, at most ``limit`` (413 above it), charged to the budget."""
        return decode_stream(stream, limit, self.budget, what)


def resolve(obj: Any) -> Any:
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _filters(stream: Any) -> tuple[list[str], Any]:
    filters = resolve(stream.get("/Filter"))
    if filters is None:
        names: list[str] = []
    elif isinstance(filters, list):
        names = [str(resolve(f)) for f in filters]
    else:
        names = [str(filters)]
    return names, resolve(stream.get("/DecodeParms"))


def decode_stream(stream: Any, limit: int, budget: Budget, what: str) -> bytes:
    """Decode a stream into at most ``limit`` bytes (413 naming ``what`` above), charged to ``budget``."""
    names, parms = _filters(stream)
    if not names:
        out = bytes(stream._data) if hasattr(stream, "_data") else bytes(stream.get_data())
    elif names in (["/FlateDecode"], ["/Fl"]) and not parms:
        return _inflate(bytes(stream._data), limit, budget, what)
    else:
        out = _decode_with_pypdf(stream, min(limit, budget.remaining) + 1, what, limit)
    if len(out) > limit:
        raise too_large(what, limit)
    budget.charge(len(out), what)
    return out


def _inflate(raw: bytes, limit: int, budget: Budget, what: str) -> bytes:
    """Inflate chunk by chunk: memory never exceeds ``limit`` + one chunk, nor the budget."""
    d = zlib.decompressobj()
    out = bytearray()
    pending = raw
    try:
        while pending and not d.eof:
            chunk = d.decompress(pending, min(_INFLATE_CHUNK, limit - len(out) + 1))
            budget.charge(len(chunk), what)
            out += chunk
            if len(out) > limit:
                raise too_large(what, limit)
            pending = d.unconsumed_tail
        if not d.eof:
            tail = d.flush()
            budget.charge(len(tail), what)
            out += tail
    except zlib.error as exc:
        if not out:
            raise _bad(
                f"{what} cannot be decompressed: {exc}", "flux compressé illisible dans le PDF", "PDF-UNREADABLE"
            ) from exc
        # a damaged end of stream: keep what was decoded (the XML parser then judges it)
    if len(out) > limit:
        raise too_large(what, limit)
    return bytes(out)


def _decode_with_pypdf(stream: Any, cap: int, what: str, limit: int) -> bytes:
    from pypdf import apply_configuration
    from pypdf.errors import LimitReachedError

    try:
        with apply_configuration(**_caps(cap)):
            return bytes(stream.get_data())
    except LimitReachedError as exc:
        raise too_large(what, limit) from exc


def open_pdf(data: bytes, *, max_xml_bytes: int) -> PdfDocument:
    """Open a PDF (structure only) with a budget of ``max_xml_bytes`` + :data:`STRUCTURE_ALLOWANCE`."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    budget = Budget(max_xml_bytes + STRUCTURE_ALLOWANCE)
    try:
        reader = _budgeted_reader(bytes(data), budget)
        doc = PdfDocument(reader, budget)
        doc.files = _embedded_files(doc)
    except DomainError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise unreadable(exc) from exc
    return doc


def unreadable(exc: Exception) -> DomainError:
    from pypdf.errors import LimitReachedError

    if isinstance(exc, LimitReachedError):
        return too_large("the PDF structure", STRUCTURE_ALLOWANCE, rule="PDF-DECOMPRESSION-BUDGET")
    return _bad(
        f"the PDF cannot be read (damaged or truncated): {type(exc).__name__}: {exc}",
        "le PDF est illisible (endommagé ou tronqué)",
        "PDF-UNREADABLE",
    )


def _name_of(spec: Any, fallback: str | None) -> str:
    for key in ("/UF", "/F"):
        value = resolve(spec.get(key))
        if value:
            return str(value)
    return fallback or ""


def _embedded_files(doc: PdfDocument) -> list[FileSpec]:
    """File specs from the catalog /AF array and the EmbeddedFiles name tree (dictionaries only)."""
    catalog = doc.catalog
    if catalog is None:
        raise _bad("the PDF has no document catalog", "le PDF n'a pas de catalogue", "PDF-UNREADABLE")
    found: dict[int, FileSpec] = {}

    def key(ref: Any, spec: Any) -> int:
        return getattr(ref, "idnum", None) or id(spec)

    names = resolve(catalog.get("/Names"))
    tree = resolve(names.get("/EmbeddedFiles")) if names else None
    stack, seen, nodes = ([tree] if tree is not None else []), set(), 0
    while stack:
        node = resolve(stack.pop())
        nodes += 1
        if nodes > 10_000 or not hasattr(node, "get"):
            break
        arr = resolve(node.get("/Names")) or []
        for i in range(0, len(arr) - 1, 2):
            ref = arr[i + 1]
            spec = resolve(ref)
            if not hasattr(spec, "get"):
                continue
            k = key(ref, spec)
            if k not in found:
                found[k] = FileSpec(_name_of(spec, str(arr[i])), spec, tree_name=str(arr[i]))
        for kid in resolve(node.get("/Kids")) or []:
            kid_key = getattr(kid, "idnum", None)
            if kid_key is None or kid_key not in seen:
                seen.add(kid_key)
                stack.append(kid)
    for ref in resolve(catalog.get("/AF")) or []:
        spec = resolve(ref)
        if not hasattr(spec, "get"):
            continue
        k = key(ref, spec)
        if k not in found:
            found[k] = FileSpec(_name_of(spec, None), spec)
        found[k].in_catalog_af = True
    return list(found.values())


def extract_invoice(data: bytes, *, max_xml_bytes: int) -> tuple[PdfDocument, FileSpec, bytes]:
    """(document, invoice file spec, XML bytes) of a Factur-X / ZUGFeRD 2.x / XRechnung hybrid PDF.

    The invoice is the attachment named ``factur-x.xml`` (then ``zugferd-invoice.xml``,
    ``xrechnung.xml``, case-insensitive); failing that, the only ``.xml`` attachment whose first bytes
    look like an invoice (then judged by the container rule FX-FILENAME). No other attachment is read.
    """
    doc = open_pdf(data, max_xml_bytes=max_xml_bytes)
    try:
        spec = doc.invoice()
        candidates = [spec] if spec is not None else [f for f in doc.files if f.name.lower().endswith(".xml")]
        for candidate in candidates:
            stream = candidate.stream()
            if stream is None:
                continue
            if spec is None:
                head = _head(doc, stream)
                if not _looks_like_invoice(head):
                    continue
            xml = doc.read(stream, max_xml_bytes, f"the XML embedded in the PDF ({candidate.name})")
            return doc, candidate, xml
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged file specs
        raise unreadable(exc) from exc
    names = ", ".join(f.name for f in doc.files) or "none"
    raise _bad(
        f"the PDF has no embedded invoice XML (attachments: {names})",
        "le PDF ne contient pas de facture XML embarquée (Factur-X/ZUGFeRD)",
        "PDF-NO-INVOICE",
    )


_HEAD_BYTES = 4096


def _head(doc: PdfDocument, stream: Any) -> bytes:
    """The first bytes of a stream (to sniff an unnamed invoice), without decoding the rest."""
    names, parms = _filters(stream)
    raw = bytes(stream._data) if hasattr(stream, "_data") else b""
    if not names:
        return raw[:_HEAD_BYTES]
    if names in (["/FlateDecode"], ["/Fl"]) and not parms:
        try:
            head = zlib.decompressobj().decompress(raw, _HEAD_BYTES)
        except zlib.error:
            return b""
        doc.budget.charge(len(head), "attachment header")
        return head
    return b""


def _looks_like_invoice(content: bytes) -> bool:
    import re

    return bool(re.search(rb"<(?:\w+:)?(CrossIndustryInvoice|Invoice|CreditNote|CrossIndustryDocument)[\s>]", content))
