"""Bounded field types for every boundary model (API bodies, the EN 16931 model, task payloads).

How to use: annotate fields with these instead of ``str`` / ``Decimal`` / ``bool``::

    from einvoice.types import Dec, Flag, Line, Text

    class Thing(BaseModel):
        name: Line                        # one line, <= 512 chars, no C0 control (422 naming the field)
        ref: ShortText                    # <= 512 chars, TAB/LF/CR allowed (fields of an invoice)
        note: Text | None = None          # multi-line, <= 8,000 chars, TAB/LF/CR allowed
        amount: Dec                       # <= 15 + 10 digits, no exponent ("1E+5" refused)
        consent: Flag                     # JSON true/false only ("1", "on", 1 refused)
        siren: line(9)                    # a tighter bound: line(n) (a Field(max_length=n) on a Line
                                          # field would be silently overridden by the type's 512)

Each type carries its bounds into the JSON schema (``maxLength``, ``pattern``...), so the OpenAPI
document states what the API enforces. The numbers live in ``einvoice.api.limits``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, WithJsonSchema
from pydantic_core import PydanticCustomError

from einvoice.api import limits as L

_LINE_TABLE = {ord(c): None for c in L.LINE_FORBIDDEN}
_TEXT_TABLE = {ord(c): None for c in L.TEXT_FORBIDDEN}
#: JSON-schema patterns equivalent to the control-character checks
LINE_PATTERN = "^[^\\u0000-\\u001f]*$"
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*$"


def _no_controls(table: dict[int, None], allowed: str):
    def check(value: str) -> str:
        if len(value.translate(table)) != len(value):
            bad = next(c for c in value if ord(c) in table)
            raise PydanticCustomError(
                "control_character",
                "must not contain control characters (U+0000 to U+001F{allowed}); found U+{code}",
                {"allowed": allowed, "code": f"{ord(bad):04X}"},
            )
        return value

    return check


def line(max_length: int = L.MAX_LINE_CHARS) -> Any:
    """Single-line text of at most ``max_length`` characters, no C0 control character."""
    return Annotated[
        str,
        Field(max_length=max_length, json_schema_extra={"pattern": LINE_PATTERN}),
        AfterValidator(_no_controls(_LINE_TABLE, "")),
    ]


Line = line()
"""Single-line text: at most ``MAX_LINE_CHARS`` characters, no C0 control character."""

ShortText = Annotated[
    str,
    Field(max_length=L.MAX_LINE_CHARS, json_schema_extra={"pattern": TEXT_PATTERN}),
    AfterValidator(_no_controls(_TEXT_TABLE, " except TAB, LF, CR")),
]
"""Short text of a document (names, identifiers, codes, references): at most ``MAX_LINE_CHARS``
characters, no C0 control character except TAB, LF, CR (XML 1.0 cannot carry the others, and
real documents do wrap names)."""

Text = Annotated[
    str,
    Field(max_length=L.MAX_TEXT_CHARS, json_schema_extra={"pattern": TEXT_PATTERN}),
    AfterValidator(_no_controls(_TEXT_TABLE, " except TAB, LF, CR")),
]
"""Multi-line text: at most ``MAX_TEXT_CHARS`` characters; TAB, LF and CR are the only C0 allowed."""

Base64 = Annotated[
    str,
    Field(max_length=L.MAX_ATTACHMENT_B64_CHARS, pattern=r"^[A-Za-z0-9+/\r\n]*={0,2}\s*$"),
]
"""Base64 text (an attached document)."""

Flag = StrictBool
"""A boolean of the public JSON API: only JSON ``true`` / ``false``."""

_DECIMAL_STRING = (
    f"^[+-]?[0-9]{{1,{L.MAX_INTEGER_DIGITS}}}(\\.[0-9]{{1,{L.MAX_FRACTION_DIGITS}}})?$"
)
_DECIMAL_LIMIT = Decimal(10) ** L.MAX_INTEGER_DIGITS


def _decimal_in(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "must be a decimal number")
    if isinstance(value, (L.ExponentDecimal,)) or (isinstance(value, str) and ("e" in value or "E" in value)):
        raise PydanticCustomError("decimal_exponent", "exponent notation is not accepted; write the number in full")
    if isinstance(value, float):
        text = repr(value)
        if "e" in text or "n" in text:  # 1e+20, nan, inf
            raise PydanticCustomError("decimal_exponent", "exponent notation is not accepted; write the number in full")
        return Decimal(text)
    if isinstance(value, str) and len(value) > L.MAX_INTEGER_DIGITS + L.MAX_FRACTION_DIGITS + 2:
        raise _digits_error()
    return value


def _digits_error() -> PydanticCustomError:
    return PydanticCustomError(
        "decimal_digits",
        "at most {integer} digits before the decimal point and {fraction} after",
        {"integer": L.MAX_INTEGER_DIGITS, "fraction": L.MAX_FRACTION_DIGITS},
    )


def _decimal_out(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise PydanticCustomError("decimal_type", "must be a finite decimal number")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if exponent > 0:
        if value != 0:
            raise PydanticCustomError("decimal_exponent", "exponent notation is not accepted; write the number in full")
        value, exponent = Decimal(0), 0
    if -exponent > L.MAX_FRACTION_DIGITS or abs(value) >= _DECIMAL_LIMIT:
        raise _digits_error()
    return Decimal(value)  # a plain Decimal, never the ExponentDecimal marker


Dec = Annotated[
    Decimal,
    BeforeValidator(_decimal_in),
    AfterValidator(_decimal_out),
    WithJsonSchema({
        "anyOf": [
            {"type": "number", "exclusiveMaximum": 10**L.MAX_INTEGER_DIGITS,
             "exclusiveMinimum": -(10**L.MAX_INTEGER_DIGITS)},
            {"type": "string", "pattern": _DECIMAL_STRING},
        ],
        "description": f"Decimal: at most {L.MAX_INTEGER_DIGITS} digits before the point and "
                       f"{L.MAX_FRACTION_DIGITS} after, no exponent",
    }, mode="validation"),
]
"""Amount, quantity, price or rate: exact decimal with bounded digits and no exponent notation."""
