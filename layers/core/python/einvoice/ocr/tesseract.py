"""``OcrEngine`` on Tesseract 5 (French and English models), the local engine.

Each page is cleaned (``preprocess.prepare``: contrast, noise, skew) and read with
``image_to_data`` (words, boxes, confidences). When a page reads poorly (few words or a low mean
confidence) Tesseract's orientation detection (OSD) is asked and the page is read again turned.
Run with ``OMP_THREAD_LIMIT=1``: OpenMP makes Tesseract about 4.5x slower on 2 cores.
"""

from __future__ import annotations

import os
from typing import Any

from einvoice.ocr.layout import Page, Word, build_lines

LANGS = "fra+eng"
CONFIG = "--oem 1 --psm 3"


class OcrUnavailableError(Exception):
    """The OCR engine cannot run (binary or language data missing): an operator problem."""


def _read(image: Any, number: int) -> list[Word]:
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        data = pytesseract.image_to_data(image, lang=LANGS, config=CONFIG, output_type=pytesseract.Output.DICT)
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError) as exc:
        raise OcrUnavailableError(f"Tesseract failed: {type(exc).__name__}") from None
    w, h = image.size
    words = []
    for text, conf, left, top, width, height in zip(data["text"], data["conf"], data["left"], data["top"],
                                                    data["width"], data["height"], strict=True):
        text = (text or "").strip()
        try:
            c = float(conf)
        except (TypeError, ValueError):
            c = -1.0
        if not text or c < 0:
            continue
        words.append(Word(text, max(0.0, min(1.0, c / 100)), number,
                          (left / w, top / h, (left + width) / w, (top + height) / h)))
    return words


def _poor(words: list[Word]) -> bool:
    if len(words) < 25:
        return True
    return sum(w.conf for w in words) / len(words) < 0.55


def _osd_rotation(image: Any) -> int:
    import pytesseract

    try:
        osd = pytesseract.image_to_osd(image, config="--psm 0", output_type=pytesseract.Output.DICT)
        return int(osd.get("rotate", 0)) % 360
    except Exception:  # noqa: BLE001 - too little text for OSD: keep the page as it is
        return 0


class TesseractEngine:
    name = "tesseract"

    def recognise_images(self, images: list[Any]) -> list[Page]:
        from einvoice.ocr.preprocess import prepare

        pages = []
        for number, image in enumerate(images, start=1):
            clean, angle = prepare(image)
            words = _read(clean, number)
            if _poor(words):
                turn = _osd_rotation(clean)
                if turn:
                    clean = clean.rotate(-turn, expand=True, fillcolor=255)
                    angle += turn
                    turned = _read(clean, number)
                    if len(turned) > len(words):
                        words = turned
            page = Page(number, float(clean.size[0]), float(clean.size[1]), words, source="tesseract",
                        rotation=angle)
            page.rows = build_lines(words)
            pages.append(page)
        return pages

    def recognise(self, data: bytes, kind: str) -> list[Page]:
        from einvoice.ocr.document import page_images

        return self.recognise_images(page_images(data, kind))
