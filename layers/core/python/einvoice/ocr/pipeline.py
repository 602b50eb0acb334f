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
    kind = document.check_input(data, content_type)
    info = document.inspect(data, kind)
    if info.text_pages is not None:
        return Read(info.text_pages, "text", kind)
    engine = engine or engine_for("tesseract")
    pages = engine.recognise(data, kind)
    return Read(pages, engine.name, kind)


def analyse(pages: list[Page], ctx: Context | None = None, *, hints: list[extract.Candidate] | None = None,
            hint_fields: dict[str, list[extract.Candidate]] | None = None) -> Result:
    """Fields, VAT breakdown, lines and findings of the pages. ``hint_fields`` are typed values an
    engine found itself (Textract's ``SummaryFields``): extra candidates, checked like the others."""
    ctx = ctx or Context()
    ex = extract.extract(pages, ctx)
    for bt, cands in (hint_fields or {}).items():
        for c in cands:
            ex.add(bt, c)
    return crosscheck.resolve(ex, ctx)
