"""Validate a CDAR lifecycle message: CDAR D22B uncoupled XSD, then the FNFE BR-FR-CDV schematron.

Both artefacts come from the pinned ``pyfrctc`` package (``einvoice.validation.rulesets``: keys
``cdar-d22b`` and ``br-fr-cdv``) and run through the invoice validation machinery: the XSD is parsed
once per process, the stylesheet compiled once per process by saxonche, and a layer that cannot run
makes the verdict "error", never "valid" (fail closed). BR-FR-CDV findings are never downgraded.

Five presence rules of the shipped schematron cannot fail: BR-FR-CDV-01, -04, -05, -06 and -10 assert
``test="."`` on their own context element, which is always true in XPath 2 (a node is truthy, empty or
not), and an absent element never fires the rule at all. The platform runs the four that matter as
its own checks, ``EINV-CDV-04`` (MDT-8 creation date-time), ``-05`` (sender, MDG-9), ``-06`` (sender
role, MDT-21) and ``-10`` (invoice number, MDT-87), in the same layer (MDT-3 is already covered by
the XSD and BR-FR-CDV-02).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from einvoice.validation.models import Finding, RuleSet, ValidationReport

SCHEMA = "cdar-d22b"
STYLESHEETS = ("br-fr-cdv",)


def validate(data: bytes, *, filename: str | None = None) -> ValidationReport:
    """Validate CDAR bytes. Raises ``BadRequestError`` / ``PayloadTooLargeError`` for unreadable input."""
    from einvoice.lifecycle import cdar_xml
    from einvoice.validation import engine, rulesets

    t0 = time.perf_counter()
    root = cdar_xml.parse_root(data)
    cdar_xml.check_root(root)
    run = engine.Run()
    run.rule_sets.append(RuleSet(name="pyfrctc (artefact package)", version=rulesets.package_version("pyfrctc")))
    engine.run_layers(SCHEMA, STYLESHEETS, root, run, "fatal")
    run.findings.extend(presence_findings(root))
    guideline = root.findtext(
        f"{{{cdar_xml.RSM}}}ExchangedDocumentContext/{{{cdar_xml.RAM}}}GuidelineSpecifiedDocumentContextParameter"
        f"/{{{cdar_xml.RAM}}}ID"
    )
    return ValidationReport(
        verdict=engine.verdict_of(run.findings, run.errored),
        format="cdar",
        filename=filename,
        specification_id=(guideline or "").strip() or None,
        findings=run.findings,
        rule_sets=run.rule_sets,
        sha256=hashlib.sha256(bytes(data)).hexdigest(),
        duration_ms=round((time.perf_counter() - t0) * 1000, 3),
    )


_PRESENCE = (
    ("EINV-CDV-04", "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", "MDT-8",
     "the message creation date-time (MDT-8) is missing", "la date-heure de création du message (MDT-8) est absente"),
    ("EINV-CDV-05", "rsm:ExchangedDocument/ram:SenderTradeParty", "MDG-9",
     "the sender (MDG-9) is missing", "l'émetteur du message (MDG-9) est absent"),
    ("EINV-CDV-06", "rsm:ExchangedDocument/ram:SenderTradeParty/ram:RoleCode", "MDT-21",
     "the sender's role code (MDT-21) is missing", "le code rôle de l'émetteur (MDT-21) est absent"),
    ("EINV-CDV-10", "rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument/ram:IssuerAssignedID", "MDT-87",
     "the invoice number (MDT-87) is missing", "le numéro de facture (MDT-87) est absent"),
)


def presence_findings(root: Any) -> list[Finding]:
    """The platform's presence checks (see the module docstring): element present with a value."""
    from einvoice.lifecycle.cdar_xml import NS

    out = []
    has_sender = bool(root.xpath("rsm:ExchangedDocument/ram:SenderTradeParty", namespaces=NS))
    for rule, path, location, message, message_fr in _PRESENCE:
        nodes = root.xpath(path, namespaces=NS)
        if rule == "EINV-CDV-05":
            ok = has_sender
        else:
            ok = (rule == "EINV-CDV-06" and not has_sender) or (bool(nodes) and all((n.text or "").strip()
                                                                                    for n in nodes))
        if not ok:
            out.append(Finding(rule_id=rule, severity="fatal", layer="br-fr-cdv", location=location,
                               message=f"[{rule}] {message} (platform check) / {message_fr}"))
    return out


def warm_up() -> dict[str, float]:
    """Load the XSD and compile the BR-FR-CDV stylesheet now (cold start); {artefact: ms}."""
    from einvoice.validation import saxon, xsd

    return {f"xsd:{SCHEMA}": xsd.loaded(SCHEMA).load_ms,
            **{f"xslt:{k}": saxon.compiled(k).compile_ms for k in STYLESHEETS}}
