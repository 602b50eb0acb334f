"""The "Accord formel" PDF: its text (pdftotext) and its PAdES seal (pyHanko)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from einvoice import seal
from einvoice.enrolment import certificate
from einvoice.enrolment.model import CompanyResult, Enrolment, Signatory
from tests.unit.enrolment.enrolment_testing import pdf_text


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    directory = tmp_path_factory.mktemp("seal")
    key, cert = seal.ensure_test_identity(directory)
    return directory, key, cert


@pytest.fixture(scope="module")
def enrolment():
    return Enrolment(
        id="6f1c2d3e-0000-4000-8000-000000000001", account_id="a1", state="REGISTERING",
        signatory=Signatory("Jeanne", "Dupont-Lefèvre", "Gérante", "jeanne@example.fr", "+33 6 12 34 56 78"),
        created_at="2026-11-30T08:59:00.000Z", request_id="req-42abc", terms_accepted_at="2026-11-30T08:59:00.000Z",
        otp_validated_at="2026-11-30T09:03:07.123Z",
        companies=[CompanyResult("c1", "Alpha & Fils SAS", "732829320", None, "REGISTERED"),
                   CompanyResult("c2", "Béta [SARL] #1", "552100554", "55210055400013", "REGISTERED")],
    )


@pytest.fixture(scope="module")
def pdf(enrolment):
    data = certificate.CertificateData.from_enrolment(
        enrolment, enrolment.companies, issued_at=datetime(2026, 11, 30, 9, 3, 9, tzinfo=timezone.utc),
        platform_id="0238:PA-THIS")
    return certificate.render(data)


def test_certificate_text(pdf):
    text = " ".join(pdf_text(pdf).split())
    assert "Accord formel de désignation de la plateforme agréée de réception des factures" in text
    for expected in ("Alpha & Fils SAS", "Béta [SARL] #1", "732829320", "552100554", "55210055400013",
                     "Jeanne Dupont-Lefèvre", "Gérante", "jeanne@example.fr", "+33 6 12 34 56 78",
                     "req-42abc", "6f1c2d3e-0000-4000-8000-000000000001", "0238:PA-THIS",
                     "30/11/2026 à 10:03:09",  # date and time of the agreement (Paris)
                     "30/11/2026 à 10:03:07",  # OTP validation time
                     "Entreprises (2)"):
        assert expected in text, expected


def test_certificate_is_pdfa(pdf):
    assert pdf.startswith(b"%PDF-") and b"pdfaid:part" in pdf


def test_seal_is_pades_intact_and_trusted(pdf, identity):
    directory, key, cert = identity
    sealed = seal.PadesSealer(key, cert).seal(pdf, reason="Accord formel", location="FR")
    result = seal.verify(sealed, [cert.read_bytes()])
    assert result["present"] and result["field"] == "Seal"
    assert result["intact"] and result["valid"] and result["trusted"]
    assert result["coverage"] == "ENTIRE_FILE"
    assert result["subfilter"] == "/ETSI.CAdES.detached"
    assert "einvoice seal (TEST)" in result["signer"]
    # not trusted without the test root
    assert seal.verify(sealed, [])["trusted"] is False
    # the text survives sealing
    assert "Alpha & Fils SAS" in pdf_text(sealed)


def test_tampered_seal_is_not_intact(pdf, identity):
    directory, key, cert = identity
    sealed = bytearray(seal.PadesSealer(key, cert).seal(pdf))
    sealed[len(pdf) // 2] ^= 0x01  # one byte of the signed range
    result = seal.verify(bytes(sealed), [cert.read_bytes()])
    assert result["intact"] is False


def test_unsealed_pdf_has_no_seal(pdf):
    assert seal.verify(pdf, [])["present"] is False


def test_b_t_with_the_in_process_timestamper(pdf, identity):
    directory, key, cert = identity
    sealer = seal.default_sealer(state_dir=directory, timestamp=True)
    result = seal.verify(sealer.seal(pdf), [cert.read_bytes()])
    assert result["intact"] and result["trusted"] and result["timestamp"]


def test_test_identity_is_created_once(tmp_path):
    k1, c1 = seal.ensure_test_identity(tmp_path)
    before = c1.read_bytes()
    k2, c2 = seal.ensure_test_identity(tmp_path)
    assert (k1, c1) == (k2, c2) and c2.read_bytes() == before
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(before)
    assert cert.subject.rfc4514_string().startswith("CN=einvoice seal (TEST)")
    assert cert.public_key().key_size == 2048
    assert oct(k1.stat().st_mode & 0o777) == "0o600"


def test_kms_mode_is_refused_explicitly(tmp_path):
    from einvoice.settings import Settings

    with pytest.raises(NotImplementedError):
        seal.default_sealer(Settings(seal_cert_mode="kms"), state_dir=tmp_path)
