"""The enrolment certificate: "Accord formel de désignation de la plateforme agréée de réception
des factures", rendered as PDF/A-3b with Typst (template ``templates/certificate.typ``).

Sealing (PAdES) is ``einvoice.seal``; archiving is ``einvoice.archive``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

TEMPLATE = Path(__file__).with_name("templates") / "certificate.typ"
TITLE = "Accord formel de désignation de la plateforme agréée de réception des factures"
PLATFORM_NAME = "einvoice — plateforme agréée"

_lock = threading.Lock()
_compiler: Any = None


@dataclass(frozen=True)
class CertificateData:
    enrolment_id: str
    issued_at: str  # ISO 8601 UTC
    issued_at_text: str  # human, Europe/Paris
    platform_id: str
    signatory: dict[str, Any]
    companies: list[dict[str, Any]]
    evidence: dict[str, Any]
    platform_name: str = PLATFORM_NAME

    @classmethod
    def from_enrolment(cls, e: Any, companies: Sequence[Any], *, issued_at: datetime,
                       platform_id: str) -> "CertificateData":
        from einvoice.enrolment.model import iso

        sig = e.signatory.to_dict()
        sig.setdefault("phone", None)
        return cls(
            enrolment_id=e.id,
            issued_at=iso(issued_at) or "",
            issued_at_text=_paris(issued_at),
            platform_id=platform_id,
            signatory=sig,
            companies=[{"name": c.name, "siren": c.siren, "siret": c.siret} for c in companies],
            evidence={
                "email": e.signatory.email,
                "otpValidatedAt": _paris_iso(e.otp_validated_at),
                "requestId": e.request_id,
                "termsVersion": e.terms_version,
                "termsAcceptedAt": _paris_iso(e.terms_accepted_at),
            },
        )

    def to_json(self) -> str:
        from einvoice.resources import ARCHIVE_RETENTION_YEARS

        d = asdict(self)
        return json.dumps({
            "enrolmentId": d["enrolment_id"],
            "issuedAt": d["issued_at"],
            "issuedAtText": d["issued_at_text"],
            "platform": {"id": d["platform_id"], "name": d["platform_name"]},
            "signatory": d["signatory"],
            "companies": d["companies"],
            "evidence": d["evidence"],
            "retentionYears": ARCHIVE_RETENTION_YEARS,
        }, ensure_ascii=False)


def _paris(dt: datetime) -> str:
    from zoneinfo import ZoneInfo

    local = dt.astimezone(ZoneInfo("Europe/Paris"))
    return local.strftime("%d/%m/%Y à %H:%M:%S") + f" (heure de Paris, UTC{local.strftime('%z')[:3]}:{local.strftime('%z')[3:]})"


def _paris_iso(value: str | None) -> str:
    if not value:
        return "—"
    from einvoice.enrolment.model import parse_iso

    dt = parse_iso(value)
    return _paris(dt) if dt else value


def render(data: CertificateData) -> bytes:
    """PDF/A-3b bytes. A Typst compiler is kept per container (fonts and layout cache).

    Fonts: the DejaVu fonts the invoices use (``invoicing.render``: the repository's copy locally,
    ``/opt/fonts`` from the render layer on Lambda), never the host's, so every host embeds the same.
    """
    global _compiler
    import typst

    from einvoice.invoicing.render import _font_dirs

    with _lock:
        if _compiler is None:
            fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=_font_dirs())
            _compiler = typst.Compiler(str(TEMPLATE), root=str(TEMPLATE.parent), font_paths=fonts,
                                       ignore_system_fonts=True)
        return _compiler.compile(sys_inputs={"data": data.to_json()}, pdf_standards=["a-3b"])
