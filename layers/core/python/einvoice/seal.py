"""PAdES sealing of platform documents with pyHanko, the key held by AWS KMS (one path, AWS and local).

* The seal key is an asymmetric KMS key (``SIGN_VERIFY``; ``ECC_NIST_P256`` or ``RSA_2048/3072/4096``)
  named by ``settings.seal_key_id``; its certificate chain (PEM, the seal certificate first) is the
  SSM parameter ``settings.seal_certificate_parameter``. In production that is the RGS*** seal
  certificate bound to the key; locally (``local.seal``) a certificate issued at bootstrap by a local
  CA for the public key of a KMS key created in moto. The same code runs in both.
* ``kms_signer`` makes a pyHanko ``Signer``: pyHanko builds the CMS signed attributes, KMS signs their
  DER encoding with ``MessageType=RAW`` (KMS hashes them; they are a few hundred bytes, far below
  the 4,096-byte RAW limit). RAW rather than ``DIGEST`` because moto 5.2.5 hashes a DIGEST again;
  RAW is equally valid on AWS.
* ``PadesSealer.seal(pdf)`` adds a PAdES signature (``/SubFilter /ETSI.CAdES.detached``) in the
  field ``Seal``: B-B, or B-T when ``settings.seal_tsa_url`` names an RFC 3161 time-stamping service.
* ``verify(pdf, trust_roots)`` -> ``{"intact", "valid", "trusted", "coverage", ...}``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterable

FIELD_NAME = "Seal"
RAW_MESSAGE_LIMIT = 4096  # KMS Sign with MessageType=RAW

_lock = threading.Lock()
_sealers: dict[tuple, "PadesSealer"] = {}

# pyHanko digest name -> KMS signing algorithm, per key type
_KMS_ALGORITHMS = {
    ("rsa", "sha256"): "RSASSA_PKCS1_V1_5_SHA_256",
    ("rsa", "sha384"): "RSASSA_PKCS1_V1_5_SHA_384",
    ("rsa", "sha512"): "RSASSA_PKCS1_V1_5_SHA_512",
    ("ec", "sha256"): "ECDSA_SHA_256",
    ("ec", "sha384"): "ECDSA_SHA_384",
    ("ec", "sha512"): "ECDSA_SHA_512",
}


class SealConfigurationError(Exception):
    """The seal key or its certificate chain is missing, unreadable or does not match."""


def parse_chain(pem: str | bytes) -> list[Any]:
    """asn1crypto certificates of a PEM bundle (seal certificate first)."""
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509

    data = pem.encode() if isinstance(pem, str) else pem
    certs = [asn1_x509.Certificate.load(der) for _, _, der in asn1_pem.unarmor(data, multiple=True)]
    if not certs:
        raise SealConfigurationError("the seal certificate chain holds no PEM certificate")
    return certs


def _kms_signature_size(cert: Any) -> int:
    info = cert.public_key
    if info.algorithm == "rsa":
        return (info.bit_size + 7) // 8
    return 2 * ((info.bit_size + 7) // 8) + 9  # DER ECDSA-Sig-Value, upper bound


_signer_class: Any = None


def _kms_signer_class() -> Any:
    """The pyHanko ``Signer`` subclass (defined on first use: pyHanko is imported lazily)."""
    global _signer_class
    if _signer_class is None:
        from pyhanko.sign.signers.pdf_cms import Signer
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        class KmsSigner(Signer):
            def __init__(self, key_id: str, chain: list[Any], kms: Any) -> None:
                super().__init__(signing_cert=chain[0], cert_registry=SimpleCertificateStore.from_certs(chain[1:]))
                self.key_id = key_id
                self.kms = kms

            async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
                cert = self.signing_cert
                if dry_run:
                    return bytes(_kms_signature_size(cert))
                algorithm = _KMS_ALGORITHMS.get((cert.public_key.algorithm, digest_algorithm))
                if algorithm is None:
                    raise SealConfigurationError(f"no KMS algorithm for a {cert.public_key.algorithm} key "
                                                 f"with {digest_algorithm}")
                if len(data) > RAW_MESSAGE_LIMIT:
                    raise SealConfigurationError(f"signed attributes of {len(data)} bytes exceed KMS's RAW limit")
                resp = self.kms.sign(KeyId=self.key_id, Message=data, MessageType="RAW", SigningAlgorithm=algorithm)
                return resp["Signature"]

        _signer_class = KmsSigner
    return _signer_class


def kms_signer(key_id: str, chain: list[Any], kms: Any) -> Any:
    """A pyHanko signer for the KMS key ``key_id`` certified by ``chain`` (seal certificate first)."""
    return _kms_signer_class()(key_id, chain, kms)


class PadesSealer:
    """``Sealer``: PAdES B-B (or B-T with ``timestamper``) in the signature field ``Seal``."""

    def __init__(self, signer: Any, timestamper: Any = None) -> None:
        from asn1crypto import pem as asn1_pem

        self.signer = signer
        self.timestamper = timestamper
        # the certificate this sealer signs with
        self.certificate_pem = asn1_pem.armor("CERTIFICATE", signer.signing_cert.dump())

    def seal(self, pdf: bytes, *, reason: str = "", location: str = "") -> bytes:
        from io import BytesIO

        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        # pyHanko re-serialises the document's XMP through its own model on every write, which drops the
        # pdfaExtension schemas a Factur-X must declare (FX-XMP-EXTENSION, ISO 19005-3 6.6.2.3.1): the
        # sealed file then failed the platform's own container check. The seal's incremental update adds
        # the signature only; the metadata of the sealed document stays the document's (Info and XMP agree).
        writer._update_meta = lambda: None  # noqa: SLF001 - no public switch in pyHanko 0.38
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason or None,
            location=location or None,
        )
        out = signers.sign_pdf(writer, meta, signer=self.signer, timestamper=self.timestamper)
        return out.getvalue()


def load_chain(settings: Any) -> list[Any]:
    """The seal certificate chain from its SSM parameter."""
    from botocore.exceptions import ClientError

    from einvoice.adapters.aws.clients import client, error_code

    name = settings.seal_certificate_parameter
    try:
        value = client("ssm", settings).get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            raise SealConfigurationError(f"the seal certificate chain parameter {name} does not exist") from None
        raise
    return parse_chain(value)


def _check_key_matches(kms: Any, key_id: str, cert: Any) -> None:
    """The certificate must certify the KMS key's public key (a wrong parameter fails here, not at validation)."""
    from botocore.exceptions import ClientError

    from einvoice.adapters.aws.clients import error_code

    try:
        public_key = kms.get_public_key(KeyId=key_id)["PublicKey"]
    except ClientError as exc:
        if error_code(exc) in ("NotFoundException", "InvalidArnException", "DisabledException"):
            raise SealConfigurationError(f"the seal key {key_id} is not usable: {error_code(exc)}") from None
        raise
    if bytes(public_key) != cert.public_key.dump():
        raise SealConfigurationError(f"the seal certificate does not certify the public key of KMS key {key_id}")


def default_sealer(settings: Any = None, *, state_dir: str | os.PathLike[str] | None = None,
                   timestamp: bool = False) -> PadesSealer:
    """The platform's sealer (cached per container): KMS key + certificate chain from the settings.

    ``timestamp=True`` adds an RFC 3161 time-stamp (B-T) from ``settings.seal_tsa_url``.
    ``state_dir`` is accepted for existing callers and unused (the key lives in KMS).
    """
    del state_dir
    if settings is None:
        from einvoice.settings import get_settings

        settings = get_settings()
    cache_key = (settings.seal_key_id, settings.seal_certificate_parameter, settings.endpoint_url,
                 settings.region, timestamp and settings.seal_tsa_url)
    with _lock:
        sealer = _sealers.get(cache_key)
        if sealer is None:
            from einvoice.adapters.aws.clients import client

            if timestamp and not settings.seal_tsa_url:
                raise SealConfigurationError("a time-stamp was requested but no TSA is configured (seal_tsa_url)")
            kms = client("kms", settings)
            chain = load_chain(settings)
            _check_key_matches(kms, settings.seal_key_id, chain[0])
            timestamper = None
            if timestamp:
                from pyhanko.sign.timestamps import HTTPTimeStamper

                timestamper = HTTPTimeStamper(settings.seal_tsa_url)
            sealer = _sealers[cache_key] = PadesSealer(kms_signer(settings.seal_key_id, chain, kms), timestamper)
        return sealer


def reset_sealers() -> None:
    """Forget the cached sealers (tests, and the local platform after bootstrap)."""
    with _lock:
        _sealers.clear()


def _load_roots(trust_roots: Iterable[Any]) -> list[Any]:
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    roots = []
    for root in trust_roots:
        if isinstance(root, asn1_x509.Certificate):
            roots.append(root)
            continue
        if isinstance(root, str) and "-----BEGIN" in root:
            root = root.encode()
        elif isinstance(root, (str, os.PathLike)):
            root = Path(root).read_bytes()
        if hasattr(root, "public_bytes"):  # cryptography certificate
            from cryptography.hazmat.primitives.serialization import Encoding

            root = root.public_bytes(Encoding.DER)
        data = bytes(root)
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        roots.append(asn1_x509.Certificate.load(data))
    return roots


def verify(pdf: bytes, trust_roots: Iterable[Any] = ()) -> dict[str, Any]:
    """Validate the ``Seal`` signature offline.

    Returns ``{"present", "field", "intact", "valid", "trusted", "coverage", "modified", "subfilter",
    "signer", "signing_time", "timestamp", "summary"}``; ``present`` False when there is no signature.
    """
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        sigs = list(reader.embedded_signatures)
    except Exception as exc:  # unreadable or truncated PDF
        return {"present": False, "intact": False, "valid": False, "trusted": False, "error": str(exc)}
    sig = next((s for s in sigs if s.field_name == FIELD_NAME), sigs[0] if sigs else None)
    if sig is None:
        return {"present": False, "intact": False, "valid": False, "trusted": False}
    vc = ValidationContext(trust_roots=_load_roots(trust_roots), allow_fetching=False)
    try:
        status = validate_pdf_signature(sig, vc)
    except Exception as exc:  # a damaged signature structure
        return {"present": True, "field": sig.field_name, "intact": False, "valid": False, "trusted": False,
                "error": f"{type(exc).__name__}: {exc}"}
    subfilter = sig.sig_object.get("/SubFilter")
    return {
        "present": True,
        "field": sig.field_name,
        "intact": bool(status.intact),
        "valid": bool(status.valid),
        "trusted": bool(status.trusted),
        "coverage": status.coverage.name if status.coverage else None,
        "modified": getattr(status, "modification_level", None).name
        if getattr(status, "modification_level", None) else None,
        "subfilter": str(subfilter) if subfilter is not None else None,
        "signer": status.signing_cert.subject.human_friendly if status.signing_cert else None,
        "signing_time": status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        "timestamp": bool(status.timestamp_validity),
        "summary": status.summary(),
    }
