"""Company rules (pure) and the enrolment-state derivation."""

from __future__ import annotations

import pytest

from einvoice.companies import rules
from einvoice.companies.model import company_id, normalize_name, request_hash
from einvoice.companies.models import EnrolmentState, derive_enrolment_state
from einvoice.directory.models import Establishment, LegalUnit

SIREN = "641989900"
SIRET = "64198990000106"


@pytest.mark.parametrize(
    ("vat", "pi", "status", "expected"),
    [
        (False, True, None, EnrolmentState.NOT_APPLICABLE),
        (False, False, "DONE", EnrolmentState.NOT_APPLICABLE),
        (True, False, None, EnrolmentState.NOT_REQUIRED),
        (True, False, "MASS_PENDING", EnrolmentState.NOT_REQUIRED),
        (True, True, None, EnrolmentState.TO_DO),
        (True, True, "MASS_PENDING", EnrolmentState.TO_DO_MULTIPLE),
        (True, True, "DONE", EnrolmentState.DONE),
        (True, False, "DONE", EnrolmentState.DONE),  # an enrolment done stays visible with its certificate
    ],
)
def test_enrolment_state_derivation(vat, pi, status, expected):
    assert derive_enrolment_state(vat, pi, status) is expected


def test_option_rules():
    assert rules.check_options(True, False, False) == []
    assert rules.check_options(False, False, True) == []
    assert [v.rule for v in rules.check_options(False, False, False)] == ["COMPANY-01"]
    assert [v.rule for v in rules.check_options(False, True, True)] == ["COMPANY-02"]
    assert [v.rule for v in rules.check_options(False, True, False)] == ["COMPANY-01", "COMPANY-02"]
    assert all(v.reason_fr for v in rules.check_options(False, True, False))


def test_identifier_rules():
    assert rules.check_identifier("SIREN", SIREN) is None
    assert rules.check_identifier("SIRET", SIRET) is None
    assert rules.check_identifier("SIRET", "35600000000010") is None  # La Poste
    assert rules.check_identifier("SIRET", "35600000000011").rule == "COMPANY-04"
    assert "SIRET" in rules.check_identifier("SIREN", SIRET).reason
    assert "SIREN" in rules.check_identifier("SIRET", SIREN).reason
    assert rules.normalize(" 641 989\u00a0900 ") == SIREN


def _unit(status="active"):
    return LegalUnit(SIREN, "Menuiserie", True, status)


def _est(status="active", siren=SIREN):
    return Establishment(SIRET, siren, "Menuiserie", status=status)


def test_directory_rules():
    assert rules.check_directory("SIREN", SIREN, _unit(), None) is None
    assert rules.check_directory("SIREN", SIREN, None, None).rule == "COMPANY-05"
    assert rules.check_directory("SIREN", SIREN, _unit("closed"), None).rule == "COMPANY-06"
    assert rules.check_directory("SIRET", SIRET, _unit(), _est()) is None
    assert rules.check_directory("SIRET", SIRET, None, None).rule == "COMPANY-07"
    assert rules.check_directory("SIRET", SIRET, _unit("closed"), _est()).rule == "COMPANY-07"
    assert rules.check_directory("SIRET", SIRET, _unit(), None).rule == "COMPANY-05"
    assert rules.check_directory("SIRET", SIRET, _unit(), _est("closed")).rule == "COMPANY-06"
    assert rules.check_directory("SIRET", SIRET, _unit(), _est(siren="123456782")).rule == "COMPANY-07"


def test_name_normalisation_and_ids():
    assert normalize_name("  Électricité HÉRAULT-sci ") == "electricite herault sci"
    assert normalize_name("Cœur & Âme") == "coeur ame"
    assert company_id("a", SIREN) == company_id("a", SIREN) != company_id("b", SIREN)
    assert company_id("a", SIREN).startswith("co_")
    assert request_hash("SIREN", SIREN, "1-10", True, False, True, False) != request_hash(
        "SIREN", SIREN, "1-10", True, False, True, True
    )
