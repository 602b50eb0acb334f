"""SIREN / SIRET / VAT identifier validation (einvoice.identifiers)."""

from __future__ import annotations

import pytest

from einvoice.identifiers import (
    french_vat_from_siren,
    is_valid_siren,
    is_valid_siret,
    is_valid_vat,
    luhn_ok,
    normalize_identifier,
    validate_siren,
    validate_siret,
    validate_vat,
)


def test_luhn():
    assert luhn_ok("732829320")
    assert not luhn_ok("732829321")
    assert not luhn_ok("")
    assert not luhn_ok("12a")
    assert not luhn_ok("１２３")  # non-ASCII digits are refused


def test_normalize_identifier_strips_spaces_dots_dashes():
    assert normalize_identifier(" 732 829 320 ") == "732829320"
    assert normalize_identifier("732.829.320") == "732829320"
    assert normalize_identifier("fr 44-732829320") == "FR44732829320"
    assert normalize_identifier("732\u00a0829\u202f320") == "732829320"
    assert normalize_identifier(None) == ""


@pytest.mark.parametrize(
    "value, reason",
    [
        ("732829320", None),
        ("732 829 320", None),
        ("552100554", None),
        ("732829321", "invalid check digit (Luhn)"),
        ("73282932", "must be 9 digits"),
        ("73282932A", "must contain only digits"),
        ("", "missing"),
        (None, "missing"),
    ],
)
def test_validate_siren(value, reason):
    assert validate_siren(value) == reason
    assert is_valid_siren(value) is (reason is None)


@pytest.mark.parametrize(
    "value, siren, reason",
    [
        ("73282932000074", None, None),
        ("73282932000074", "732829320", None),
        ("73282932000075", None, "invalid check digit (Luhn)"),
        ("73282932000074", "552100554", "does not start with the SIREN"),
        ("7328293200007", None, "must be 14 digits"),
        # La Poste: establishments are not Luhn-valid, the digit sum must be a multiple of 5
        ("35600000049837", None, None),
        ("35600000000048", None, None),  # head office, Luhn-valid
        ("35600000049838", None, "invalid check (La Poste: digit sum must be a multiple of 5)"),
    ],
)
def test_validate_siret(value, siren, reason):
    assert validate_siret(value, siren) == reason


def test_la_poste_siret_is_not_luhn_valid_but_accepted():
    assert not luhn_ok("35600000049837")
    assert is_valid_siret("35600000049837")
    # the exception is limited to La Poste: same digit sum trick elsewhere is refused
    assert not is_valid_siret("73282932000070")


@pytest.mark.parametrize(
    "value, ok",
    [
        ("FR44732829320", True),
        ("FR 44 732 829 320", True),
        ("FR40303265045", True),
        ("FR45732829320", False),  # wrong key
        ("FR44732829321", False),  # SIREN not Luhn-valid
        ("FR4473282932", False),  # too short
        ("DE136695976", True),
        ("DE136695977", False),
        ("BE0403170701", True),
        ("NO123456789MVA", True),  # non-EU: shape only
        ("123456789", False),
        ("", False),
    ],
)
def test_vat_numbers(value, ok):
    assert is_valid_vat(value) is ok
    assert (validate_vat(value) is None) is ok


def test_french_vat_from_siren():
    assert french_vat_from_siren("732829320") == "FR44732829320"
    assert is_valid_vat(french_vat_from_siren("552100554"))
