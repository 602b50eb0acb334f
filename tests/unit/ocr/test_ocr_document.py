"""Bad input is refused with a clear 4xx before any engine runs; memory stays bounded."""

from __future__ import annotations

import io
import struct
import zlib

import pytest

from einvoice.errors import BadRequestError, PayloadTooLargeError
from einvoice.ocr import document


def _png(width: int, height: int) -> bytes:
    """A PNG header announcing ``width`` x ``height`` pixels (the pixel data is a few bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def _pdf(pages: int) -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(595, 842)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def test_content_type_and_body_checks():
    with pytest.raises(document.UnsupportedMediaTypeError) as e:
        document.check_input(b"x", "text/plain")
    assert e.value.http_status == 415 and e.value.details[0].field == "Content-Type"
    with pytest.raises(BadRequestError, match="empty"):
        document.check_input(b"", "application/pdf")
    with pytest.raises(BadRequestError, match="not a PNG"):
        document.check_input(b"%PDF-1.7 ...", "image/png")
    with pytest.raises(PayloadTooLargeError):
        document.check_input(b"%PDF-" + b"0" * document.MAX_BYTES, "application/pdf")
    assert document.check_input(_png(100, 100), "image/png; charset=binary") == "png"


def test_decompression_bomb_is_refused_from_the_header():
    bomb = _png(60000, 60000)  # 3.6 Gpx announced in a few hundred bytes
    assert len(bomb) < 500
    with pytest.raises(BadRequestError):
        document.light_check(bomb, "png")
    with pytest.raises(BadRequestError):
        document.load_images(bomb)


def test_corrupt_and_oversized_pdfs():
    with pytest.raises(BadRequestError, match="cannot be read"):
        document.light_check(b"%PDF-1.7\n1 0 obj garbage", "pdf")
    with pytest.raises(PayloadTooLargeError):
        document.light_check(_pdf(document.MAX_PAGES + 1), "pdf")
    document.light_check(_pdf(2), "pdf")
    info = document.inspect(_pdf(2), "pdf")
    assert info.pages == 2 and info.text_pages is None  # blank pages: no text layer, OCR needed
    images = document.rasterise(_pdf(1), dpi=50)
    assert images[0].mode == "L" and abs(images[0].size[0] - 413) <= 1 and abs(images[0].size[1] - 585) <= 1


def test_corrupt_image():
    with pytest.raises(BadRequestError):
        document.load_images(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
