"""PAdES sealing of platform documents with pyHanko (imported lazily).

* ``PadesSealer.seal(pdf)`` adds a PAdES signature (``/SubFilter /ETSI.CAdES.detached``) in the
  field ``Seal``: B-B by default, B-T when a timestamper is given (locally pyHanko's in-process
  ``DummyTimeStamper``; in AWS a real TSA).
* ``ensure_test_identity(state_dir)``: the local/test seal, an RSA-2048 self-signed certificate
  "einvoice seal (TEST)" made with ``cryptography`` once and cached in ``state_dir``.
* ``verify(pdf, trust_roots)`` -> ``{"intact", "valid", "trusted", "coverage", ...}``.

Production (``settings.seal_cert_mode == "kms"``) needs a qualified seal and a KMS/HSM signer:
not implemented here (``default_sealer`` refuses it explicitly).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

FIELD_NAME = "Seal"
TEST_SUBJECT_CN = "einvoice seal (TEST)"
IDENTITY_DIR = "seal-test"
KEY_FILE = "key.pem"
CERT_FILE = "cert.pem"

_lock = threading.Lock()


def ensure_test_identity(state_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Create (once) and return ``(key_path, cert_path)`` of the self-signed test seal.

    The pair is written in a temporary directory renamed into place in one step, so concurrent
    processes sharing ``state_dir`` all end up with the same key and certificate.
    """
    directory = Path(state_dir)
    final = directory / IDENTITY_DIR
    key_path, cert_path = final / KEY_FILE, final / CERT_FILE
    with _lock:
        if key_path.exists() and cert_path.exists():
            return key_path, cert_path
        directory.mkdir(parents=True, exist_ok=True)
        key_pem, cert_pem = _new_identity()
        tmp = Path(tempfile.mkdtemp(dir=directory, prefix=".seal-"))
        for name, data in ((KEY_FILE, key_pem), (CERT_FILE, cert_pem)):
            fd = os.open(tmp / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        try:
            os.rename(tmp, final)  # atomic; fails if another process won the race
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not (key_path.exists() and cert_path.exists()):
                raise
        return key_path, cert_path


def _new_identity() -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "einvoice (TEST)"),
        x509.NameAttribute(NameOID.COMMON_NAME, TEST_SUBJECT_CN),
    ])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


class PadesSealer:
    """``Sealer``: PAdES B-B (or B-T with ``timestamper``) in the signature field ``Seal``."""

    def __init__(self, key_path: str | os.PathLike[str], cert_path: str | os.PathLike[str],
                 timestamper: Any = None) -> None:
        self.key_path = Path(key_path)
        self.cert_path = Path(cert_path)
        self.timestamper = timestamper
        self._signer: Any = None
        self.certificate_pem = self.cert_path.read_bytes()  # the certificate this sealer signs with

    def _get_signer(self) -> Any:
        if self._signer is None:
            from pyhanko.sign import signers

            self._signer = signers.SimpleSigner.load(str(self.key_path), str(self.cert_path))
            if self._signer is None:
                raise RuntimeError("could not load the seal key/certificate")
        return self._signer

    def seal(self, pdf: bytes, *, reason: str = "", location: str = "") -> bytes:
        from io import BytesIO

        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason or None,
            location=location or None,
        )
        out = signers.sign_pdf(writer, meta, signer=self._get_signer(), timestamper=self.timestamper)
        return out.getvalue()


def dummy_timestamper(state_dir: str | os.PathLike[str]) -> Any:
    """pyHanko's in-process TSA (no network) signing with the test identity: for local B-T only."""
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    key_path, cert_path = ensure_test_identity(state_dir)
    cert: asn1_x509.Certificate = load_cert_from_pemder(str(cert_path))
    key: keys.PrivateKeyInfo = load_private_key_from_pemder(str(key_path), passphrase=None)
    return DummyTimeStamper(tsa_cert=cert, tsa_key=key)


def default_sealer(settings: Any = None, *, state_dir: str | os.PathLike[str] | None = None,
                   timestamp: bool = False) -> PadesSealer:
    if settings is None:
        from einvoice.settings import get_settings

        settings = get_settings()
    if getattr(settings, "seal_cert_mode", "test") != "test":
        raise NotImplementedError("seal_cert_mode=kms: the production seal signer is not implemented yet")
    directory = Path(state_dir) if state_dir else Path(tempfile.gettempdir()) / "einvoice-seal"
    key_path, cert_path = ensure_test_identity(directory)
    return PadesSealer(key_path, cert_path, dummy_timestamper(directory) if timestamp else None)


def _load_roots(trust_roots: Iterable[Any]) -> list[Any]:
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    roots = []
    for root in trust_roots:
        if isinstance(root, asn1_x509.Certificate):
            roots.append(root)
            continue
        if isinstance(root, (str, os.PathLike)):
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
