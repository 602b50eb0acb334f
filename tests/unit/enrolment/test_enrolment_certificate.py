"""The "Accord formel" PDF: its text (pdftotext). Its PAdES seal under KMS: tests/functional/enrolment/test_seal_kms.py."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from einvoice import seal
from einvoice.enrolment import certificate
from einvoice.enrolment.model import CompanyResult, Enrolment, Signatory
from tests.unit.enrolment.enrolment_testing import pdf_text


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


def test_unsealed_pdf_has_no_seal(pdf):
    assert seal.verify(pdf, [])["present"] is False
