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

import pytest

from einvoice.api import limits
from tests.hostile_cases import CONTRACT, Case, cases, contract, routes


@pytest.fixture
def bearer(api, aws):
    """A token of a Flow API client (a platform), from the local token endpoint."""
    from einvoice.adapters.aws.clients import table
    from einvoice.flows.clients import PLATFORM, TableClients, new_client

    client, secret = new_client(PLATFORM, "Hostile peer", platform_id="0238:PA-0666")
    TableClients(table(aws.settings.tenancy_table, aws.settings)).put(client)
    resp = api.post("/oauth2/token", data={"grant_type": "client_credentials", "client_id": client.client_id,
                                           "client_secret": secret})
    assert resp.status_code == 200, resp.data
    return resp.json["access_token"]


def _send(api, key: str, case: Case, route=None, token: str | None = None):
    headers = dict(case.headers)
    if case.auth and route is not None and route.auth == "oauth2":
        headers["Authorization"] = f"Bearer {token}"
    elif case.auth:
        headers["x-api-key"] = key
    url = case.path + ("?" + case.query if case.query else "")
    return api.open(url, method=case.method, headers=headers, data=case.data)


def assert_contract(resp, what: str, route=None) -> None:
    assert resp.status_code < 500, f"{what}: {resp.status_code} {resp.data[:300]!r}"
    if resp.status_code >= 400:
        assert resp.headers.get("content-type", "").startswith("application/json"), what
        body = json.loads(resp.data)
        accepted = contract(route, resp.status_code) if route is not None else [CONTRACT]
        assert set(body) in accepted, f"{what}: {body}"
        assert body["requestId"], what
        if set(body) == CONTRACT:
            assert isinstance(body["details"], list), what
        else:
            assert isinstance(body["details"], str) and body["acknowledgement"]["details"], what
        text = resp.data.decode("utf-8", "replace")
        assert "Traceback" not in text and 'File "' not in text, what


def test_every_route_answers_hostile_inputs_within_the_contract(api, tenants, bearer, capsys):
    counts: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for route in routes():
        for case in cases(route):
            what = f"{route.method} {route.path} [{case.name}]"
            resp = _send(api, tenants["a"].value, case, route, bearer)
            assert_contract(resp, what, route)
            if case.expect is not None:
                assert resp.status_code in case.expect, f"{what}: {resp.status_code} {resp.data[:300]!r}"
            counts[f"{route.method} {route.path}"] += 1
            statuses[resp.status_code] += 1
    with capsys.disabled():
        print(f"\nhostile inputs: {sum(counts.values())} over {len(counts)} routes; statuses {dict(sorted(statuses.items()))}")
        for name, n in counts.items():
            print(f"  {n:3d}  {name}")
    assert len(counts) == len(routes())


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


def test_amounts_too_large_to_compute_are_422(api, tenants, seller):
    body = _invoice(seller, **{"lines.0.quantity": "999999999999999.9999999999",
                               "lines.0.netPrice": "999999999999999.9999999999"})
    resp = api.post("/v1/invoices", json=body, headers={"x-api-key": tenants["a"].value})
    assert resp.status_code == 422, resp.json
    assert resp.json["details"][0]["rule"] == "AMOUNT_RANGE"


def test_csv_imports_keep_their_own_encoding_but_refuse_json(api, tenants):
    headers = {"x-api-key": tenants["a"].value, "content-type": "text/csv; charset=windows-1252"}
    csv = "SIREN;641989900;1-10;1;0;1;0;société\n".encode("cp1252")
    assert api.post("/v1/companies/imports?header=false", data=csv, headers=headers).status_code == 202
    for body in (b'[["SIREN", "641989900"]]', b'{"identifier": "641989900"}', b"null", b"   "):
        resp = api.post("/v1/companies/imports?header=false", data=body, headers=headers)
        assert resp.status_code == 400, (body, resp.json)
        assert_contract(resp, "csv shape")
