"""A software seal for tests that run without KMS (unit tests on fakes).

Production and the local platform seal through KMS (``einvoice.seal.default_sealer``); this builds
the same ``PadesSealer`` around a pyHanko ``SimpleSigner`` holding a throw-away key and a
self-signed certificate, so the code under test (PAdES and detached CAdES) is the production code.
"""

from __future__ import annotations

import datetime
from functools import lru_cache


@lru_cache(maxsize=1)
def software_sealer():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder_data
    from pyhanko.sign import signers

    from einvoice.seal import PadesSealer

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "einvoice test seal"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "einvoice tests")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="einvoice-test-seal-"))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    signer = signers.SimpleSigner(
        signing_cert=load_cert_from_pemder(str(folder / "cert.pem")),
        signing_key=load_private_key_from_pemder_data(key_pem, passphrase=None),
        cert_registry=None,
    )
    return PadesSealer(signer)
