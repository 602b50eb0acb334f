"""Value parsers: amounts (French and English formats), dates (numeric, written FR/EN/DE/NL months),
identifiers (SIREN, SIRET, VAT numbers, IBAN) with their check digits, currencies, rates.

Every parser takes raw text (as read) and returns the normalised value or ``None``: ISO dates,
amounts as ``Decimal`` (two decimals), identifiers without spaces. OCR look-alike repairs
(``O`` -> ``0``, ``l`` -> ``1``...) are applied only inside digit runs, and an identifier is only
returned when its check digits hold, so a repaired value is still a verified one.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from einvoice.identifiers import french_vat_key, luhn_ok, validate_siret, validate_vat


def fold(text: str) -> str:
    """Lower case, accents removed, typographic quotes/dashes unified (for label matching)."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = t.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    return t.lower()


# ---------------------------------------------------------------------------------- amounts
_CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}
_CURRENCY_CODES = ("EUR", "USD", "GBP", "CHF", "JPY", "INR", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN", "CZK")
_CURRENCY_WORDS = {"euro": "EUR", "euros": "EUR", "eur": "EUR", "rs": "INR", "rs.": "INR", "inr": "INR",
                   "usd": "USD", "dollars": "USD", "us dollars": "USD", "gbp": "GBP", "chf": "CHF"}
# a number with optional thousands separators (space, nbsp, narrow nbsp, dot, comma, apostrophe)
AMOUNT_RE = re.compile(
    r"(?<![\w.,])(-|\u2212)?\s?(?:[€$£₹]\s?)?"
    r"(\d{1,3}(?:[ \u00a0\u202f'.,]\d{3})+|\d+)([.,]\d{1,2})?(?!\d)(?:\s?[€$£₹])?(?![\w])"
)


_STRAY = re.compile(r"(^|\s)[.,'·`](\d)")


def parse_amount(text: str) -> Decimal | None:
    """The single amount in ``text`` (``1 234,56 €``, ``$1,234.56``, ``1.234,56``, ``-9,32``...)."""
    found = amounts_in(text)
    return found[0][0] if len(found) == 1 else None


def _to_decimal(sign: str | None, integer: str, frac: str | None) -> Decimal | None:
    digits = re.sub(r"[ \u00a0\u202f'.,]", "", integer)
    if frac:
        digits += "." + frac[1:]
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    if sign:
        value = -value
    return value.quantize(Decimal("0.01"))


def amounts_in(text: str) -> list[tuple[Decimal, tuple[int, int], bool]]:
    """Every amount in ``text``: (value, span, has_decimals_or_currency).

    Ambiguity rules: ``1,234`` / ``1.234`` (exactly three digits after one separator) is a
    thousands group, while ``12,34`` / ``12.34`` is a decimal part. Years, percentages, long digit
    runs (identifiers) and parts of dates are not amounts.
    """
    out: list[tuple[Decimal, tuple[int, int], bool]] = []
    text = _STRAY.sub(lambda m: m.group(1) + " " + m.group(2), text)  # ".2 814,48" read from a speck
    for m in AMOUNT_RE.finditer(text):
        sign, integer, frac = m.group(1), m.group(2), m.group(3)
        start, end = m.span()
        after = text[end:end + 2]
        before = text[max(0, start - 1):start]
        if after.strip().startswith("%") or (text[start:start + 1].isdigit() and before in ("/", ":", ".")) \
                or text[end:end + 1] in ("/", ":"):
            continue
        raw = m.group(0)
        has_money = bool(frac) or any(c in raw for c in "€$£₹")
        if not frac and len(re.sub(r"\D", "", integer)) > 9:
            continue  # identifiers, phone numbers
        if not frac and re.fullmatch(r"\d+[.,]\d{3}", integer) and integer.count(".") + integer.count(",") == 1:
            pass  # thousands group: 1,234 -> 1234
        value = _to_decimal(sign, integer, frac)
        if value is None:
            continue
        out.append((value, (start, end), has_money))
    return out


def currency_in(text: str) -> str | None:
    for sign, code in _CURRENCY_SIGNS.items():
        if sign in text:
            return code
    up = text.upper()
    for code in _CURRENCY_CODES:
        if re.search(rf"(?<![A-Z]){code}(?![A-Z])", up):
            return code
    low = fold(text)
    for word, code in _CURRENCY_WORDS.items():
        if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", low):
            return code
    return None


_RATE_RE = re.compile(r"(\d{1,2}(?:[.,]\d{1,3})?)\s?%")


def rates_in(text: str) -> list[Decimal]:
    out = []
    for m in _RATE_RE.finditer(text):
        try:
            value = Decimal(m.group(1).replace(",", "."))
        except InvalidOperation:
            continue
        if 0 <= value <= 30:
            out.append(value.normalize() if value != value.to_integral() else value.quantize(Decimal(1)))
    return out


# ---------------------------------------------------------------------------------- dates
MONTHS = {
    # French
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "novembre": 11,
    "decembre": 12,
    # English
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "october": 10,
    "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    # German / Dutch
    "januar": 1, "februar": 2, "marz": 3, "maart": 3, "juni": 6, "juli": 7, "augustus": 8, "oktober": 10,
    "dezember": 12, "januari": 1, "februari": 2, "mei": 5,
}
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,4})\s?([./\-])\s?(\d{1,2})\s?\2\s?(\d{2,4})(?!\d)")
_WORD_DATE_DMY = re.compile(r"(?<!\d)(\d{1,2})(?:er|st|nd|rd|th)?\.?\s+([a-z]{3,9})\.?,?\s+(\d{4})(?!\d)")
_WORD_DATE_MDY = re.compile(r"(?<![a-z])([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s?,?\s+(\d{4})(?!\d)")


def _mk(y: int, m: int, d: int) -> _dt.date | None:
    if y < 100:
        y += 2000
    if not (1990 <= y <= 2099):
        return None
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def month_first_votes(text: str) -> tuple[int, int]:
    """(day-first, month-first) evidence of the document's numeric dates: ``25/03/2026`` can only be
    day-first, ``03/25/2026`` only month-first; ``03/04/2026`` says nothing. One document uses one order."""
    dmy = mdy = 0
    for m in _NUMERIC_DATE.finditer(fold(text)):
        a, b, c = m.group(1), m.group(3), m.group(4)
        if len(a) == 4 or len(c) not in (2, 4):
            continue
        x, y = int(a), int(b)
        dmy += x > 12 and 1 <= y <= 12
        mdy += y > 12 and 1 <= x <= 12
    return dmy, mdy


def dates_in(text: str, *, prefer_mdy: bool = False) -> list[tuple[_dt.date, tuple[int, int]]]:
    """Every date in ``text`` with its span. Numeric dates are read day-first (French) unless the
    day-first reading is impossible, or ``prefer_mdy`` (an English document) and both are possible."""
    low = fold(text)
    out: list[tuple[_dt.date, tuple[int, int]]] = []
    for m in _NUMERIC_DATE.finditer(low):
        a, b, c = m.group(1), m.group(3), m.group(4)
        d: _dt.date | None = None
        if len(a) == 4:  # ISO 2026-01-15
            d = _mk(int(a), int(b), int(c)) if len(c) <= 2 else None
        elif len(c) in (2, 4):
            x, y, yr = int(a), int(b), int(c)
            dmy, mdy = _mk(yr, y, x), _mk(yr, x, y)
            if dmy and mdy and dmy != mdy:
                d = mdy if prefer_mdy else dmy
            else:
                d = dmy or mdy
        if d:
            out.append((d, m.span()))
    for m in _WORD_DATE_DMY.finditer(low):
        month = MONTHS.get(m.group(2).rstrip("."))
        if month:
            d = _mk(int(m.group(3)), month, int(m.group(1)))
            if d:
                out.append((d, m.span()))
    for m in _WORD_DATE_MDY.finditer(low):
        month = MONTHS.get(m.group(1))
        if month:
            d = _mk(int(m.group(3)), month, int(m.group(2)))
            if d:
                out.append((d, m.span()))
    out.sort(key=lambda x: x[1][0])
    # drop overlaps (keep the first)
    kept: list[tuple[_dt.date, tuple[int, int]]] = []
    for d, span in out:
        if kept and span[0] < kept[-1][1][1]:
            continue
        kept.append((d, span))
    return kept


# ---------------------------------------------------------------------------------- identifiers
_LOOKALIKE = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1", "i": "1",
                            "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6", "g": "9"})


def digits_repaired(text: str) -> str:
    """OCR look-alikes mapped to digits, separators dropped (for a run that must be numeric)."""
    return re.sub(r"[\s.\-\u00a0\u202f]", "", text.translate(_LOOKALIKE))


def is_siren(value: str) -> bool:
    return len(value) == 9 and value.isdigit() and luhn_ok(value)


def is_siret(value: str) -> bool:
    return len(value) == 14 and value.isdigit() and validate_siret(value) is None


_DIGIT_GROUPS = re.compile(r"(?<![\w])[0-9OoIl|SB][0-9OoIl|SB \u00a0.\-]{7,20}[0-9OoIl|SB](?![\w])")


def sirens_in(text: str) -> list[tuple[str, str, tuple[int, int]]]:
    """(kind, value, span) for every SIREN (9 digits) or SIRET (14 digits) with a valid key.

    Digit groups like ``552 100 554`` or ``530 848 134 00017`` are joined; RCS mentions
    (``RCS Paris B 530 848 134``) are found by the caller's label logic, this only checks keys.
    """
    out = []
    for m in _DIGIT_GROUPS.finditer(text):
        raw = m.group(0)
        if sum(ch.isdigit() for ch in raw) < 7:
            continue
        # the run may have swallowed a neighbour ("458 | N° SIRET": the bar read as a 1): groups
        # without a real digit are dropped from its ends before the keys are checked
        groups = [g for g in re.finditer(r"\S+", raw)]
        while groups and not any(ch.isdigit() for ch in groups[-1].group(0)):
            groups.pop()
        while groups and not any(ch.isdigit() for ch in groups[0].group(0)):
            groups.pop(0)
        if not groups:
            continue
        span = (m.start() + groups[0].start(), m.start() + groups[-1].end())
        d = digits_repaired(raw[groups[0].start():groups[-1].end()])
        if not d.isdigit():
            continue
        if len(d) == 14 and is_siret(d):
            out.append(("SIRET", d, span))
        elif len(d) == 9 and is_siren(d):
            out.append(("SIREN", d, span))
    return out


_EU_VAT_PREFIXES = frozenset({"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE",
                              "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI"})
_VAT_RE = re.compile(r"(?<![A-Z0-9])(FR|[A-Z]{2})[\s.\-]?([0-9A-Z]{2}[\s.\-]?(?:[0-9OIlSB][\s.\-]?){7,12})", re.I)


def vat_numbers_in(text: str) -> list[tuple[str, tuple[int, int]]]:
    """EU VAT numbers with valid check digits (French key verified), normalised (``FR60421938861``)."""
    out = []
    for m in _VAT_RE.finditer(text):
        country = m.group(1).upper()
        if country not in _EU_VAT_PREFIXES:
            continue
        body = re.sub(r"[\s.\-]", "", m.group(2)).upper()
        if country == "FR":
            key, siren = body[:2], digits_repaired(body[2:])[:9]
            key = key.translate(_LOOKALIKE) if key.upper() == key and any(c.isdigit() for c in key) else key
            candidate = f"FR{key}{siren}"
        else:
            candidate = country + body
        if validate_vat(candidate) is None and (country != "FR" or len(candidate) == 13):
            out.append((candidate, m.span()))
    return out


def vat_matches_siren(vat: str, siren: str) -> bool:
    return vat.startswith("FR") and vat[4:] == siren and (not vat[2:4].isdigit() or vat[2:4] == french_vat_key(siren))


_IBAN_RE = re.compile(r"(?<![A-Z0-9])([A-Z]{2}\s?[0-9OIlSBZ]{2}(?:[\s\-]?[A-Z0-9]{1,4}){3,8})", re.I)
_IBAN_LOOKALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CHECK_LOOKALIKE = str.maketrans({"O": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2"})


# countries issuing IBANs (ISO 13616 registry, the ones a French business meets)
IBAN_COUNTRIES = frozenset(
    "AD AE AT AZ BA BE BG BH BR CH CR CY CZ DE DK DO EE EG ES FI FO FR GB GE GI GL GR GT HR HU IE IL IQ IS IT JO KW KZ "
    "LB LC LI LT LU LV MC MD ME MK MR MT MU NL NO PK PL PS PT QA RO RS SA SC SE SI SK SM ST SV TL TN TR UA VA VG XK "
    "GP MQ GF RE YT NC PF PM TF WF BL MF".split())


def iban_ok(iban: str) -> bool:
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban) or iban[:2] not in IBAN_COUNTRIES:
        return False
    lengths = {"FR": 27, "DE": 22, "NL": 18, "BE": 16, "ES": 24, "IT": 27, "LU": 20, "CH": 21, "GB": 22,
               "MC": 27, "PT": 25, "AT": 20, "IE": 22}
    if iban[:2] in lengths and len(iban) != lengths[iban[:2]]:
        return False
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def ibans_in(text: str) -> list[tuple[str, tuple[int, int]]]:
    """IBANs whose mod-97 check holds (grouped by 4 or not)."""
    out = []
    for m in _IBAN_RE.finditer(text.upper()):
        raw = re.sub(r"[\s\-]", "", m.group(1))
        # the regex may swallow a following word: try the longest valid prefix
        for end in range(len(raw), 13, -1):
            cand = raw[:end]
            # "FRO5..." / "FROS..." read from "FR05...": the check digits are digits, the rest mostly
            repaired = cand[:2] + cand[2:4].translate(_CHECK_LOOKALIKE) + cand[4:].translate(_IBAN_LOOKALIKE)
            if iban_ok(cand) or iban_ok(repaired):
                out.append((cand if iban_ok(cand) else repaired, m.span()))
                break
    return out


def clean_number(text: str) -> str:
    """An invoice number as written, without surrounding punctuation or a leading ``#``/``N°``."""
    t = text.strip().strip(":;,.").strip()
    t = re.sub(r"^(?:n[°ºo]\.?|no\.?|#)\s*", "", t, flags=re.I).strip()
    return t.strip(":;,. ")
