"""Value parsers: amounts (FR/EN), dates (numeric and written), identifiers with their check digits."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

import pytest

from einvoice.ocr import normalize as n


@pytest.mark.parametrize("text,value", [
    ("1 234,56 €", "1234.56"), ("1\u00a0234,56\u00a0€", "1234.56"), ("$1,234.56", "1234.56"), ("1.234,56", "1234.56"),
    ("-9,32", "-9.32"), ("TVA 20 % : 9,34 €", "9.34"), ("€ 717,97", "717.97"), (".2 814,48 €", "2814.48"),
    ("Total 1'250.00 CHF", "1250.00"),
])
def test_amounts_in_french_and_english_formats(text, value):
    found = n.amounts_in(text)
    assert found and found[-1][0] == Decimal(value)


def test_not_amounts():
    assert n.amounts_in("20 %") == []
    assert n.amounts_in("12:30") == []
    assert n.amounts_in("tel 0171176167 siret 53084813400017") == []


@pytest.mark.parametrize("text,iso,mdy", [
    ("15/01/2026", "2026-01-15", False), ("2026-01-15", "2026-01-15", False), ("15.01.26", "2026-01-15", False),
    ("02 Juillet 2015", "2015-07-02", False), ("7. Mai 2014", "2014-05-07", False), ("August 3 , 2014", "2014-08-03", True),
    ("Jan 31, 2022", "2022-01-31", True), ("03/20/2023", "2023-03-20", False), ("04/05/2023", "2023-04-05", True),
    ("1er mars 2026", "2026-03-01", False), ("19 april 2014", "2014-04-19", False),
])
def test_dates_in_many_formats(text, iso, mdy):
    assert n.dates_in(text, prefer_mdy=mdy)[0][0] == _dt.date.fromisoformat(iso)


def test_identifiers_need_valid_check_digits():
    assert n.sirens_in("SIREN 552 100 554") == [("SIREN", "552100554", (6, 17))]
    assert n.sirens_in("SIREN 552 100 555") == []
    assert [k for k, *_ in n.sirens_in("Siret 53084813400017")] == ["SIRET"]
    # La Poste establishments: digit sum multiple of 5 instead of Luhn
    assert [v for _, v, _ in n.sirens_in("SIRET 356 000 000 00002")] == []
    assert n.sirens_in("SIRET 35600000049837")[0][1] == "35600000049837"
    # OCR look-alikes repaired inside digit runs, kept only when the key holds
    assert n.sirens_in("SIREN 552 1OO 554")[0][1] == "552100554"
    assert n.vat_numbers_in("TVA FR 96 552 100 554") == [("FR96552100554", (4, 21))]
    assert n.vat_numbers_in("TVA FR 97 552 100 554") == []
    assert n.vat_matches_siren("FR96552100554", "552100554")
    assert n.ibans_in("IBAN : FR76 3000 6000 0112 3456 7890 189 BIC AGRIFRPP")[0][0] == "FR7630006000011234567890189"
    assert n.ibans_in("IBAN FR76 3000 6000 0112 3456 7890 188") == []
    # look-alikes repaired only when mod 97 then holds
    assert n.ibans_in("IBAN FRO5 5915 4557 1784 4462 7692 827")[0][0] == "FR0559154557178444627692827"
    assert n.ibans_in("IBAN FROS 5915 4557 1784 4462 7692 827")[0][0] == "FR0559154557178444627692827"
    assert n.ibans_in("Bank Account: US1234567890") == []


def test_currency_and_rates():
    assert n.currency_in("29.99 € TTC") == "EUR" and n.currency_in("Rs 1939") == "INR" and n.currency_in("$4.11") == "USD"
    assert n.rates_in("TVA 5,5 % et 20%") == [Decimal("5.5"), Decimal("20")]
