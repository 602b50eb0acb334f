"""The table of hostile and careless inputs per route (shared by the functional suite
``tests/functional/api/test_hostile_inputs.py`` and ``bench/hostile_bench.py``).

Built from what each manifest route is: authenticated, path parameters, body content types,
idempotent. ``expect`` is the set of acceptable statuses (``None``: any status below 500).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTRACT = {"code", "message", "details", "requestId"}
SAMPLE_PATH = {"id": "co_0000000000000000", "siren": "641989900", "siret": "64198990000017"}
BIG = 11 * 1024 * 1024


@dataclass
class Case:
    name: str
    method: str
    path: str
    expect: set[int] | None  # None: any status < 500 (the input is not necessarily bad)
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes | None = None
    query: str = ""
    auth: bool = True


def _path(route, value: str | None = None) -> str:
    out = route.path
    for name, sample in SAMPLE_PATH.items():
        out = out.replace("{" + name + "}", value if value is not None else sample)
    return out


def _json_cases(route) -> list[Case]:
    p = _path(route)
    j = {"content-type": "application/json"}
    m = route.method
    bad = {400}
    return [
        Case("invalid UTF-8", m, p, bad, j, b'{"a": "\xff\xfe"}'),
        Case("UTF-16 with BOM", m, p, bad, j, '{"a": 1}'.encode("utf-16")),
        Case("UTF-8 BOM", m, p, bad, j, b'\xef\xbb\xbf{"a": 1}'),
        Case("nesting 100,000 deep", m, p, bad, j, b"[" * 100_000 + b"]" * 100_000),
        Case("nesting 40 deep", m, p, bad, j, b'{"a":' * 40 + b"1" + b"}" * 40),
        Case("integer of 5,000 digits", m, p, bad, j, b'{"a": ' + b"9" * 5000 + b"}"),
        Case("NaN", m, p, bad, j, b'{"a": NaN}'),
        Case("truncated JSON", m, p, bad, j, b'{"a": [1, 2'),
        Case("JSON of 3 MB", m, p, {413}, j, b'{"a": "' + b"x" * (3 * 1024 * 1024) + b'"}'),
        Case("body over 10 MB", m, p, {413}, j, b" " * BIG),
        Case("array instead of object", m, p, {422}, j, b"[]"),
        Case("null body", m, p, {422}, j, b"null"),
        Case("text/plain", m, p, {415}, {"content-type": "text/plain"}, b'{"a": 1}'),
        Case("form-urlencoded", m, p, {415}, {"content-type": "application/x-www-form-urlencoded"}, b"a=1"),
        Case("multipart without boundary", m, p, {415}, {"content-type": "multipart/form-data"}, b"--x\r\n"),
        Case("JSON in UTF-16 charset", m, p, {415}, {"content-type": "application/json; charset=utf-16"}, b"{}"),
        Case("unknown fields", m, p, {400, 404, 409, 422}, j, b'{"zzz": 1, "__proto__": {"admin": true}}'),
    ]


def _raw_cases(route) -> list[Case]:
    p = _path(route)
    m = route.method
    ctype = {"content-type": route.content_types[0]}
    q = "to=ubl" if "conversions" in route.path else ""
    return [
        Case("empty body", m, p, {400}, ctype, b"", q),
        Case("body over 10 MB", m, p, {413}, ctype, b"x" * BIG, q),
        Case("wrong content type", m, p, {415}, {"content-type": "application/json"}, b"{}", q),
        Case("multipart without boundary", m, p, {415}, {"content-type": "multipart/form-data"}, b"--x\r\n", q),
        Case("binary garbage", m, p, {400, 422} if "imports" not in p else None, ctype, bytes(range(256)) * 40, q),
        Case("XML bomb", m, p, {400, 422} if "imports" not in p else None, ctype,
             b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbbbbbbbb"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">'
             b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]><a>&d;&d;&d;&d;</a>', q),
        Case("truncated PDF", m, p, {400, 422} if "imports" not in p else None, ctype, b"%PDF-1.7\n1 0 obj <<", q),
    ]


def cases(route) -> list[Case]:
    m, p = route.method, _path(route)
    out: list[Case] = []
    if route.auth != "none":
        out.append(Case("no API key", m, p, {403}, auth=False))
        out.append(Case("unknown API key", m, p, {403}, {"x-api-key": "nope-0000000000000000000000"}, auth=False))
    if "{" in route.path:
        out += [
            Case("NUL in the path", m, _path(route, "a%00b"), {422}),
            Case("newline in the path", m, _path(route, "a%0D%0Ab"), {422}),
            Case("path parameter of 300 characters", m, _path(route, "x" * 300), {422}),
            Case("path traversal", m, _path(route, "..%2F..%2Fetc%2Fpasswd"), {403, 404, 422}),
            Case("another tenant's id", m, _path(route, "co_ffffffffffffffffffffffff"), {400, 404, 415, 422}),
        ]
    out += [
        Case("control character in the query", m, p, {400, 404, 415, 422}, query="zz=%01"),
        Case("query value over the limit", m, p, {400, 404, 415, 422}, query="q=" + "x" * 300),
        Case("URL over 8 KB", m, p, {414}, query="q=" + "x" * 9000),
        Case("headers over 10 KB", m, p, {431}, {"x-filler": "y" * 11000}),
    ]
    if route.content_types == ("application/json",):
        out += _json_cases(route)
    elif route.content_types:
        out += _raw_cases(route)
    if route.idempotent:
        out.append(Case("malformed Idempotency-Key", m, p, {400, 404, 415, 422},
                        {"Idempotency-Key": "bad key with spaces"}, b"{}"))
    return out


def routes():
    from einvoice.routes import routes

    return [route for route, _fn in routes()]


