"""Hostile and careless inputs against every route of the manifest (local API Gateway, in-process).

For each route a table of inputs is built from what the route is (authenticated, path parameters,
query parameters, body content types); every answer must be in the error contract
(``{code, message, details, requestId}``, JSON, never 5xx) and a 4xx where the input is bad.
The counts per route are printed (``-s``), and the whole table is the figure quoted in
docs/decisions.md.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import pytest

from einvoice.api import limits

KEY = {"x-api-key": None}
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


def _cases(route) -> list[Case]:
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


def _routes():
    from einvoice.routes import routes

    return [route for route, _fn in routes()]


def _send(api, key: str, case: Case):
    headers = dict(case.headers)
    if case.auth:
        headers["x-api-key"] = key
    url = case.path + ("?" + case.query if case.query else "")
    return api.open(url, method=case.method, headers=headers, data=case.data)


def assert_contract(resp, what: str) -> None:
    assert resp.status_code < 500, f"{what}: {resp.status_code} {resp.data[:300]!r}"
    if resp.status_code >= 400:
        assert resp.headers.get("content-type", "").startswith("application/json"), what
        body = json.loads(resp.data)
        assert set(body) == CONTRACT, f"{what}: {body}"
        assert isinstance(body["details"], list) and body["requestId"], what
        text = resp.data.decode("utf-8", "replace")
        assert "Traceback" not in text and 'File "' not in text, what


def test_every_route_answers_hostile_inputs_within_the_contract(api, tenants, capsys):
    counts: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for route in _routes():
        for case in _cases(route):
            what = f"{route.method} {route.path} [{case.name}]"
            resp = _send(api, tenants["a"].value, case)
            assert_contract(resp, what)
            if case.expect is not None:
                assert resp.status_code in case.expect, f"{what}: {resp.status_code} {resp.data[:300]!r}"
            counts[f"{route.method} {route.path}"] += 1
            statuses[resp.status_code] += 1
    with capsys.disabled():
        print(f"\nhostile inputs: {sum(counts.values())} over {len(counts)} routes; statuses {dict(sorted(statuses.items()))}")
        for name, n in counts.items():
            print(f"  {n:3d}  {name}")
    assert len(counts) == len(_routes())


def test_unknown_routes_and_methods_answer_in_the_contract(api, tenants):
    for method, path in (("GET", "/v1/nope"), ("DELETE", "/v1/companies"), ("PUT", "/v1/me"), ("GET", "/")):
        resp = api.open(path, method=method, headers={"x-api-key": tenants["a"].value})
        if path == "/":
            assert resp.status_code == 200  # the local Swagger UI
            continue
        assert resp.status_code == 403
        assert_contract(resp, f"{method} {path}")
        assert resp.json["code"] == "MissingAuthenticationToken"


# --- field-level rules (422 naming the field) -----------------------------------------------------


@pytest.fixture
def seller(aws, tenants):
    from einvoice.accounts.service import resolve_tenant
    from einvoice.companies.service import create_company
    from einvoice.directory.loader import load_csv
    from tests.unit.invoicing.model_samples import SELLER_SIREN

    load_csv(("siren;siret;name;establishment;city;vat_liable;status;reception_platform\n"
              f"{SELLER_SIREN};{SELLER_SIREN}00074;Vendeur SAS;siège;Paris;1;active;\n").encode())
    body = {"identifierType": "SIREN", "identifier": SELLER_SIREN, "employees": "11-20", "purchaseInvoices": True,
            "purchasePayment": False, "salesInvoices": True, "duplicateControl": True}
    return create_company(resolve_tenant(tenants["a"].api_key_id), body)


def _invoice(seller, **changes):
    from tests.unit.invoicing.model_samples import sample_body

    invoice = sample_body()
    for path, value in changes.items():
        node = invoice
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[leaf] = value
    return {"companyId": seller.id, "invoice": invoice}


@pytest.mark.parametrize(("change", "value", "field"), [
    ("seller.name", "ACME\x00SAS", "body.invoice.seller.name"),
    ("seller.name", "x" * (limits.MAX_LINE_CHARS + 1), "body.invoice.seller.name"),
    ("number", "F\x1b[31m", "body.invoice.number"),
    ("lines.0.quantity", "1E+999999", "body.invoice.lines.0.quantity"),
    ("lines.0.netPrice", "1" * 16, "body.invoice.lines.0.netPrice"),
    ("lines.0.netPrice", "0.12345678901", "body.invoice.lines.0.netPrice"),
    ("lines.0.netPrice", True, "body.invoice.lines.0.netPrice"),
])
def test_invoice_fields_are_422_naming_the_field(api, tenants, seller, change, value, field):
    resp = api.post("/v1/invoices", json=_invoice(seller, **{change: value}), headers={"x-api-key": tenants["a"].value})
    assert resp.status_code == 422, resp.json
    assert_contract(resp, change)
    assert any(d.get("field", "").startswith(field) for d in resp.json["details"]), resp.json


def test_exponent_written_as_a_json_number_is_422(api, tenants, seller):
    raw = json.dumps(_invoice(seller)).replace('"quantity": "3"', '"quantity": 1E+999999', 1)
    assert "1E+999999" in raw
    resp = api.post("/v1/invoices", data=raw, headers={"x-api-key": tenants["a"].value,
                                                        "content-type": "application/json"})
    assert resp.status_code == 422, resp.json
    assert any(d.get("rule") == "decimal_exponent" for d in resp.json["details"]), resp.json


def test_too_many_lines_is_422(api, tenants, seller):
    body = _invoice(seller)
    body["invoice"]["lines"] = body["invoice"]["lines"] * (limits.MAX_INVOICE_LINES + 1)
    resp = api.post("/v1/invoices", json=body, headers={"x-api-key": tenants["a"].value})
    assert resp.status_code in (413, 422), resp.status_code
    assert_contract(resp, "lines")


def _cii(**replace: str) -> str:
    from einvoice.invoicing.convert import convert
    from tests.unit.invoicing.model_samples import sample_invoice

    return convert(sample_invoice(), to="cii").decode()


def test_document_number_with_crlf_gives_a_safe_file_name(api, tenants):
    """BT-1 comes from the document: the Content-Disposition is built from it safely (RFC 6266)."""
    text = _cii().replace(">F2026-0001<", ">F-1&#13;&#10;Set-Cookie: x=1<", 1)
    resp = api.post("/v1/conversions?to=cii", data=text.encode(),
                    headers={"x-api-key": tenants["a"].value, "content-type": "application/xml"})
    assert resp.status_code == 200, resp.data[:300]
    disposition = resp.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "Set-Cookie" not in resp.headers
    assert disposition.startswith('attachment; filename="F-1Set-Cookie__x_1.xml"; filename*=UTF-8\'\'F-1Set-Cookie')


@pytest.mark.parametrize("value", ["1", "on", "yes", 1, "true", None])
def test_booleans_accept_only_json_true_false(api, tenants, value):
    body = {"identifierType": "SIREN", "identifier": "641989900", "employees": "11-20", "purchaseInvoices": value,
            "purchasePayment": False, "salesInvoices": True, "duplicateControl": False}
    resp = api.post("/v1/companies", json=body, headers={"x-api-key": tenants["a"].value})
    assert resp.status_code == 422 and resp.json["details"][0]["field"] == "body.purchaseInvoices"
    enrol = {"companyIds": ["co_x"], "acceptTerms": value,
             "signatory": {"firstName": "J", "lastName": "D", "role": "G", "email": "j@example.fr"}}
    resp = api.post("/v1/enrolments", json=enrol, headers={"x-api-key": tenants["a"].value})
    assert resp.status_code == 422
    assert any(d["field"] == "body.acceptTerms" for d in resp.json["details"]), resp.json


def test_search_is_bounded(api, tenants):
    key = {"x-api-key": tenants["a"].value}
    words = api.get("/v1/companies?name=" + "+".join(["mot"] * (limits.MAX_SEARCH_WORDS + 1)), headers=key)
    assert words.status_code == 422 and words.json["details"][0]["field"] == "name"
    long = api.get("/v1/companies?name=" + "x" * (limits.MAX_SEARCH_CHARS + 1), headers=key)
    assert long.status_code == 422
    flag = api.get("/v1/companies?exact=yes", headers=key)
    assert flag.status_code == 422 and flag.json["details"][0]["field"] == "query.exact"


def test_conversion_of_a_huge_exponent_amount_is_refused(api, tenants):
    text = _cii()
    start = text.index("<ram:LineTotalAmount>") + len("<ram:LineTotalAmount>")
    end = text.index("<", start)
    hostile = (text[:start] + "1E+50000000" + text[end:]).encode()
    resp = api.post("/v1/conversions?to=ubl", data=hostile,
                    headers={"x-api-key": tenants["a"].value, "content-type": "application/xml"})
    assert resp.status_code in (400, 422), (resp.status_code, resp.data[:300])
    assert_contract(resp, "1E+50000000")
    assert len(resp.data) < 10_000


def test_a_draft_over_the_item_limit_is_413_and_nothing_is_stored(api, tenants, seller, aws):
    from einvoice.adapters.aws.clients import client

    body = _invoice(seller)
    line = body["invoice"]["lines"][0]
    body["invoice"]["lines"] = [dict(line, id=str(i), description="d" * 4000) for i in range(120)]
    resp = api.post("/v1/invoices", json=body, headers={"x-api-key": tenants["a"].value})
    assert resp.status_code == 413, resp.json
    assert resp.json["details"][0]["rule"] == "DRAFT_SIZE"
    items = client("dynamodb").scan(TableName=aws.settings.data_table)["Items"]
    assert not [i for i in items if i["sk"]["S"].startswith("INVOICE#")]


def test_a_malformed_code_is_422_and_burns_no_attempt():
    """`123456\\n`, signs, spaces, non-ASCII digits: refused by the model before the domain counts an attempt."""
    from pydantic import ValidationError

    from einvoice.enrolment import otp
    from einvoice.enrolment.models import OtpIn

    for bad in ("123456\n", " 123456", "+12345", "12345６", "１２３４５６", "1234567", 123456, "12 345"):
        with pytest.raises(ValidationError):
            OtpIn.model_validate({"code": bad})
        assert not otp.is_well_formed(bad)
    assert OtpIn.model_validate({"code": "012345"}).code == "012345"
