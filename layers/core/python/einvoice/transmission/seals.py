"""Sealing of transmitted documents with the platform's seal (``einvoice.seal``, PAdES).

* PDF (Factur-X): PAdES seal inside the PDF (``Sealer.seal``);
* XML (CII, UBL): a detached CAdES signature (CMS, ``.p7s``) stored beside it, since CII's schema
  has no place for an enveloped signature. It is made with the sealer's own pyHanko signer, so it
  follows the sealer wherever its key lives (test certificate locally, KMS in production).

``verify`` checks either kind offline against the sealer's certificate.
"""

from __future__ import annotations

import asyncio
from typing import Any

PADES = "PAdES"
CADES_DETACHED = "CAdES-detached"
REASON = "Facture transmise par la plateforme agréée"


def _signer(sealer: Any) -> Any:
    for name in ("cms_signer", "signer"):
        found = getattr(sealer, name, None)
        if found is not None and not callable(found):
            return found
    getter = getattr(sealer, "get_signer", None) or getattr(sealer, "_get_signer", None)
    if getter is None:
        raise RuntimeError("the sealer exposes no signer for detached signatures")
    return getter()


def seal_pdf(sealer: Any, pdf: bytes) -> bytes:
    return sealer.seal(pdf, reason=REASON, location="FR")


def sign_detached(sealer: Any, data: bytes) -> bytes:
    """DER-encoded CMS SignedData (CAdES, detached, SHA-256) over ``data``."""
    signed = asyncio.run(_signer(sealer).async_sign_general_data(data, "sha256", detached=True, use_cades=True))
    return signed.dump()


def trust_roots(sealer: Any) -> list[bytes]:
    pem = getattr(sealer, "certificate_pem", None)
    return [pem] if pem else []


def verify_pdf(pdf: bytes, roots: list[bytes]) -> dict[str, Any]:
    from einvoice.seal import verify

    report = verify(pdf, roots)
    return {"type": PADES, "present": report.get("present", False), "intact": report.get("intact", False),
            "valid": report.get("valid", False), "trusted": report.get("trusted", False),
            "signer": report.get("signer"), "coverage": report.get("coverage")}


def verify_detached(data: bytes, signature: bytes, roots: list[bytes]) -> dict[str, Any]:
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    from einvoice.seal import _load_roots

    try:
        content = cms.ContentInfo.load(signature)["content"]
        vc = ValidationContext(trust_roots=_load_roots(roots), allow_fetching=False)
        status = asyncio.run(async_validate_detached_cms(data, content, signer_validation_context=vc))
    except Exception as exc:  # noqa: BLE001 - a damaged signature is a finding, not a crash
        return {"type": CADES_DETACHED, "present": True, "intact": False, "valid": False, "trusted": False,
                "error": type(exc).__name__}
    return {"type": CADES_DETACHED, "present": True, "intact": bool(status.intact), "valid": bool(status.valid),
            "trusted": bool(status.trusted),
            "signer": status.signing_cert.subject.human_friendly if status.signing_cert else None}
