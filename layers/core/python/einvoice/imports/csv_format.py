"""Reader of the client's company CSV (pure: no I/O, no AWS).

Columns, in this order: identifier type (SIREN|SIRET), identifier (digits), number of employees
(1-10, 11-20, 21-50, 51-250, 250-+), purchase invoices (0/1), purchase payment (0/1), sales
invoices (0/1), duplicate control (0/1). Header line optional (``header=None`` detects it).

Accepted as-is (what real files look like):
* ``;`` or ``,`` separator (detected on the first non-blank line: the one giving 7 fields,
  else the more frequent of the two);
* UTF-8 with or without BOM, Windows-1252 (detected on the first 64 KiB; a line that is not valid
  UTF-8 in a UTF-8 file is read as Windows-1252), LF or CRLF line ends;
* spaces around fields, double quotes around fields (``""`` inside quotes is one quote),
  identifiers with spaces / non-breaking spaces / dots / dashes (``641 989 900``), lower-case
  ``siren``, extra *empty* trailing fields (a trailing separator, as spreadsheets export).

Everything else is a per-line error ``{"line", "field", "reason"}`` (every failing field of the
line; field names are the JSON names: ``identifierType``, ``identifier``, ``employees``,
``purchaseInvoices``, ``purchasePayment``, ``salesInvoices``, ``duplicateControl``, and ``line``
when the line itself cannot be read). A line the reader cannot read never stops the file:
a stray or unterminated double quote, a carriage return or a control byte inside the line
(binary data), a line longer than ``MAX_LINE_BYTES`` or a cell longer than ``MAX_CELL_CHARS``
is reported on its own line number and the next line is read.

Error texts quote at most ``EXCERPT_CHARS`` characters of a cell, sanitised by ``excerpt``:
control characters replaced, and a leading spreadsheet formula character (``= + - @``, tab,
CR) neutralised with an apostrophe, so a report opened in a spreadsheet never runs a formula.

Line numbers (decision): ``line`` is the *physical* line number in the file, 1-based, the header
line included. Blank lines (empty, spaces only, or only separators such as ``;;;;;;``) are
skipped: they produce no row and no error and are not counted in ``linesRead``, but they do
occupy a line number, so a reported number always matches what an editor shows.

Streaming: ``iter_lines`` walks a ``bytes`` buffer from an offset without splitting it into a
list; the import reads the file by bounded byte ranges and keeps only one chunk's rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from einvoice.companies.models import EMPLOYEE_RANGES

FIELDS = (
    "identifierType",
    "identifier",
    "employees",
    "purchaseInvoices",
    "purchasePayment",
    "salesInvoices",
    "duplicateControl",
)
MAX_LINE_BYTES = 2048  # a valid line is under 100 bytes; longer lines are reported, never kept
MAX_CELL_CHARS = 100
EXCERPT_CHARS = 20
TOO_LONG = f"line longer than {MAX_LINE_BYTES} bytes"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
HEAD_BYTES = 65536

_EMPLOYEES = frozenset(EMPLOYEE_RANGES)
_BOOL = {"0": False, "1": True}
_IDENT_JUNK = str.maketrans("", "", " \t\u00a0\u202f.-")
_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


class LineError(NamedTuple):
    line: int
    field: str
    reason: str

    def to_json(self) -> dict:
        return {"line": self.line, "field": self.field, "reason": self.reason}


@dataclass(slots=True)
class Row:
    line: int
    identifier_type: str
    identifier: str
    employees: str
    purchase_invoices: bool
    purchase_payment: bool
    sales_invoices: bool
    duplicate_control: bool


@dataclass(frozen=True)
class Dialect:
    encoding: str  # "utf-8" | "cp1252"
    delimiter: str  # ";" | ","
    data_offset: int  # byte offset of the first data line (after BOM, leading blanks, header)
    data_line: int  # physical line number of the line *before* data_offset (0 at file start)
    has_header: bool


class UnreadableLine(ValueError):
    """The line cannot be split into fields (the message is the per-line reason)."""


def neutralise(text: str) -> str:
    """A cell a spreadsheet would evaluate as a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def excerpt(value: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable, formula-neutralised quote of a cell for an error text."""
    cut = value[: limit + 1]
    clean = "".join(c if c.isprintable() or c == " " else "?" for c in cut[:limit])
    if len(cut) > limit:
        clean += "…"
    return neutralise(clean)


def detect_encoding(head: bytes) -> tuple[str, int]:
    """(encoding, BOM length) from the first bytes of the file."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8", 3
    try:
        head.decode("utf-8")
        return "utf-8", 0
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(head) >= HEAD_BYTES:  # sequence cut at the boundary
            return "utf-8", 0
        return "cp1252", 0


def decode_line(raw: bytes, encoding: str) -> str:
    if encoding == "utf-8":
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")
    return raw.decode("cp1252", errors="replace")


def detect_delimiter(line: str) -> str:
    semi, comma = line.count(";"), line.count(",")
    if semi >= 6 and comma < 6:
        return ";"
    if comma >= 6 and semi < 6:
        return ","
    return ";" if semi >= comma else ","


def _split_quoted(text: str, delimiter: str) -> list[str]:
    """Fields of a line with double quotes: a field is either unquoted (no quote inside) or wholly
    quoted (``""`` is an escaped quote; only spaces may follow the closing quote)."""
    out: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] == " ":
            i += 1
        if i < n and text[i] == '"':
            value: list[str] = []
            i += 1
            while True:
                q = text.find('"', i)
                if q < 0:
                    raise UnreadableLine(f"unterminated double quote in field {len(out) + 1}")
                value.append(text[i:q])
                if q + 1 < n and text[q + 1] == '"':
                    value.append('"')
                    i = q + 2
                    continue
                i = q + 1
                break
            while i < n and text[i] == " ":
                i += 1
            if i < n and text[i] != delimiter:
                raise UnreadableLine(f"stray double quote in field {len(out) + 1}")
            out.append("".join(value))
        else:
            d = text.find(delimiter, i)
            end = n if d < 0 else d
            cell = text[i:end]
            if '"' in cell:
                raise UnreadableLine(f"stray double quote in field {len(out) + 1}")
            out.append(cell)
            i = end
        if i >= n:
            return out
        i += 1  # the delimiter
        if i == n:
            out.append("")
            return out


def split_fields(text: str, delimiter: str) -> list[str]:
    """The line's cells, stripped; trailing empty cells beyond 7 dropped. Raises ``UnreadableLine``."""
    parts = _split_quoted(text, delimiter) if '"' in text else text.split(delimiter)
    out = [p.strip() for p in parts]
    while len(out) > len(FIELDS) and out[-1] == "":
        out.pop()
    return out


def _is_blank(text: str, delimiter: str) -> bool:
    return not text.replace(delimiter, "").strip()


def looks_like_header(fields: list[str]) -> bool:
    if not fields:
        return False
    first = fields[0].upper()
    if first in ("SIREN", "SIRET"):
        return False
    second = fields[1].translate(_IDENT_JUNK) if len(fields) > 1 else ""
    return not second.isdigit()


def iter_lines(data: bytes, offset: int, line: int, end: int | None = None) -> Iterator[tuple[int, bytes, int]]:
    """(physical line number, raw line without EOL, offset after the line) from ``offset``.

    ``line`` is the number of the line before ``offset``. Stops at ``end`` (default: len(data));
    a last line without a newline is yielded only if it reaches the end of ``data``.
    """
    n = len(data) if end is None else end
    pos = offset
    find = data.find
    while pos < n:
        nl = find(b"\n", pos, n)
        if nl < 0:
            nxt = n
            raw = data[pos:n]
        else:
            nxt = nl + 1
            raw = data[pos:nl]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        line += 1
        yield line, raw, nxt
        pos = nxt


def detect_dialect(head: bytes, header: bool | None) -> Dialect:
    """Encoding, separator and where the data start (header skipped), from the file's first bytes."""
    encoding, bom = detect_encoding(head[:HEAD_BYTES])
    delimiter = ";"
    for lineno, raw, nxt in iter_lines(head, bom, 0):
        text = decode_line(raw[:MAX_LINE_BYTES], encoding)
        if not text.strip():
            continue
        delimiter = detect_delimiter(text)
        if _is_blank(text, delimiter):
            continue
        if header is None:
            try:
                is_header = looks_like_header(split_fields(text, delimiter))
            except UnreadableLine:
                is_header = False
        else:
            is_header = header
        if is_header:
            return Dialect(encoding, delimiter, nxt, lineno, True)
        return Dialect(encoding, delimiter, bom, 0, False)
    return Dialect(encoding, delimiter, bom, 0, bool(header))


def read_line(raw: bytes, line: int, encoding: str, delimiter: str) -> tuple[Row | None, list[LineError]] | None:
    """One physical line (without its end of line) -> ``None`` when blank, else (row, errors)."""
    if len(raw) > MAX_LINE_BYTES:
        return None, [LineError(line, "line", TOO_LONG)]
    bad = _CONTROL.search(raw)
    if bad:
        reason = "carriage return inside the line" if bad.group() == b"\r" else "binary data (control character)"
        return None, [LineError(line, "line", reason)]
    text = decode_line(raw, encoding)
    if _is_blank(text, delimiter):
        return None
    return parse_line(text, line, delimiter)


def parse_line(text: str, line: int, delimiter: str) -> tuple[Row | None, list[LineError]]:
    """One data line -> a valid ``Row`` or the list of its errors (format and option rules only;
    the directory and uniqueness rules need I/O and are checked by the import service)."""
    try:
        f = split_fields(text, delimiter)
    except UnreadableLine as exc:
        return None, [LineError(line, "line", str(exc))]
    if len(f) != 7:
        return None, [LineError(line, "line", f"expected 7 fields separated by '{delimiter}', found {len(f)}")]
    long = [i for i, cell in enumerate(f) if len(cell) > MAX_CELL_CHARS]
    if long:
        return None, [LineError(line, FIELDS[i], f"longer than {MAX_CELL_CHARS} characters") for i in long]
    errors: list[LineError] = []
    itype = f[0].upper()
    if itype not in ("SIREN", "SIRET"):
        errors.append(
            LineError(line, "identifierType", f"must be SIREN or SIRET, found '{excerpt(f[0])}'" if f[0] else "missing")
        )
    ident = f[1].translate(_IDENT_JUNK)
    if not ident:
        errors.append(LineError(line, "identifier", "missing"))
    elif itype in ("SIREN", "SIRET"):
        reason = _identifier_reason(itype, ident)
        if reason:
            errors.append(LineError(line, "identifier", reason))
    emp = f[2].replace(" ", "")
    if emp not in _EMPLOYEES:
        found = f"found '{excerpt(f[2])}'" if f[2] else "missing"
        errors.append(LineError(line, "employees", f"must be one of {', '.join(EMPLOYEE_RANGES)}, {found}"))
    flags = []
    for i in range(3, 7):
        v = _BOOL.get(f[i])
        if v is None:
            errors.append(LineError(line, FIELDS[i], f"must be 0 or 1, found '{excerpt(f[i])}'" if f[i] else "missing"))
        flags.append(v)
    pi, pp, si, dc = flags
    if pi is not None and si is not None and not pi and not si:
        errors.append(
            LineError(line, "purchaseInvoices", "at least one of purchase invoices or sales invoices must be 1")
        )
    if pp and pi is not None and not pi:
        errors.append(LineError(line, "purchasePayment", "purchase payment requires purchase invoices"))
    if errors:
        return None, errors
    return Row(line, itype, ident, emp, pi, pp, si, dc), []  # type: ignore[arg-type]


def _identifier_reason(itype: str, ident: str) -> str | None:
    from einvoice.companies.rules import check_identifier

    v = check_identifier(itype, ident)
    return v.reason if v else None


def parse_bytes(data: bytes, header: bool | None = None) -> Iterator[tuple[Row | None, list[LineError]]]:
    """Whole-file convenience (tests, benchmarks): every non-blank data line, in order."""
    d = detect_dialect(data[:HEAD_BYTES], header)
    for lineno, raw, _ in iter_lines(data, d.data_offset, d.data_line):
        out = read_line(raw, lineno, d.encoding, d.delimiter)
        if out is not None:
            yield out
