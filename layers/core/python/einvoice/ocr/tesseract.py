"""``OcrEngine`` on Tesseract 5 (French and English models), the local engine.

Each page is cleaned (``preprocess.prepare``: contrast, noise, skew) and read with
``image_to_data`` (words, boxes, confidences). When a page reads poorly (few words or a low mean
confidence) Tesseract's orientation detection (OSD) is asked and the page is read again turned.
Then one *targeted re-read* per page: the words holding digits (numbers, dates, amounts,
identifiers) that were read with a confidence below ``REREAD_BELOW`` are cut out, enlarged 2x and
read again together, in one small Tesseract call (a sheet of crops). Two reads that agree raise the
word's confidence (to ``AGREED``); two that disagree lower it, so the field it feeds is flagged.
Run with ``OMP_THREAD_LIMIT=1``: OpenMP makes Tesseract about 4.5x slower on 2 cores.
"""

from __future__ import annotations

import os
from typing import Any

from einvoice.ocr.layout import Page, Word, build_lines

LANGS = "fra+eng"
CONFIG = "--oem 1 --psm 3"
REREAD_BELOW = 0.95  # word confidence under which a word with digits is read a second time
REREAD_MAX = 40  # words per page (the lowest confidences first)
AGREED = 0.96  # confidence of a word two reads agree on


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


def _same(a: str, b: str) -> bool:
    return a.replace(" ", "").strip(".,:;") == b.replace(" ", "").strip(".,:;")


def reread(image: Any, words: list[Word]) -> int:
    """Second reading of the low-confidence words with digits, in place. Returns how many agreed."""
    import pytesseract
    from PIL import Image

    todo = sorted((w for w in words if w.conf < REREAD_BELOW and any(ch.isdigit() for ch in w.text)),
                  key=lambda w: w.conf)[:REREAD_MAX]
    if not todo:
        return 0
    width, height = image.size
    crops = []
    for w in todo:
        x0, y0, x1, y1 = (int(w.box[0] * width), int(w.box[1] * height), int(w.box[2] * width), int(w.box[3] * height))
        pad = max(6, (y1 - y0) // 3)
        crop = image.crop((max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad)))
        crops.append(crop.resize((max(1, crop.width * 2), max(1, crop.height * 2)), Image.Resampling.LANCZOS))
    gap = 48
    sheet = Image.new("L", (max(c.width for c in crops) + 2 * gap, sum(c.height + gap for c in crops) + gap), 255)
    spans, y = [], gap
    for c in crops:
        sheet.paste(c, (gap, y))
        spans.append((y, y + c.height))
        y += c.height + gap
    try:
        data = pytesseract.image_to_data(sheet, lang=LANGS, config="--oem 1 --psm 6",
                                         output_type=pytesseract.Output.DICT)
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError):
        return 0
    found: list[list[tuple[int, str, float]]] = [[] for _ in todo]
    for text, conf, left, top, h in zip(data["text"], data["conf"], data["left"], data["top"], data["height"],
                                        strict=True):
        text = (text or "").strip()
        try:
            c = float(conf) / 100
        except (TypeError, ValueError):
            continue
        if not text or c < 0:
            continue
        yc = top + h / 2
        for k, (a, b) in enumerate(spans):
            if a <= yc <= b:
                found[k].append((left, text, c))
                break
    agreed = 0
    for w, parts in zip(todo, found, strict=True):
        if not parts:
            continue
        parts.sort()
        text2 = "".join(p[1] for p in parts) if " " not in w.text else " ".join(p[1] for p in parts)
        conf2 = min(p[2] for p in parts)
        if _same(w.text, text2):
            w.conf = max(w.conf, min(AGREED, max(conf2, AGREED)))
            agreed += 1
        elif conf2 >= 0.9 and conf2 > w.conf + 0.25:
            w.text, w.conf = text2, min(conf2, 0.85)  # the clearer reading, still to be confirmed
        else:
            w.conf = min(w.conf, 0.6)  # two readings differ: whatever the word feeds is flagged
    return agreed


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
            reread(clean, words)
            page = Page(number, float(clean.size[0]), float(clean.size[1]), words, source="tesseract",
                        rotation=angle)
            page.rows = build_lines(words)
            pages.append(page)
        return pages

    def recognise(self, data: bytes, kind: str) -> list[Page]:
        from einvoice.ocr.document import page_images

        return self.recognise_images(page_images(data, kind))
