"""The table of hostile and careless inputs per route (shared by the functional suite
``tests/functional/api/test_hostile_inputs.py`` and ``bench/hostile_bench.py``).

Built from what each manifest route is: authenticated, path parameters, body content types,
idempotent. ``expect`` is the set of acceptable statuses (``None``: any status below 500).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTRACT = {"code", "message", "details", "requestId"}
#: the Flow API's error body (einvoice.flows.errors); API Gateway's own answers keep CONTRACT there too
FLOW_CONTRACT = {"type", "status", "message", "details", "instance", "errorCode", "requestId", "acknowledgement"}
GATEWAY_STATUSES = {401, 403, 414, 429, 431}
SAMPLE_PATH = {"id": "co_0000000000000000", "siren": "641989900", "siret": "64198990000017",
               "flowId": "00000000-0000-5000-8000-000000000000"}


def contract(route, status: int) -> list[set[str]]:
    """The key sets an error body of ``route`` may have at ``status`` (a 413 of the Flow API is the gateway's
    body above 10 MB, the standard's FileSizeExceeded below)."""
    flow_api = route.auth == "oauth2" or route.path == "/v1/healthcheck"
    if not flow_api or status in GATEWAY_STATUSES:
        return [CONTRACT]
    flow = [FLOW_CONTRACT, FLOW_CONTRACT | {"flowId"}]
    return flow + [CONTRACT] if status == 413 else flow
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


def _multipart_cases(route) -> list[Case]:
    p, m = _path(route), route.method
    boundary = "hostile-boundary"
    ctype = {"content-type": f"multipart/form-data; boundary={boundary}"}

    def body(info: bytes | None, file: bytes | None) -> bytes:
        out = b""
        if info is not None:
            out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"flowInfo\"\r\n"
                    "Content-Type: application/json\r\n\r\n").encode() + info + b"\r\n"
        if file is not None:
            out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.xml\"\r\n"
                    "Content-Type: application/xml\r\n\r\n").encode() + file + b"\r\n"
        return out + f"--{boundary}--\r\n".encode()

    info = b'{"flowSyntax": "CII", "trackingId": "h-1"}'
    return [
        Case("empty body", m, p, {400}, ctype, b""),
        Case("body over 10 MB", m, p, {413}, ctype, b"x" * BIG),
        Case("wrong content type", m, p, {415}, {"content-type": "application/json"}, b"{}"),
        Case("multipart without boundary", m, p, {415}, {"content-type": "multipart/form-data"}, b"--x\r\n"),
        Case("not multipart at all", m, p, {400}, ctype, bytes(range(256)) * 40),
        Case("unterminated multipart", m, p, {400}, ctype, body(info, b"<a/>")[:-20]),
        Case("no file part", m, p, {400}, ctype, body(info, None)),
        Case("flowInfo not JSON", m, p, {400}, ctype, body(b"{oops", b"<a/>")),
        Case("flowInfo with an unknown syntax", m, p, {422}, ctype, body(b'{"flowSyntax": "PDF"}', b"<a/>")),
        Case("flowInfo with a control character", m, p, {422}, ctype,
             body(b'{"flowSyntax": "CII", "trackingId": "a\\u0001b"}', b"<a/>")),
        Case("empty file", m, p, {422}, ctype, body(info, b"")),
        Case("binary garbage", m, p, {422}, ctype, body(info, bytes(range(256)) * 40)),
        Case("XML bomb", m, p, {400, 422}, ctype, body(info, b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bb">'
                                                             b'<!ENTITY c "&b;&b;&b;&b;">]><a>&c;&c;</a>')),
        Case("truncated PDF as CII", m, p, {422}, ctype, body(info, b"%PDF-1.7\n1 0 obj <<")),
        Case("checksum mismatch", m, p, {422}, ctype,
             body(b'{"flowSyntax": "CII", "sha256": "' + b"0" * 64 + b'"}', b"<a/>")),
    ]


STRICT_INTEGERS = {
    ("POST", "/v1/flows/search"): (b'{"limit": true}', b'{"limit": "5"}', b'{"limit": 5.0}'),
    ("POST", "/v1/invoices/{id}/status"): (b'{"code": "205"}', b'{"code": true}', b'{"code": 205.0}'),
}


def cases(route) -> list[Case]:
    from einvoice.routing import MULTIPART

    m, p = route.method, _path(route)
    out: list[Case] = []
    if route.auth == "oauth2":
        out.append(Case("no token", m, p, {401}, auth=False))
        out.append(Case("forged token", m, p, {401}, {"Authorization": "Bearer e30.e30.c2ln"}, auth=False))
        out.append(Case("API key instead of a token", m, p, {401}, {"x-api-key": "nope-0000000000000000000000"},
                        auth=False))
    elif route.auth != "none":
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
    elif route.content_types == MULTIPART:
        out += _multipart_cases(route)
    elif route.content_types:
        out += _raw_cases(route)
    j = {"content-type": "application/json"}
    for body in STRICT_INTEGERS.get((m, route.path), ()):  # a JSON integer of the schema, given as bool or text
        out.append(Case(f"not a JSON integer: {body.decode()}", m, p, {422}, j, body))
    if route.idempotent:
        out.append(Case("malformed Idempotency-Key", m, p, {400, 404, 415, 422},
                        {"Idempotency-Key": "bad key with spaces"}, b"{}"))
    return out


def routes():
    from einvoice.routes import routes

    return [route for route, _fn in routes()]


