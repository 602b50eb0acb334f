"""The submitted document: type sniffing, limits, text layer, rasterisation, images.

Bounded memory and refusal of hostile input, before any engine sees a byte:

* the declared content type must be one of ``CONTENT_TYPES`` (else 415) and the bytes must really
  be that kind (magic number; a PDF sent as ``image/png`` is a 400);
* at most ``MAX_BYTES`` bytes, ``MAX_PAGES`` pages, ``MAX_PIXELS`` pixels per page (decompression
  bombs are refused from the image header, before decoding);
* a PDF whose pages carry a usable text layer is read directly (``pdfplumber`` words with their
  positions); otherwise pages are rasterised at ``RASTER_DPI`` with PDFium (``pypdfium2``: same
  code in Lambda and locally, no poppler binary).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from einvoice.errors import BadRequestError, ErrorDetail, PayloadTooLargeError
from einvoice.ocr.layout import Page, Word, build_lines

CONTENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/png": "png",
    "image/tiff": "tiff",
}
MAX_BYTES = 10 * 1024 * 1024  # the API Gateway payload limit
MAX_PAGES = 20
MAX_PIXELS = 50_000_000  # one page; A4 at 600 dpi is 34.8 Mpx
RASTER_DPI = 300  # Tesseract's best range is 300 dpi (x-height >= 20 px); 200 dpi still reads 9-pt text
MIN_TEXT_CHARS = 40  # per page, for a text layer to count as usable


class UnsupportedMediaTypeError(BadRequestError):
    code = "UnsupportedMediaType"
    http_status = 415


def _bad(message: str, rule: str, message_fr: str) -> BadRequestError:
    return BadRequestError(message, [ErrorDetail(message, field="body", rule=rule, message_fr=message_fr)])


def sniff(data: bytes) -> str | None:
    if data[:5] == b"%PDF-" or (b"%PDF-" in data[:1024]):
        return "pdf"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


def check_input(data: bytes, content_type: str | None) -> str:
    """The document kind (pdf/jpeg/png/tiff) or a 4xx naming the problem."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    kind = CONTENT_TYPES.get(ctype)
    if kind is None:
        raise UnsupportedMediaTypeError(
            f"Content type {ctype or '(none)'} is not supported: send application/pdf, image/jpeg, image/png or "
            "image/tiff", [ErrorDetail("unsupported content type", field="Content-Type", rule="MEDIA_TYPE",
                                       message_fr="type de contenu non pris en charge")])
    if not data:
        raise _bad("The request body is empty: send the document", "EMPTY", "Le corps de la requête est vide")
    if len(data) > MAX_BYTES:
        raise PayloadTooLargeError(f"The document exceeds {MAX_BYTES // (1024 * 1024)} MB", [
            ErrorDetail("document too large", field="body", rule="MAX_BYTES", message_fr="document trop volumineux")])
    actual = sniff(data)
    if actual != kind:
        raise _bad(f"The body is not a {kind.upper()} document" + (f" (it looks like {actual.upper()})" if actual else ""),
                   "CONTENT_MISMATCH", "Le contenu ne correspond pas au type déclaré")
    return kind


@dataclass
class Inspected:
    kind: str
    pages: int
    text_pages: list[Page] | None  # set when every page has a usable text layer


def _open_pdf(data: bytes) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except Exception:  # noqa: BLE001 - PdfiumError and friends: a corrupt or encrypted file
        raise _bad("The PDF cannot be read (corrupt, truncated or encrypted)", "CORRUPT",
                   "Le PDF est illisible (corrompu, tronqué ou chiffré)") from None


def _check_pages(n: int) -> None:
    if n <= 0:
        raise _bad("The document has no page", "NO_PAGE", "Le document ne contient aucune page")
    if n > MAX_PAGES:
        raise PayloadTooLargeError(f"The document has {n} pages; at most {MAX_PAGES} are accepted", [
            ErrorDetail("too many pages", field="body", rule="MAX_PAGES", message_fr="trop de pages")])


def inspect(data: bytes, kind: str) -> Inspected:
    """Page count, and the text layer when it is usable on every page (then no OCR is needed)."""
    if kind != "pdf":
        images = load_images(data)
        return Inspected(kind, len(images), None)
    doc = _open_pdf(data)
    try:
        n = len(doc)
        _check_pages(n)
        for i in range(n):
            w, h = doc[i].get_size()
            if w <= 0 or h <= 0 or (w / 72 * RASTER_DPI) * (h / 72 * RASTER_DPI) > MAX_PIXELS:
                raise _bad(f"Page {i + 1} has an unsupported size", "PAGE_SIZE", "Taille de page non prise en charge")
    finally:
        doc.close()
    return Inspected(kind, n, text_layer(data))


def text_layer(data: bytes) -> list[Page] | None:
    """Words of every page from the PDF text layer, or None when a page has (almost) no text."""
    import pdfplumber

    pages: list[Page] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number, p in enumerate(pdf.pages, start=1):
                width, height = float(p.width), float(p.height)
                raw = p.extract_words(keep_blank_chars=False, use_text_flow=False, x_tolerance=2.5, y_tolerance=2)
                chars = sum(len(w["text"]) for w in raw)
                readable = sum(ch.isalnum() for w in raw for ch in w["text"])
                if chars < MIN_TEXT_CHARS or readable < 0.5 * chars:
                    return None
                raw = _join_initials(raw)
                words = [Word(w["text"], 1.0, number, (max(0.0, w["x0"] / width), max(0.0, w["top"] / height),
                                                       min(1.0, w["x1"] / width), min(1.0, w["bottom"] / height)))
                         for w in raw]
                page = Page(number, width, height, words, source="text")
                page.rows = build_lines(words)
                pages.append(page)
                p.flush_cache()
    except BadRequestError:
        raise
    except Exception:  # noqa: BLE001 - pdfminer parse errors: fall back to OCR of the rendered page
        return None
    return pages


def _join_initials(raw: list[dict]) -> list[dict]:
    """A capital letter set apart by letter-spacing ("F actuurnummer") is joined to its word."""
    out: list[dict] = []
    for w in raw:
        prev = out[-1] if out else None
        if prev is not None and len(prev["text"]) == 1 and prev["text"].isupper() and w["text"][:1].islower() \
                and abs(w["top"] - prev["top"]) < 1 and 0 <= w["x0"] - prev["x1"] < 0.6 * (w["bottom"] - w["top"]):
            out[-1] = {**prev, "text": prev["text"] + w["text"], "x1": w["x1"]}
            continue
        out.append(w)
    return out


def rasterise(data: bytes, dpi: int = RASTER_DPI) -> list[Any]:
    """PIL images (grayscale) of every page of a PDF."""
    doc = _open_pdf(data)
    try:
        _check_pages(len(doc))
        out = []
        for i in range(len(doc)):
            page = doc[i]
            w, h = page.get_size()
            if (w / 72 * dpi) * (h / 72 * dpi) > MAX_PIXELS:
                raise _bad(f"Page {i + 1} is too large to rasterise", "PAGE_SIZE", "Page trop grande")
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            out.append(bitmap.to_pil().convert("L"))
            bitmap.close()
            page.close()
        return out
    finally:
        doc.close()


def load_images(data: bytes) -> list[Any]:
    """Frames of a JPEG/PNG/TIFF, refusing decompression bombs from the header (no decode first)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        img = Image.open(io.BytesIO(data))
        frames = getattr(img, "n_frames", 1)
        _check_pages(frames)
        out = []
        for i in range(frames):
            img.seek(i)
            w, h = img.size
            if w * h > MAX_PIXELS or w < 50 or h < 50:
                raise _bad(f"Image page {i + 1} is {w}x{h} pixels: between 50x50 and {MAX_PIXELS:,} pixels are "
                           "accepted", "IMAGE_SIZE", "Taille d'image non acceptée")
            from PIL import ImageOps

            frame = ImageOps.exif_transpose(img.copy()) if i == 0 else img.copy()
            out.append(frame.convert("L"))
        return out
    except BadRequestError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bad("The image is too large (decompression bomb refused)", "IMAGE_SIZE",
                   "Image trop grande (refusée)") from None
    except Exception:  # noqa: BLE001 - PIL.UnidentifiedImageError, truncated files, OSError
        raise _bad("The image cannot be read (corrupt or truncated)", "CORRUPT",
                   "L'image est illisible (corrompue ou tronquée)") from None


def page_images(data: bytes, kind: str, dpi: int = RASTER_DPI) -> list[Any]:
    return rasterise(data, dpi) if kind == "pdf" else load_images(data)


def light_check(data: bytes, kind: str) -> None:
    """At submission: the file opens and is within the page and pixel limits (no decoding)."""
    if kind == "pdf":
        doc = _open_pdf(data)
        try:
            _check_pages(len(doc))
        finally:
            doc.close()
        return
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        img = Image.open(io.BytesIO(data))
        w, h = img.size
        frames = getattr(img, "n_frames", 1)
    except Exception:  # noqa: BLE001 - UnidentifiedImageError, DecompressionBombError, OSError
        raise _bad("The image cannot be read (corrupt, truncated or too large)", "CORRUPT",
                   "L'image est illisible (corrompue, tronquée ou trop grande)") from None
    _check_pages(frames)
    if w * h > MAX_PIXELS or w < 50 or h < 50:
        raise _bad(f"The image is {w}x{h} pixels: between 50x50 and {MAX_PIXELS:,} pixels are accepted",
                   "IMAGE_SIZE", "Taille d'image non acceptée")


#: The business terms an embedded invoice fills in (``embedded_hints``).
EMBEDDED_SOURCE = "embedded"


def embedded_invoice(data: bytes) -> Any:
    """The invoice XML a PDF carries (Factur-X / ZUGFeRD ``factur-x.xml``, or a single invoice-looking
    ``.xml`` attachment such as an ERP's UBL), parsed into the EN 16931 model; None when there is none
    or it does not parse. Read with the validation's budgeted PDF reader (nothing else is inflated)."""
    from einvoice.errors import DomainError
    from einvoice.invoicing.facturx import parse_pdf

    try:
        return parse_pdf(data)
    except DomainError:
        return None
    except ImportError:  # a packaging fault, not a property of the document: never hidden
        raise
    except Exception:  # noqa: BLE001 - a damaged attachment: the page is read as any other
        return None


def embedded_hints(invoice: Any) -> list[list[Any]]:
    """``[bt, text, confidence, box, source]`` of the fields an embedded invoice states: the structured
    invoice is the legal one (EN 16931), so its values are candidates of confidence 1 that the
    extraction prefers over what the page shows (the cross-checks still run on them)."""
    seller, buyer = invoice.seller, invoice.buyer
    totals = invoice.totals
    transfers = (invoice.payment_instructions.credit_transfers if invoice.payment_instructions else []) or []
    values = {
        "BT-1": invoice.number, "BT-2": invoice.issue_date, "BT-3": invoice.type_code, "BT-5": invoice.currency,
        "BT-9": invoice.due_date, "BT-27": seller.name, "BT-30": seller.siren, "BT-31": seller.vat_id,
        "BT-44": buyer.name, "BT-47": buyer.siren, "BT-84": transfers[0].account_id if transfers else None,
        "BT-109": totals.tax_exclusive if totals else None, "BT-110": totals.tax_amount if totals else None,
        "BT-112": totals.tax_inclusive if totals else None, "BT-115": totals.payable if totals else None,
    }
    return [[bt, str(v.isoformat() if hasattr(v, "isoformat") else v), 1.0, [0.0, 0.0, 0.0, 0.0], EMBEDDED_SOURCE]
            for bt, v in values.items() if v is not None and str(v).strip()]

