"""Document -> pages of positioned words -> fields: the steps shared by the state machine tasks,
the benchmark and the tests (one code path whatever the engine).

``read_document`` reads the text layer of a PDF when every page has one (no OCR), otherwise asks
the OCR engine (``ports.OcrEngine``: Tesseract locally, Textract on AWS). ``analyse`` runs the
extraction and the cross-checks on the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from einvoice.ocr import crosscheck, document, extract
from einvoice.ocr.crosscheck import Result
from einvoice.ocr.extract import Context
from einvoice.ocr.layout import Page

__all__ = ["Context", "Read", "Result", "analyse", "read_document", "engine_for"]


@dataclass
class Read:
    pages: list[Page]
    source: str  # "text" | engine name
    kind: str


def engine_for(name: str) -> Any:
    if name == "textract":
        from einvoice.ocr.textract import TextractEngine

        return TextractEngine()
    from einvoice.ocr.tesseract import TesseractEngine

    return TesseractEngine()


def read_document(data: bytes, content_type: str, engine: Any = None) -> Read:
    """The pages' words; a PDF that carries its own invoice XML (Factur-X, ZUGFeRD, an ERP's UBL) also
    gives that invoice's fields, as hints of the first page (``document.embedded_hints``)."""
    kind = document.check_input(data, content_type)
    info = document.inspect(data, kind)
    if info.text_pages is not None:
        read = Read(info.text_pages, "text", kind)
    else:
        engine = engine or engine_for("tesseract")
        read = Read(engine.recognise(data, kind), engine.name, kind)
    if kind == "pdf" and read.pages:
        embedded = document.embedded_invoice(data)
        if embedded is not None:
            read.pages[0].hints.extend(document.embedded_hints(embedded))
    return read


def analyse(pages: list[Page], ctx: Context | None = None, *, corrections: dict[str, Any] | None = None) -> Result:
    """Fields, VAT breakdown, lines and findings of the pages.

    The typed values an engine found itself (``Page.hints``: Textract's summary fields) are parsed
    by the same parsers and added as candidates, checked like the others. ``corrections`` (a
    reviewer's ``{"fields": {bt: value}, "vatBreakdown": [...], "lines": [...]}``) replace what was
    read, with confidence 1, before the cross-checks run again.
    """
    ctx = ctx or Context()
    ex = extract.extract(pages, ctx)
    for page in pages:
        for hint in page.hints:
            bt, text, conf, box = hint[:4]
            source = hint[4] if len(hint) > 4 else "engine"  # an engine's typed fields, or an embedded invoice
            value = extract.parse_value(bt, str(text), ex.mdy)
            if value is not None:
                factor = 1.0 if source == document.EMBEDDED_SOURCE else 0.95
                ex.add(bt, extract.Candidate(value, float(conf) * factor, page.number, tuple(box), source))
    if corrections:
        extract.apply_corrections(ex, corrections)
    return crosscheck.resolve(ex, ctx)
