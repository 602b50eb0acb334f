"""Rendering invoices nobody on the team wrote (CEN CII and UBL examples of ../shared/corpus)."""

from __future__ import annotations

from pathlib import Path

import pytest

from einvoice.invoicing import parse, render
from tests.unit.invoicing.test_render_pdf import pdf_text

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "en16931-cen"


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared corpus absent")
def test_renders_third_party_cen_examples(tmp_path: Path) -> None:
    """Invoices nobody on the team wrote (CEN CII and UBL examples) render, numbers included."""
    files = sorted(CORPUS.glob("*/examples/*.xml"))[::2]  # half of them keeps the test short
    assert files
    rendered = 0
    for path in files:
        try:
            inv = parse.parse_xml(path.read_bytes())
        except Exception:  # noqa: BLE001 - parser coverage is the parser's tests' business
            continue
        text = pdf_text(render.render_pdf(inv), tmp_path, layout=False)
        assert inv.number in text, path.name
        assert inv.seller.name.split()[0] in text, path.name
        rendered += 1
    assert rendered >= len(files) // 2
