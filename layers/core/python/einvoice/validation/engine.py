"""The validation pipeline: XSD -> EN 16931 / profile schematron -> French rules. Fail closed."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from einvoice.validation import inputs, rulesets
from einvoice.validation.models import Finding, RuleSet, ValidationReport

ENGINE_ERROR = "EINV-VAL-ENGINE"
UNSUPPORTED_PROFILE = "EINV-VAL-PROFILE"


@dataclass
class Run:
    """Findings and rule sets of one validation run."""

    findings: list[Finding] = field(default_factory=list)
    rule_sets: list[RuleSet] = field(default_factory=list)
    errored: bool = False


@dataclass
class Prepared:
    """A document ready for validation."""

    fmt: str  # cii | ubl | facturx
    doc: inputs.XmlDocument
    embedded_filename: str | None
    pdf: Any = None  # einvoice.validation.pdf.PdfDocument for a PDF (container checks)
    invoice_spec: Any = None  # its invoice attachment (einvoice.validation.pdf.FileSpec)


def prepare(data: bytes, *, max_bytes: int | None = None) -> Prepared:
    """Read the document: the XML itself, or the invoice XML of a PDF (same size limit, 413 above it)."""
    limit = max_bytes or inputs.DEFAULT_MAX_BYTES
    inputs.check_size(data, limit)
    head = bytes(data[:64]).lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    if head.startswith(b"<"):
        root = inputs.parse_xml(data)
        doc = inputs.inspect_xml(root)
        return Prepared(doc.syntax, doc, None)
    if inputs.is_pdf(data):
        from einvoice.validation import pdf

        pdfdoc, spec, xml = pdf.extract_invoice(data, max_xml_bytes=limit)
        root = inputs.parse_xml(xml, what=f"XML embedded in the PDF ({spec.name})")
        del xml
        return Prepared("facturx", inputs.inspect_xml(root), spec.name, pdfdoc, spec)
    raise inputs.bad_request(
        "the document is neither XML nor PDF", "le document n'est ni du XML ni un PDF", rule="INPUT-FORMAT"
    )


def detect(data: bytes, *, max_bytes: int | None = None) -> tuple[str, str | None]:
    """(format, profile) of a document: format cii | ubl | facturx (PDF); profile from BT-24."""
    p = prepare(data, max_bytes=max_bytes)
    if p.pdf is not None:
        p.pdf.close()
    return p.fmt, p.doc.profile


def _policy(french_rules_severity: str | None) -> str:
    if french_rules_severity is None:
        from einvoice.settings import get_settings

        french_rules_severity = get_settings().french_rules_severity
    if french_rules_severity not in ("fatal", "warning"):
        raise ValueError("french_rules_severity must be 'fatal' or 'warning'")
    return french_rules_severity


def validate(
    data: bytes,
    *,
    filename: str | None = None,
    french_rules_severity: str | None = None,
    max_bytes: int | None = None,
    check_container: bool = True,
) -> ValidationReport:
    """Validate an invoice (CII XML, UBL XML or Factur-X/ZUGFeRD PDF).

    ``french_rules_severity``: "fatal" or "warning"; ``None`` = ``Settings.french_rules_severity``.
    For a PDF, the PDF/A-3 + Factur-X container rules add findings of layer ``pdfa``
    (``check_container=False`` skips them; the report then lists no container rule set).
    Raises BadRequestError / PayloadTooLargeError for unreadable input; a rule layer that cannot
    run gives verdict "error" (never "valid").
    """
    t0 = time.perf_counter()
    policy = _policy(french_rules_severity)
    sha = hashlib.sha256(bytes(data)).hexdigest() if isinstance(data, (bytes, bytearray, memoryview)) else ""
    prepared = prepare(data, max_bytes=max_bytes)
    doc = prepared.doc
    run = Run()
    run.rule_sets.append(RuleSet(name="factur-x (artefact package)", version=rulesets.facturx_version()))
    if doc.profile is None:
        # Fail closed: no supported BT-24 -> the document is refused, but the base EN 16931 rules still
        # run so that the sender gets the actual defects (BR-01 when BT-24 is missing).
        run.findings.append(
            Finding(
                rule_id=UNSUPPORTED_PROFILE,
                severity="fatal",
                layer="en16931",
                location="BT-24",
                message=(
                    f"Specification identifier (BT-24) {doc.specification_id!r} is not a supported profile "
                    "(EN 16931 and its CIUS, Factur-X MINIMUM..EXTENDED, EXTENDED-CTC-FR); checked against the "
                    "EN 16931 rules only. / Identifiant de spécification (BT-24) absent ou non supporté."
                ),
            )
        )
    plan = rulesets.plan_for(doc.syntax, doc.profile or "en16931", doc.root_name, doc.specification_id)
    run_layers(plan.schema, plan.stylesheets, doc.root, run, policy)
    if prepared.pdf is not None:
        try:
            if check_container:
                _run_container(prepared, run)
        finally:
            prepared.pdf.close()
    verdict = verdict_of(run.findings, run.errored)
    return ValidationReport(
        verdict=verdict,
        format=prepared.fmt,
        filename=filename,
        profile=doc.profile,
        specification_id=doc.specification_id,
        embedded_filename=prepared.embedded_filename,
        findings=run.findings,
        rule_sets=run.rule_sets,
        french_rules_severity=policy,
        sha256=sha,
        duration_ms=round((time.perf_counter() - t0) * 1000, 3),
    )


def run_layers(schema_key: str, stylesheet_keys: tuple[str, ...], root: Any, run: Run, policy: str = "fatal") -> Run:
    """Run one XSD then stylesheets on a parsed (hardened) document, recording findings in ``run``.

    A layer that cannot run records an engine error (the verdict is then never "valid")."""
    _run_xsd(schema_key, root, run)
    node = None
    node_error = None
    try:
        from lxml import etree

        from einvoice.validation import saxon

        node = saxon.parse_document(etree.tostring(root, encoding="unicode"))
    except Exception as exc:  # noqa: BLE001 - fail closed on anything
        node_error = str(exc)
    for key in stylesheet_keys:
        _run_stylesheet(key, node, node_error, run, policy)
    return run


def verdict_of(findings: list[Finding], errored: bool = False) -> str:
    """The one verdict policy (engine, API and CLI): any fatal finding of any layer (XSD, rules, PDF/A
    container) -> "invalid"; else a layer that could not run -> "error"; else "valid"."""
    if any(f.severity == "fatal" and f.rule_id != ENGINE_ERROR for f in findings):
        return "invalid"
    if errored or any(f.rule_id == ENGINE_ERROR for f in findings):
        return "error"
    return "valid"


def _run_container(prepared: Prepared, run: Run) -> None:
    from einvoice.errors import DomainError
    from einvoice.validation import container

    run.rule_sets.append(RuleSet(name=container.NAME, version=container.VERSION, layer="pdfa"))
    try:
        found = container.check(
            prepared.pdf, prepared.invoice_spec, prepared.doc.profile, prepared.doc.specification_id
        )
    except DomainError:
        raise  # the request's decompression budget ran out: 413, like the XML itself
    except Exception as exc:  # noqa: BLE001 - fail closed: a damaged structure is never "valid"
        _engine_error(run, "pdfa", f"{type(exc).__name__}: {exc}")
        return
    run.findings.extend(found)


def _engine_error(run: Run, layer: str, message: str) -> None:
    run.errored = True
    run.findings.append(
        Finding(
            rule_id=ENGINE_ERROR,
            severity="fatal",
            layer=layer,
            location=None,
            message=f"validation layer could not run, the document is NOT validated: {message}",
        )
    )


def _run_xsd(key: str, root: Any, run: Run) -> None:
    from einvoice.validation import xsd

    schema = rulesets.SCHEMAS[key]
    try:
        errors = xsd.validate(key, root)
        version = xsd.loaded(key).version
    except Exception as exc:  # noqa: BLE001
        run.rule_sets.append(
            RuleSet(
                name=schema.name,
                version="unavailable",
                layer="xsd",
                file=rulesets.SCHEMAS[key].relpath.rsplit("/", 1)[-1],
            )
        )
        _engine_error(run, "xsd", str(exc))
        return
    run.rule_sets.append(
        RuleSet(name=schema.name, version=version, layer="xsd", file=schema.relpath.rsplit("/", 1)[-1])
    )
    for location, message in errors:
        run.findings.append(Finding(rule_id="XSD", severity="fatal", layer="xsd", location=location, message=message))


def _run_stylesheet(key: str, node: Any, node_error: str | None, run: Run, policy: str) -> None:
    from einvoice.validation import saxon

    sheet = rulesets.STYLESHEETS[key]
    try:
        comp = saxon.compiled(key)
    except Exception as exc:  # noqa: BLE001
        run.rule_sets.append(
            RuleSet(name=sheet.name, version="unavailable", layer=sheet.layer, file=sheet.relpath.rsplit("/", 1)[-1])
        )
        _engine_error(run, sheet.layer, str(exc))
        return
    run.rule_sets.append(
        RuleSet(name=sheet.name, version=comp.version, layer=sheet.layer, file=comp.file, sha256=comp.sha256)
    )
    if node is None:
        _engine_error(run, sheet.layer, node_error or "document not parsed")
        return
    try:
        entries = saxon.parse_svrl(saxon.transform(key, node))
    except Exception as exc:  # noqa: BLE001
        _engine_error(run, sheet.layer, str(exc))
        return
    downgrade = sheet.layer == "br-fr" and policy == "warning"
    for e in entries:
        severity = "warning" if (downgrade and e.severity == "fatal") else e.severity
        run.findings.append(
            Finding(rule_id=e.rule_id, severity=severity, layer=sheet.layer, location=e.location, message=e.message)
        )


def run_stylesheet(key: str, xml: bytes) -> list[Any]:
    """Run ONE rule set on an XML document and return raw SVRL entries (tests / diagnostics).

    Used for the CEN rule unit-test fragments, which are deliberately incomplete documents.
    """
    from lxml import etree

    from einvoice.validation import saxon

    root = inputs.parse_xml(xml)
    node = saxon.parse_document(etree.tostring(root, encoding="unicode"))
    return saxon.parse_svrl(saxon.transform(key, node))


def warm_up(keys: list[str] | None = None) -> dict[str, float]:
    """Compile the invoice stylesheets (or ``keys``) and load the invoice XSDs; return {artefact: ms}.
    Raises on failure."""
    from einvoice.validation import saxon, xsd

    timings: dict[str, float] = {}
    for key in keys or rulesets.INVOICE_STYLESHEETS:
        timings[f"xslt:{key}"] = saxon.compiled(key).compile_ms
    if keys is None:
        for key in rulesets.INVOICE_SCHEMAS:
            timings[f"xsd:{key}"] = xsd.loaded(key).load_ms
    return timings


def reset_caches() -> None:
    from einvoice.validation import saxon, xsd

    saxon.reset()
    xsd.reset()
