"""Invoice validation pipeline (XSD, EN 16931 / Factur-X schematron, French BR-FR rules).

Public API (importing this package is cheap: lxml, saxonche and pypdf load on first use)::

    validate(data: bytes, *, filename=None, french_rules_severity=None, max_bytes=None) -> ValidationReport
    detect(data: bytes) -> (format, profile)
    warm_up() -> {artefact: compile/load ms}
"""

from __future__ import annotations

from einvoice.validation.engine import detect, reset_caches, validate, warm_up
from einvoice.validation.models import Finding, RuleSet, ValidationReport

__all__ = ["validate", "detect", "warm_up", "reset_caches", "ValidationReport", "Finding", "RuleSet"]
