"""Every input limit of the public API, in one place, checked before any work is done.

The numbers below are the contract: README ("Limits") and the OpenAPI document (``maxLength``,
``maxItems``, ``pattern``, ``maximum``) are generated from or written against them, and
``tests/functional/api/test_hostile_inputs.py`` checks each one.

How to use (other areas):

* HTTP handlers get the body checks for free: ``ApiApp`` (``einvoice.api.http``) refuses a body
  over ``MAX_BODY_BYTES`` (413), a content type the manifest route does not list in
  ``Route.content_types`` (415) and unreadable JSON (400) before Powertools or the handler run.
* Text and numbers in Pydantic models: use the types of ``einvoice.types`` (``Line``, ``Text``,
  ``Dec``...), which take their bounds from here. Never write a bare ``str`` or ``Decimal`` in
  a boundary model.
* Raw JSON outside a route (a task payload, a stored document): ``parse_json(data)``, which
  raises ``BadRequestError`` (400) with a rule id in ``details``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from einvoice.errors import BadRequestError, ErrorDetail

# --- transport (API Gateway REST's own limits, emulated by the local server) -----------------------
MAX_BODY_BYTES = 10 * 1024 * 1024  #: request body (API Gateway REST payload limit): 413 above
MAX_URL_BYTES = 8 * 1024  #: request line (path + query string): 414 above
MAX_HEADER_BYTES = 10 * 1024  #: request line + header names and values (API Gateway: 10,240): 431 above
MAX_QUERY_VALUE_CHARS = 256  #: one query-string or path parameter value: 422 above

# --- JSON bodies ------------------------------------------------------------------------------------
MAX_JSON_BYTES = 2 * 1024 * 1024  #: a JSON body (an invoice of MAX_INVOICE_LINES lines fits): 413 above
MAX_JSON_DEPTH = 32  #: nesting of objects and arrays (an invoice needs 6): 400 above
MAX_JSON_NUMBER_CHARS = 40  #: characters of one JSON number literal: 400 above

# --- text fields ------------------------------------------------------------------------------------
MAX_LINE_CHARS = 512  #: single-line text (names, identifiers, codes, references): 422 above
MAX_TEXT_CHARS = 8000  #: multi-line text (notes, payment terms, descriptions): 422 above
MAX_ATTACHMENT_B64_CHARS = MAX_JSON_BYTES  #: BT-125 attached document, base64 (bounded by the JSON size)
#: C0 control characters refused in single-line text (422 naming the field)
LINE_FORBIDDEN = "".join(chr(c) for c in range(0x20))
#: C0 control characters refused in multi-line text (TAB, LF and CR allowed)
TEXT_FORBIDDEN = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r")

# --- decimals (amounts, quantities, prices, rates) ----------------------------------------------------
MAX_INTEGER_DIGITS = 15  #: digits before the decimal point
MAX_FRACTION_DIGITS = 10  #: digits after the decimal point; exponent notation (1E+5) is refused

# --- collections ------------------------------------------------------------------------------------
MAX_INVOICE_LINES = 2000  #: BG-25 lines of one invoice
MAX_LIST_ITEMS = 100  #: any other list of an invoice (notes, identifiers, allowances...)
MAX_DRAFT_ITEM_BYTES = 350 * 1024  #: a stored draft (DynamoDB item limit 400 KB, its idempotent answer too): 413

# --- search -----------------------------------------------------------------------------------------
MAX_SEARCH_CHARS = 100  #: ``name`` query of the company search
MAX_SEARCH_WORDS = 8  #: words of that query

# --- idempotency ------------------------------------------------------------------------------------
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"  #: ``Idempotency-Key`` header
IDEMPOTENCY_TTL_SECONDS = 24 * 3600  #: a key (and its stored answer) expires after 24 hours

LIMITS_TABLE = (
    ("Request body", f"{MAX_BODY_BYTES // (1024 * 1024)} MB (413)"),
    ("URL (path and query string)", f"{MAX_URL_BYTES // 1024} KB (414)"),
    ("Request line and headers", f"{MAX_HEADER_BYTES // 1024} KB (431)"),
    ("JSON body", f"{MAX_JSON_BYTES // (1024 * 1024)} MB (413), depth {MAX_JSON_DEPTH}, numbers of at most "
                  f"{MAX_JSON_NUMBER_CHARS} characters (400)"),
    ("Single-line text", f"{MAX_LINE_CHARS} characters, no C0 control character (422)"),
    ("Multi-line text", f"{MAX_TEXT_CHARS} characters, no C0 control character except TAB, LF, CR (422)"),
    ("Decimals", f"{MAX_INTEGER_DIGITS} digits before the point, {MAX_FRACTION_DIGITS} after, no exponent (422)"),
    ("Invoice lines", f"{MAX_INVOICE_LINES}; other lists {MAX_LIST_ITEMS} (422)"),
    ("Stored draft", f"{MAX_DRAFT_ITEM_BYTES // 1024} KB once computed (413)"),
    ("Company search", f"name of {MAX_SEARCH_CHARS} characters and {MAX_SEARCH_WORDS} words (422)"),
    ("Idempotency-Key", "1 to 128 characters of A-Z a-z 0-9 . _ : - (422); kept 24 hours"),
)


class ExponentDecimal(Decimal):
    """A JSON number written with an exponent (``1E+5``): kept apart so decimal fields refuse it."""

    __slots__ = ()


def _parse_int(text: str) -> int:
    if len(text) > MAX_JSON_NUMBER_CHARS:
        raise _number_error(text)
    return int(text)


def _parse_float(text: str) -> Decimal:
    if len(text) > MAX_JSON_NUMBER_CHARS:
        raise _number_error(text)
    if "e" in text or "E" in text:
        return ExponentDecimal(text)
    return Decimal(text)


def _parse_constant(text: str) -> Any:
    raise BadRequestError("The body is not JSON: NaN and Infinity are not JSON numbers",
                          [ErrorDetail(f"{text} is not a JSON number", field="body", rule="JSON_SYNTAX")])


def _number_error(text: str) -> BadRequestError:
    return BadRequestError(
        f"A JSON number is longer than {MAX_JSON_NUMBER_CHARS} characters",
        [ErrorDetail(f"number of {len(text)} characters", field="body", rule="JSON_NUMBER_LENGTH")],
    )


def _depth_ok(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
    return True


def decode_text(data: bytes | str) -> str:
    """UTF-8 text of a body (400 for anything else: UTF-16, a byte-order mark, invalid bytes)."""
    if isinstance(data, str):
        text = data
    else:
        if data[:3] == b"\xef\xbb\xbf" or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise BadRequestError("The body must be UTF-8 without a byte-order mark",
                                  [ErrorDetail("byte-order mark", field="body", rule="ENCODING")])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequestError("The body is not valid UTF-8",
                                  [ErrorDetail(f"invalid byte at offset {exc.start}", field="body",
                                               rule="ENCODING")]) from None
    if text[:1] == "\ufeff":
        raise BadRequestError("The body must be UTF-8 without a byte-order mark",
                              [ErrorDetail("byte-order mark", field="body", rule="ENCODING")])
    return text


def parse_json(data: bytes | str) -> Any:
    """Parse a JSON body within the limits above; ``BadRequestError`` (400) / ``PayloadTooLargeError`` (413).

    Numbers: integers stay ``int``, others become ``Decimal`` (exact), those written with an
    exponent become ``ExponentDecimal`` (refused by the decimal types with a 422 naming the field).
    """
    from einvoice.errors import PayloadTooLargeError

    if len(data) > MAX_JSON_BYTES:
        raise PayloadTooLargeError(f"A JSON body is limited to {MAX_JSON_BYTES // (1024 * 1024)} MB",
                                   [ErrorDetail(f"{len(data)} bytes", field="body", rule="JSON_SIZE")])
    text = decode_text(data)
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except RecursionError:
        value = None
    except json.JSONDecodeError as exc:
        raise BadRequestError("The body is not JSON",
                              [ErrorDetail(f"{exc.msg} at line {exc.lineno} column {exc.colno}", field="body",
                                           rule="JSON_SYNTAX")]) from None
    else:
        if _depth_ok(value):
            return value
    raise BadRequestError(f"JSON nesting is limited to {MAX_JSON_DEPTH} levels",
                          [ErrorDetail("too deep", field="body", rule="JSON_DEPTH")])


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """``"Application/JSON; charset=UTF-8"`` -> ``("application/json", {"charset": "utf-8"})``."""
    if not content_type:
        return "", {}
    parts = content_type.split(";")
    params: dict[str, str] = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip().strip('"').lower()
    return parts[0].strip().lower(), params
