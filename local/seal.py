"""The local seal identity: a KMS key created in moto and a certificate for it, stored where production reads it.

Production: an asymmetric KMS key (the CDK stack creates it) and the RGS*** seal certificate a
qualified CA issued for that key's public key, stored as a PEM chain in the SSM parameter
``settings.seal_certificate_parameter``. Locally, ``create_seal_identity`` does the same with a
local CA ("einvoice local seal CA (TEST)") made at bootstrap: the seal code (``einvoice.seal``) is
the same in both, and only the trust root differs. The CA certificate is returned (tests use it as
the trust root) and, when ``settings.state_dir`` is set, written to ``<state_dir>/seal-ca.pem``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from einvoice.settings import Settings

DEFAULT_KEY_SPEC = "ECC_NIST_P256"  # the stack's default too (infra.stack, context sealKeySpec)
CA_SUBJECT_CN = "einvoice local seal CA (TEST)"
SEAL_SUBJECT_CN = "einvoice seal (TEST)"


@dataclass(frozen=True)
class SealIdentity:
    key_id: str  # the KMS key's ARN
    chain_pem: str  # seal certificate, then the CA
    ca_pem: str  # the trust root


def create_seal_identity(settings: Settings, key_spec: str = DEFAULT_KEY_SPEC) -> SealIdentity:
    """Create (or reuse) the KMS key behind ``settings.seal_key_id`` and store its certificate chain."""
    from einvoice.adapters.aws.clients import client

    kms = client("kms", settings)
    alias = settings.seal_key_id if settings.seal_key_id.startswith("alias/") else None
    try:
        key_arn = kms.describe_key(KeyId=settings.seal_key_id)["KeyMetadata"]["Arn"]
    except kms.exceptions.NotFoundException:
        key_arn = kms.create_key(KeySpec=key_spec, KeyUsage="SIGN_VERIFY",
                                 Description="einvoice seal (local)")["KeyMetadata"]["Arn"]
        if alias:
            kms.create_alias(AliasName=alias, TargetKeyId=key_arn)
    public_key_der = kms.get_public_key(KeyId=key_arn)["PublicKey"]
    chain_pem, ca_pem = issue_chain(public_key_der)
    client("ssm", settings).put_parameter(Name=settings.seal_certificate_parameter, Value=chain_pem, Type="String",
                                          Tier="Advanced", Overwrite=True)
    if settings.state_dir:
        Path(settings.state_dir).mkdir(parents=True, exist_ok=True)
        (Path(settings.state_dir) / "seal-ca.pem").write_text(ca_pem)
    return SealIdentity(key_arn, chain_pem, ca_pem)


def issue_chain(public_key_der: bytes) -> tuple[str, str]:
    """(chain PEM: seal certificate + CA, CA PEM) for a DER SubjectPublicKeyInfo, from a fresh local CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "einvoice (TEST)"),
                          x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder().subject_name(name(CA_SUBJECT_CN)).issuer_name(name(CA_SUBJECT_CN))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    seal_public_key = serialization.load_der_public_key(bytes(public_key_der))
    seal = (
        x509.CertificateBuilder().subject_name(name(SEAL_SUBJECT_CN)).issuer_name(ca.subject)
        .public_key(seal_public_key).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1095))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(seal_public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM).decode()
    return seal.public_bytes(serialization.Encoding.PEM).decode() + ca_pem, ca_pem


def trust_root(settings: Settings) -> str:
    """The CA that issued the seal certificate (last certificate of the stored chain), PEM."""
    from asn1crypto import pem as asn1_pem

    from einvoice.adapters.aws.clients import client
    from einvoice.seal import parse_chain

    value = client("ssm", settings).get_parameter(Name=settings.seal_certificate_parameter)["Parameter"]["Value"]
    return asn1_pem.armor("CERTIFICATE", parse_chain(value)[-1].dump()).decode()
