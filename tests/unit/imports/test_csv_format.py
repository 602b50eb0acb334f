"""Client CSV reader: dialects, encodings, line numbering, every per-field rule, unreadable lines."""

from __future__ import annotations

import pytest

from einvoice.imports import csv_format as fmt

SIREN = "641989900"  # valid Luhn
SIRET = "64198990000106"
LA_POSTE = "35600000000010"


def rows_and_errors(data: bytes, header=None):
    rows, errors = [], []
    for row, errs in fmt.parse_bytes(data, header):
        if row:
            rows.append(row)
        errors.extend(errs)
    return rows, errors


def test_semicolon_utf8_header_crlf_spaces():
    data = (
        "Type d'identifiant;Identifiant;Effectif;Achats;Paiement;Ventes;Doublons\r\n"
        f" SIREN ; {SIREN[:3]} {SIREN[3:6]} {SIREN[6:]} ; 11-20 ;1;0; 1 ;1\r\n"
    ).encode()
    rows, errors = rows_and_errors(data)
    assert errors == []
    assert len(rows) == 1
    r = rows[0]
    assert (r.line, r.identifier_type, r.identifier, r.employees) == (2, "SIREN", SIREN, "11-20")
    assert (r.purchase_invoices, r.purchase_payment, r.sales_invoices, r.duplicate_control) == (True, False, True, True)


def test_comma_separator_no_header_detected():
    data = f"SIRET,{SIRET},1-10,1,1,0,0\nsiren,{SIREN},250-+,0,0,1,0\n".encode()
    rows, errors = rows_and_errors(data)
    assert errors == []
    assert [(r.line, r.identifier_type) for r in rows] == [(1, "SIRET"), (2, "SIREN")]
    assert fmt.detect_dialect(data, None).delimiter == ","


def test_utf8_bom_and_windows_1252():
    header = "Type;Identifiant;Effectif;Achats;Paiement;Ventes;Contrôle doublons\r\n"
    line = f"SIREN;{SIREN};21-50;1;0;0;0\r\n"
    bom = b"\xef\xbb\xbf" + (header + line).encode("utf-8")
    cp = (header + line).encode("cp1252")
    for data, enc in ((bom, "utf-8"), (cp, "cp1252")):
        d = fmt.detect_dialect(data, None)
        assert d.encoding == enc and d.has_header and d.data_line == 1
        rows, errors = rows_and_errors(data)
        assert errors == [] and [r.line for r in rows] == [2]


def test_blank_lines_are_skipped_but_keep_physical_numbering():
    data = f"\nSIREN;{SIREN};1-10;1;0;1;0\n\n   \n;;;;;;\nSIREN;123;1-10;1;0;1;0\n".encode()
    rows, errors = rows_and_errors(data, header=False)
    assert [r.line for r in rows] == [2]
    assert [(e.line, e.field) for e in errors] == [(6, "identifier")]


def test_header_line_counts_as_line_one_and_explicit_header_flag():
    data = f"a;b;c;d;e;f;g\nSIREN;{SIREN};1-10;1;0;1;0\n".encode()
    rows, errors = rows_and_errors(data, header=True)
    assert errors == [] and rows[0].line == 2
    # header=False: the header line is data, reported on line 1
    rows, errors = rows_and_errors(data, header=False)
    assert {e.line for e in errors} == {1} and rows[0].line == 2
    # header=True on a file without a header: its first line is skipped as the header
    rows, _ = rows_and_errors(f"SIREN;{SIREN};1-10;1;0;1;0\n".encode(), header=True)
    assert rows == []


def test_quotes_trailing_separator_and_la_poste():
    data = f'"SIRET";"{LA_POSTE}";"1-10";"1";"0";"1";"0";\n'.encode()
    rows, errors = rows_and_errors(data)
    assert errors == [] and rows[0].identifier == LA_POSTE


@pytest.mark.parametrize(
    ("line", "field", "reason_part"),
    [
        (f"SIREN;{SIREN};1-10;1;0;1", "line", "expected 7 fields"),
        (f"SIREN;{SIREN};1-10;1;0;1;0;x", "line", "found 8"),
        (f"SIRENE;{SIREN};1-10;1;0;1;0", "identifierType", "SIREN or SIRET"),
        (f";{SIREN};1-10;1;0;1;0", "identifierType", "missing"),
        ("SIREN;;1-10;1;0;1;0", "identifier", "missing"),
        ("SIREN;641989901;1-10;1;0;1;0", "identifier", "Luhn"),
        ("SIREN;64198990A;1-10;1;0;1;0", "identifier", "digits"),
        (f"SIREN;{SIRET};1-10;1;0;1;0", "identifier", "SIRET"),
        (f"SIRET;{SIREN};1-10;1;0;1;0", "identifier", "SIREN"),
        ("SIRET;35600000000011;1-10;1;0;1;0", "identifier", "La Poste"),
        (f"SIREN;{SIREN};10-20;1;0;1;0", "employees", "one of"),
        (f"SIREN;{SIREN};;1;0;1;0", "employees", "missing"),
        (f"SIREN;{SIREN};1-10;oui;0;1;0", "purchaseInvoices", "0 or 1"),
        (f"SIREN;{SIREN};1-10;1;2;1;0", "purchasePayment", "0 or 1"),
        (f"SIREN;{SIREN};1-10;1;0;;0", "salesInvoices", "missing"),
        (f"SIREN;{SIREN};1-10;1;0;1;true", "duplicateControl", "0 or 1"),
        (f"SIREN;{SIREN};1-10;0;0;0;0", "purchaseInvoices", "at least one"),
        (f"SIREN;{SIREN};1-10;0;1;1;0", "purchasePayment", "requires purchase invoices"),
    ],
)
def test_each_deviation_is_reported_with_line_field_reason(line, field, reason_part):
    data = ("identifier type;identifier;employees;pi;pp;si;dc\n" + line + "\n").encode()
    rows, errors = rows_and_errors(data, header=True)
    assert rows == []
    assert [e.field for e in errors] == [field]
    assert errors[0].line == 2
    assert reason_part in errors[0].reason
    assert set(errors[0].to_json()) == {"line", "field", "reason"}


def test_all_failing_fields_of_a_line_are_reported():
    _, errors = rows_and_errors(b"X;12;big;a;b;c;d\n", header=False)
    assert [e.field for e in errors] == [
        "identifierType",
        "employees",
        "purchaseInvoices",
        "purchasePayment",
        "salesInvoices",
        "duplicateControl",
    ]


def test_iter_lines_offsets_allow_resuming():
    data = b"a\r\nbb\n\nccc"
    got = list(fmt.iter_lines(data, 0, 0))
    assert [(n, raw) for n, raw, _ in got] == [(1, b"a"), (2, b"bb"), (3, b""), (4, b"ccc")]
    # resume after line 2
    resumed = list(fmt.iter_lines(data, got[1][2], 2))
    assert [(n, raw) for n, raw, _ in resumed] == [(3, b""), (4, b"ccc")]


def test_twenty_thousand_mixed_lines_validate_in_one_pass():
    """Volume behaviour only; the speed (target >= 20,000 lines per CPU second) is measured by
    ``make bench`` (bench/companies_bench.py), never asserted in tests."""
    from einvoice.directory.seed import luhn_check_digit

    lines = []
    for i in range(20000):
        body = f"{10000000 + i * 37:08d}"
        if i % 2:
            lines.append(f"SIREN;{body}{luhn_check_digit(body)};11-20;1;0;1;1")
        else:
            p = body + luhn_check_digit(body) + "0001"
            lines.append(f"SIRET; {p}{luhn_check_digit(p)} ;1-10;1;1;0;0")
    data = ("\r\n".join(lines) + "\r\n").encode()
    rows, errors = rows_and_errors(data, header=False)
    assert errors == [] and len(rows) == 20000


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        (f'SIREN;"{SIREN};1-10;1;0;1;0', "unterminated double quote in field 2"),
        (f'SIREN;{SIREN}";1-10;1;0;1;0', "stray double quote in field 2"),
        (f'"SIREN"x;{SIREN};1-10;1;0;1;0', "stray double quote in field 1"),
        (f"SIREN;{SIREN};1-10\r;1;0;1;0", "carriage return inside the line"),
        (f"SIREN;{SIREN};1-10;1;0;1;0\x00\x01\xff", "binary data"),
        ("SIREN;" + "1" * 3000 + ";1-10;1;0;1;0", "longer than 2048 bytes"),
    ],
)
def test_unreadable_lines_are_per_line_errors_and_the_next_lines_are_read(raw, reason_part):
    good = f"SIREN;{SIREN};1-10;1;0;1;0"
    data = (f"{good}\n{raw}\n{good}\n").encode("latin-1")
    rows, errors = rows_and_errors(data, header=False)
    assert [r.line for r in rows] == [1, 3]
    assert [(e.line, e.field) for e in errors] == [(2, "line")]
    assert reason_part in errors[0].reason


def test_oversize_cell_is_a_per_line_error_naming_the_field():
    _, errors = rows_and_errors(f"SIREN;{SIREN};{'1' * 150};1;0;1;0\n".encode(), header=False)
    assert [(e.line, e.field, e.reason) for e in errors] == [(1, "employees", "longer than 100 characters")]


def test_quoted_fields_with_escaped_quotes_and_delimiters_are_read_as_cells():
    rows, errors = rows_and_errors(f'"SIREN";"{SIREN}";"1-10";"1";"0";"1";"0"\n'.encode(), header=False)
    assert errors == [] and rows[0].identifier == SIREN
    _, errors = rows_and_errors(f'"SI""REN;";{SIREN};1-10;1;0;1;0\n'.encode(), header=False)
    assert [e.field for e in errors] == ["identifierType"]
    assert "found 'SI\"REN;'" in errors[0].reason


@pytest.mark.parametrize("formula", ["=HYPERLINK(1)", "+1+1", "-2+3", "@SUM(A1)"])
def test_error_texts_quote_a_short_neutralised_excerpt(formula):
    _, errors = rows_and_errors(f"{formula};{SIREN};1-10;1;0;1;0\n".encode(), header=False)
    reason = errors[0].reason
    assert "found ''" + formula[:5] in reason  # apostrophe before the formula character
    assert len(reason) < 80


def test_excerpt_is_short_printable_and_neutralised():
    assert fmt.excerpt("=" + "A" * 100) == "'=" + "A" * 19 + "…"
    assert fmt.excerpt("ab\x07\u200bcd") == "ab??cd"
    assert fmt.excerpt("1-10") == "1-10"
    assert fmt.neutralise("@x") == "'@x" and fmt.neutralise("x=1") == "x=1"
