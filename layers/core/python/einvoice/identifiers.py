"""French and EU business identifiers: SIREN, SIRET, VAT numbers.

- SIREN: 9 digits, Luhn check digit.
- SIRET: 14 digits (SIREN + 5-digit NIC), Luhn over the 14 digits, except La Poste
  (SIREN 356000000): its establishments' SIRETs only need a digit sum multiple of 5
  (the head office 35600000000048 is Luhn-valid anyway).
- VAT: French ``FR`` + 2-char key + SIREN (numeric key = (12 + 3 * (SIREN mod 97)) mod 97);
  other EU numbers through ``stdnum.eu.vat`` (imported lazily).

Validators return ``None`` when valid, or a short English reason (stable strings, usable
in messages); the ``is_valid_*`` helpers return booleans. Inputs are normalised with
:func:`normalize_identifier` (spaces, dots and dashes removed, upper-cased) first.
"""

from __future__ import annotations

import re

__all__ = [
    "LA_POSTE_SIREN",
    "normalize_identifier",
    "luhn_ok",
    "validate_siren",
    "validate_siret",
    "is_valid_siren",
    "is_valid_siret",
    "french_vat_key",
    "french_vat_from_siren",
    "validate_vat",
    "is_valid_vat",
]

LA_POSTE_SIREN = "356000000"
_SEPARATORS = re.compile(r"[\s.\-\u00a0\u202f]+")


def normalize_identifier(value: str | None) -> str:
    """Strip spaces (incl. non-breaking), dots and dashes; upper-case letters. ``None`` → ``""``."""
    if value is None:
        return ""
    return _SEPARATORS.sub("", str(value)).upper()


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check over a string of decimal digits (False if empty or non-digit)."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def validate_siren(value: str | None) -> str | None:
    """Return None if ``value`` is a valid SIREN, else the reason."""
    s = normalize_identifier(value)
    if not s:
        return "missing"
    if not (s.isascii() and s.isdigit()):
        return "must contain only digits"
    if len(s) != 9:
        return "must be 9 digits"
    if not luhn_ok(s):
        return "invalid check digit (Luhn)"
    return None


def validate_siret(value: str | None, siren: str | None = None) -> str | None:
    """Return None if ``value`` is a valid SIRET (optionally belonging to ``siren``), else the reason."""
    s = normalize_identifier(value)
    if not s:
        return "missing"
    if not (s.isascii() and s.isdigit()):
        return "must contain only digits"
    if len(s) != 14:
        return "must be 14 digits"
    if siren is not None and s[:9] != normalize_identifier(siren):
        return "does not start with the SIREN"
    if s[:9] == LA_POSTE_SIREN and not luhn_ok(s):
        # La Poste establishments: digit sum multiple of 5 instead of Luhn.
        if sum(ord(c) - 48 for c in s) % 5 != 0:
            return "invalid check (La Poste: digit sum must be a multiple of 5)"
        return None
    if not luhn_ok(s):
        return "invalid check digit (Luhn)"
    return None


def is_valid_siren(value: str | None) -> bool:
    return validate_siren(value) is None


def is_valid_siret(value: str | None) -> bool:
    return validate_siret(value) is None


def french_vat_key(siren: str) -> str:
    """Numeric VAT key of a SIREN: (12 + 3 * (SIREN mod 97)) mod 97, two digits."""
    return "%02d" % ((12 + 3 * (int(normalize_identifier(siren)) % 97)) % 97)


def french_vat_from_siren(siren: str) -> str:
    """``FR`` + key + SIREN (numeric key form)."""
    s = normalize_identifier(siren)
    return f"FR{french_vat_key(s)}{s}"


def validate_vat(value: str | None) -> str | None:
    """Return None if ``value`` is a plausible VAT number, else the reason.

    French numbers are checked strictly (format, SIREN Luhn when numeric key, key); EU
    numbers with ``stdnum.eu.vat``; other countries (``NO...MVA``, ``CH...``, GB...) only by
    shape (2-letter prefix + alphanumerics), since no checksum is defined here.
    """
    v = normalize_identifier(value)
    if not v:
        return "missing"
    if not re.fullmatch(r"[A-Z]{2}[A-Z0-9+*]{2,13}", v):
        return "must be a 2-letter country prefix followed by 2 to 13 letters or digits"
    country = v[:2]
    if country == "FR":
        from stdnum import exceptions as stdexc  # lazy
        from stdnum.fr import tva

        body = v[2:]
        if len(body) != 11 or not body[2:].isdigit():
            return "French VAT number must be FR + 2-character key + 9-digit SIREN"
        try:
            tva.validate(v)  # Luhn on the SIREN (except Monaco 000...), key check
        except stdexc.InvalidChecksum:
            if body[:2].isdigit() and body[:2] != french_vat_key(body[2:]):
                return "invalid French VAT key"
            return "the SIREN inside the French VAT number has an invalid check digit"
        except stdexc.ValidationError:
            return "invalid French VAT number"
        return None
    from stdnum.eu import vat as euvat  # lazy

    eu = {c.upper() for c in euvat.MEMBER_STATES} | {"EL", "XI"}
    if country in eu:
        return None if euvat.is_valid(v) else "invalid EU VAT number (checksum or format)"
    return None


def is_valid_vat(value: str | None) -> bool:
    return validate_vat(value) is None
