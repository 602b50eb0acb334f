"""The platform seal under moto's KMS: the same code as on AWS (key in KMS, chain in SSM), verified with pyHanko."""

from datetime import datetime, timezone
from io import BytesIO

import pytest

from einvoice import seal
from local.seal import create_seal_identity, trust_root


@pytest.fixture(scope="module")
def pdf():
    from einvoice.enrolment import certificate
    from einvoice.enrolment.model import CompanyResult, Enrolment, Signatory

    e = Enrolment(
        id="6f1c2d3e-0000-4000-8000-000000000001", account_id="a1", state="REGISTERING",
        signatory=Signatory("Jeanne", "Dupont", "Gérante", "jeanne@example.fr"),
        created_at="2026-11-30T08:59:00.000Z", request_id="req-42", terms_accepted_at="2026-11-30T08:59:00.000Z",
        otp_validated_at="2026-11-30T09:03:07.123Z",
        companies=[CompanyResult("c1", "Alpha & Fils SAS", "732829320", None, "REGISTERED")])
    return certificate.render(certificate.CertificateData.from_enrolment(
        e, e.companies, issued_at=datetime(2026, 11, 30, 9, 3, 9, tzinfo=timezone.utc), platform_id="0238:PA-THIS"))


def _pyhanko_status(sealed: bytes, root_pem: str):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    sig = PdfFileReader(BytesIO(sealed)).embedded_signatures[0]
    return validate_pdf_signature(sig, ValidationContext(trust_roots=seal.parse_chain(root_pem), allow_fetching=False))


def test_seal_under_kms_is_pades_intact_and_trusted_by_the_local_ca(aws, pdf):
    sealer = seal.default_sealer()
    sealed = sealer.seal(pdf, reason="Accord formel", location="FR")
    root = trust_root(aws.settings)
    status = _pyhanko_status(sealed, root)
    assert status.intact and status.valid and status.trusted
    assert "INTACT:TRUSTED" in status.summary()
    assert status.signing_cert.subject.native["common_name"] == "einvoice seal (TEST)"
    # the chain the validator built ends at the local CA
    assert [c.subject.native["common_name"] for c in seal.parse_chain(aws.seal_ca_pem)] == [
        "einvoice local seal CA (TEST)"]
    verdict = seal.verify(sealed, [root])
    assert verdict["coverage"] == "ENTIRE_FILE" and verdict["subfilter"] == "/ETSI.CAdES.detached"
    # the signature is the KMS key's: its public key is the certificate's
    from einvoice.adapters.aws.clients import client

    kms = client("kms")
    assert bytes(kms.get_public_key(KeyId=aws.settings.seal_key_id)["PublicKey"]) == status.signing_cert.public_key.dump()
    assert kms.describe_key(KeyId=aws.settings.seal_key_id)["KeyMetadata"]["KeySpec"] == "ECC_NIST_P256"
    # not trusted without the local CA; one flipped byte of the signed range breaks it
    assert seal.verify(sealed, [])["trusted"] is False
    tampered = bytearray(sealed)
    tampered[len(pdf) // 2] ^= 0x01
    assert seal.verify(bytes(tampered), [root])["intact"] is False


def test_rsa_3072_key_seals_the_same_way(aws, pdf):
    settings = aws.settings.model_copy(update={"seal_key_id": "alias/einvoice-seal-rsa",
                                               "seal_certificate_parameter": "/einvoice/seal/rsa-chain"})
    identity = create_seal_identity(settings, key_spec="RSA_3072")
    settings = settings.model_copy(update={"seal_key_id": identity.key_id})
    sealed = seal.default_sealer(settings).seal(pdf)
    status = _pyhanko_status(sealed, identity.ca_pem)
    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.public_key.algorithm == "rsa" and status.signing_cert.public_key.bit_size == 3072


def test_kms_is_called_in_raw_mode_over_the_signed_attributes(aws, pdf, monkeypatch):
    calls = []
    sealer = seal.default_sealer()
    original = sealer.signer.kms.sign

    def spy(**kwargs):
        calls.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(sealer.signer.kms, "sign", spy)
    sealer.seal(pdf)
    assert len(calls) == 1
    assert calls[0]["MessageType"] == "RAW" and calls[0]["SigningAlgorithm"] == "ECDSA_SHA_256"
    assert calls[0]["Message"][:1] == b"\x31" and len(calls[0]["Message"]) < seal.RAW_MESSAGE_LIMIT  # DER SET


def test_misconfigured_seal_fails_with_a_clear_error(aws, pdf):
    missing = aws.settings.model_copy(update={"seal_certificate_parameter": "/einvoice/seal/nothing-here"})
    with pytest.raises(seal.SealConfigurationError, match="does not exist"):
        seal.default_sealer(missing)
    # a chain stored for another key
    other = aws.settings.model_copy(update={"seal_key_id": "alias/other", "seal_certificate_parameter": "/other"})
    create_seal_identity(other)
    mismatched = aws.settings.model_copy(update={"seal_certificate_parameter": "/other"})
    with pytest.raises(seal.SealConfigurationError, match="does not certify"):
        seal.default_sealer(mismatched)
    with pytest.raises(seal.SealConfigurationError, match="no TSA"):
        seal.default_sealer(aws.settings, timestamp=True)
