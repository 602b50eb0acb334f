"""``pdftotext`` (poppler) on PDF bytes."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def last_code(world) -> str:
    """The code in the last mail of an in-memory ``world`` (tests only read mail, never records)."""
    import re

    return re.search(r"code de confirmation est : (\d{6})", world.deps.mailer.sent[-1]["text"]).group(1)
