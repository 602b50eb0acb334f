"""The limits module's JSON parser and the bounded field types (pure, no AWS)."""

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from einvoice.api import limits
from einvoice.api.http import content_disposition
from einvoice.errors import BadRequestError, PayloadTooLargeError
from einvoice.types import Dec, Flag, Line, ShortText, Text, line


class Model(BaseModel):
    amount: Dec | None = None
    name: Line | None = None
    ref: ShortText | None = None
    note: Text | None = None
    flag: Flag | None = None
    code: line(9) | None = None


@pytest.mark.parametrize(("raw", "rule"), [
    (b'{"a": "\xff"}', "ENCODING"),
    (b"\xef\xbb\xbf{}", "ENCODING"),
    ("{}".encode("utf-16"), "ENCODING"),
    (b"[" * 5000 + b"]" * 5000, "JSON_DEPTH"),
    (b"[" * (limits.MAX_JSON_DEPTH + 1) + b"]" * (limits.MAX_JSON_DEPTH + 1), "JSON_DEPTH"),
    (b"1" * 5000, "JSON_NUMBER_LENGTH"),
    (b"[1." + b"5" * 100 + b"]", "JSON_NUMBER_LENGTH"),
    (b"[NaN]", "JSON_SYNTAX"),
    (b"[Infinity]", "JSON_SYNTAX"),
    (b'{"a": ', "JSON_SYNTAX"),
])
def test_parse_json_refuses_with_a_rule(raw, rule):
    with pytest.raises(BadRequestError) as info:
        limits.parse_json(raw)
    assert info.value.details[0].rule == rule


def test_parse_json_sizes_and_numbers():
    with pytest.raises(PayloadTooLargeError):
        limits.parse_json(b" " * (limits.MAX_JSON_BYTES + 1))
    value = limits.parse_json(b'{"i": 12, "d": 1.50, "e": 1E+999999}')
    assert value["i"] == 12 and value["d"] == Decimal("1.50")
    assert isinstance(value["e"], limits.ExponentDecimal)
    assert limits.parse_json(b"[" * limits.MAX_JSON_DEPTH + b"]" * limits.MAX_JSON_DEPTH)


@pytest.mark.parametrize("value", ["1E+5", "1e-3", 1e20, limits.parse_json(b"[1.0e1]")[0], "1" * 16,
                                   "0.12345678901", True, "NaN", "Infinity", float("nan")])
def test_decimals_refuse_exponents_and_extra_digits(value):
    with pytest.raises(ValidationError):
        Model(amount=value)


@pytest.mark.parametrize(("value", "expected"), [("19.99", "19.99"), (3, "3"), ("-0.5", "-0.5"), (0.1, "0.1"),
                                                 ("999999999999999.9999999999", "999999999999999.9999999999")])
def test_decimals_accept_plain_numbers(value, expected):
    assert Model(amount=value).amount == Decimal(expected)
    assert type(Model(amount=value).amount) is Decimal


def test_text_types():
    with pytest.raises(ValidationError) as info:
        Model(name="ACME\x00")
    assert info.value.errors()[0]["type"] == "control_character"
    assert "U+0000" in info.value.errors()[0]["msg"]
    with pytest.raises(ValidationError):
        Model(name="two\nlines")
    with pytest.raises(ValidationError):
        Model(name="x" * (limits.MAX_LINE_CHARS + 1))
    assert Model(ref="wrapped\nname").ref == "wrapped\nname"
    with pytest.raises(ValidationError):
        Model(ref="bell\x07")
    assert Model(note="a\r\n\tb").note == "a\r\n\tb"
    with pytest.raises(ValidationError):
        Model(note="x" * (limits.MAX_TEXT_CHARS + 1))
    with pytest.raises(ValidationError):
        Model(code="1234567890")
    assert Model.model_json_schema()["properties"]["code"]["anyOf"][0]["maxLength"] == 9


@pytest.mark.parametrize("value", ["true", "1", 1, "on", "yes", None.__class__])
def test_flags_are_json_booleans_only(value):
    with pytest.raises(ValidationError):
        Model(flag=value)
    assert Model(flag=True).flag is True and Model(flag=False).flag is False


def test_content_disposition_is_safe():
    header = content_disposition("F-1\r\nSet-Cookie: x=1/../é.pdf")
    assert "\r" not in header and "\n" not in header and "/" not in header.split(";")[1]
    assert header.startswith('attachment; filename="F-1Set-Cookie__x_1.._.pdf"')
    assert header.endswith("filename*=UTF-8''F-1Set-Cookie%3A%20x%3D1..%C3%A9.pdf")
    assert content_disposition("\x00\x01") == "attachment; filename=\"document\"; filename*=UTF-8''document"
