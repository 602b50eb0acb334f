"""Helpers for the validation unit tests (unique module name: tests dirs are not packages)."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = (Path(__file__).resolve().parents[3] / "../shared/corpus").resolve()
UC1 = "xp-z12-french-ctc/XP_Z12-014_Annexe_B_V1.3/UC1/UC1_F202500003_00-INV_20250701"


def corpus_file(rel: str) -> bytes:
    """Read a corpus file (used read-only, never copied); skip the test when the corpus is absent."""
    path = CORPUS / rel
    if not path.is_file():
        pytest.skip(f"corpus file absent: {path}")
    return path.read_bytes()


def make_pdf(attachments: dict[str, bytes] | None = None) -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    for name, content in (attachments or {}).items():
        writer.add_attachment(name, content)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()
