"""Companies of an account: create, get, update, list/search, enrolment status.

Handlers call these with the caller's ``Tenant`` (``app.tenant()``) and the parsed JSON body.
Errors (``einvoice.errors``): ``InvalidInputError`` 422 (``details[].field`` names the field,
``rule`` the COMPANY-xx rule), ``ConflictError`` 409 (identifier already in the account),
``NotFoundError`` 404 (unknown id or another tenant's), ``UpstreamUnavailableError`` 503
(directory down: nothing is written), ``BadRequestError`` 400 (unreadable ``nextToken``),
``ForbiddenError`` 403 (partner-level key without an account).

Duplicates: the company id is a function of (account, identifier), so the company item is its own
uniqueness guard and a conditional put cannot create two companies; a second creation of the same
identifier is a 409 whose details carry the existing company's id in ``companyId``. Retries are the
route's business: ``POST /v1/companies`` is idempotent on the ``Idempotency-Key`` header through
Powertools Idempotency (``einvoice.api.idempotency``), not here.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from einvoice.adapters.aws.clients import CONDITIONAL_CHECK_FAILED, error_code
from einvoice.companies import rules, store
from einvoice.companies.models import (
    ENROLMENT_DONE,
    ENROLMENT_MASS_PENDING,
    CompanyIn,
    CompanyOut,
    CompanyPage,
    CompanyUpdate,
)
from einvoice.directory.port import DirectoryPort
from einvoice.errors import (
    BadRequestError,
    ConflictError,
    ErrorDetail,
    InvalidInputError,
    NotFoundError,
)
from einvoice.settings import Settings, get_settings
from einvoice.tenancy import Tenant

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
MAX_QUERY_PAGES = 10  # DynamoDB calls one search request may spend before returning a nextToken


# --- helpers ----------------------------------------------------------------------------------------


def _directory(directory: DirectoryPort | None, settings: Settings) -> DirectoryPort:
    if directory is not None:
        return directory
    from einvoice.directory.cache import get_directory

    return get_directory(settings)


def _violations_error(
    violations: list[rules.Violation], message: str = "The company breaks a rule"
) -> InvalidInputError:
    return InvalidInputError(
        message,
        [ErrorDetail(v.reason, field=v.field, rule=v.rule, message_fr=v.reason_fr) for v in violations],
    )


def _pydantic_error(exc: ValidationError) -> InvalidInputError:
    details = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or None
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        details.append(ErrorDetail(msg, field=loc))
    return InvalidInputError("The request does not match the schema", details)


def _body_dict(body: Any) -> dict:
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body or b"null")
        except ValueError as exc:
            raise BadRequestError("The body is not JSON") from exc
    if hasattr(body, "model_dump"):
        body = body.model_dump(by_alias=True, exclude_unset=True)
    if not isinstance(body, dict):
        raise InvalidInputError("The body must be a JSON object", [ErrorDetail("must be a JSON object", field="body")])
    return body


@dataclass
class OpCounter:
    """DynamoDB operations spent by one call (reported by search)."""

    operations: int = 0
    items_read: int = 0
    detail: list[str] = field(default_factory=list)


# --- create -----------------------------------------------------------------------------------------


def create_company(
    tenant: Tenant,
    body: Any,
    *,
    directory: DirectoryPort | None = None,
    settings: Settings | None = None,
) -> CompanyOut:
    """``POST /v1/companies`` (201; 409 when the identifier already exists in the account)."""
    s = settings or get_settings()
    pk = tenant.account_pk  # ForbiddenError for partner-level keys
    account_id = pk[4:]
    try:
        data = CompanyIn.model_validate(_body_dict(body))
    except ValidationError as exc:
        raise _pydantic_error(exc) from None

    ident = rules.normalize(data.identifier)
    itype = data.identifier_type.value
    violations = rules.check_options(data.purchase_invoices, data.purchase_payment, data.sales_invoices)
    bad_ident = rules.check_identifier(itype, ident)
    if bad_ident:
        violations.insert(0, bad_ident)
    if violations:
        raise _violations_error(violations)

    # Directory checks (UpstreamUnavailableError propagates: nothing has been written).
    d = _directory(directory, s)
    unit = d.get_siren(ident[:9])
    est = d.get_siret(ident) if itype == "SIRET" and unit is not None else None
    bad_dir = rules.check_directory(itype, ident, unit, est)
    if bad_dir:
        raise _violations_error([bad_dir], "The directory does not allow this company")
    record = est if est is not None else unit
    assert record is not None

    now = store.now_iso()
    item = store.build_item(
        account_id=account_id,
        identifier_type=itype,
        identifier=ident,
        employees=data.employees,
        purchase_invoices=data.purchase_invoices,
        purchase_payment=data.purchase_payment,
        sales_invoices=data.sales_invoices,
        duplicate_control=data.duplicate_control,
        name=record.name,
        vat_liable=record.vat_liable,
        status=record.status,
        reception_platform=record.reception_platform,
        now=now,
    )
    client = store.data_client(s)
    try:
        client.put_item(
            TableName=s.data_table,
            Item=item,
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except Exception as exc:
        if error_code(exc) != CONDITIONAL_CHECK_FAILED:
            raise
        existing = getattr(exc, "response", {}).get("Item")
        if not existing:
            existing = client.get_item(
                TableName=s.data_table, Key=store.key(account_id, item["id"]["S"]), ConsistentRead=True
            ).get("Item")
        raise _duplicate(existing or item) from None
    return store.to_out(item)


def _duplicate(existing: dict) -> ConflictError:
    cid = existing["id"]["S"]
    ident = existing.get("identifier", {}).get("S", "")
    return ConflictError(
        f"A company with identifier {ident} already exists in this account",
        [
            ErrorDetail(
                "a company with this identifier already exists in the account",
                field="identifier",
                rule="COMPANY-03",
                message_fr="une entreprise avec cet identifiant existe déjà dans le compte",
                extra={"companyId": cid},
            )
        ],
    )


# --- get / update -----------------------------------------------------------------------------------


def _visible_accounts(tenant: Tenant, include_secondary: bool = True) -> list[str]:
    own = tenant.account_pk[4:]
    accounts = [own]
    if include_secondary:
        accounts += [a for a in tenant.secondary_account_ids if a and a != own]
    return accounts


def _find_item(tenant: Tenant, company_id: str, s: Settings, consistent: bool = False) -> dict:
    if not isinstance(company_id, str) or not company_id.startswith("co_") or len(company_id) > 64:
        raise NotFoundError("No such company")
    client = store.data_client(s)
    accounts = _visible_accounts(tenant)
    out = client.get_item(TableName=s.data_table, Key=store.key(accounts[0], company_id), ConsistentRead=consistent)
    if "Item" in out:
        return out["Item"]
    if len(accounts) > 1:
        keys = [store.key(a, company_id) for a in accounts[1:100]]
        resp = client.batch_get_item(RequestItems={s.data_table: {"Keys": keys, "ConsistentRead": consistent}})
        found = resp.get("Responses", {}).get(s.data_table, [])
        if found:
            return found[0]
    raise NotFoundError("No such company")


def get_company(tenant: Tenant, company_id: str, *, settings: Settings | None = None) -> CompanyOut:
    """``GET /v1/companies/{id}``: the account's (or a secondary account's) company, else 404."""
    return store.to_out(_find_item(tenant, company_id, settings or get_settings()))


_IMMUTABLE = {"identifierType": "identifierType", "identifier": "identifier"}


def update_company(tenant: Tenant, company_id: str, body: Any, *, settings: Settings | None = None) -> CompanyOut:
    """``PATCH /v1/companies/{id}``: options and number of employees only (omitted fields unchanged).

    ``identifierType``/``identifier`` may be repeated unchanged (so a client can send the full
    object back) but not modified (422 naming the field). The resulting options must satisfy
    COMPANY-01/02. Optimistic concurrency on ``updatedAt`` (retried), so two concurrent updates
    cannot combine into options that break a rule.
    """
    s = settings or get_settings()
    raw = _body_dict(body)
    client = store.data_client(s)
    for attempt in range(4):
        item = _find_item(tenant, company_id, s, consistent=True)
        immutable_errors = []
        for f in _IMMUTABLE:
            if f in raw:
                current = item.get(f, {}).get("S")
                given = raw[f]
                if f == "identifier" and isinstance(given, str):
                    given = rules.normalize(given)
                if given != current:
                    immutable_errors.append(
                        ErrorDetail(f"{f} cannot be modified", field=f, message_fr=f"{f} ne peut pas être modifié")
                    )
        if immutable_errors:
            raise InvalidInputError("Only the options and the number of employees can be modified", immutable_errors)
        try:
            upd = CompanyUpdate.model_validate({k: v for k, v in raw.items() if k not in _IMMUTABLE})
        except ValidationError as exc:
            raise _pydantic_error(exc) from None

        def cur(name: str, item: dict = item) -> bool:
            return bool(item.get(name, {}).get("BOOL"))

        pi = upd.purchase_invoices if upd.purchase_invoices is not None else cur("purchaseInvoices")
        pp = upd.purchase_payment if upd.purchase_payment is not None else cur("purchasePayment")
        si = upd.sales_invoices if upd.sales_invoices is not None else cur("salesInvoices")
        dc = upd.duplicate_control if upd.duplicate_control is not None else cur("duplicateControl")
        emp = upd.employees if upd.employees is not None else item["employees"]["S"]
        violations = rules.check_options(pi, pp, si)
        if violations:
            raise _violations_error(violations)
        now = store.now_iso()
        try:
            out = client.update_item(
                TableName=s.data_table,
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression=(
                    "SET employees = :e, purchaseInvoices = :pi, purchasePayment = :pp, salesInvoices = :si, "
                    "duplicateControl = :dc, updatedAt = :now"
                ),
                ConditionExpression="attribute_exists(pk) AND updatedAt = :old",
                ExpressionAttributeValues={
                    ":e": {"S": emp},
                    ":pi": {"BOOL": pi},
                    ":pp": {"BOOL": pp},
                    ":si": {"BOOL": si},
                    ":dc": {"BOOL": dc},
                    ":now": {"S": now},
                    ":old": item["updatedAt"],
                },
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if error_code(exc) == CONDITIONAL_CHECK_FAILED and attempt < 3:
                continue
            if error_code(exc) == CONDITIONAL_CHECK_FAILED:
                raise ConflictError("The company is being modified concurrently; retry") from exc
            raise
        return store.to_out(out["Attributes"])
    raise ConflictError("The company is being modified concurrently; retry")


def set_enrolment_status(
    account_id: str,
    company_id: str,
    status: str | None,
    *,
    enrolment_id: str | None = None,
    certificate_url: str | None = None,
    settings: Settings | None = None,
) -> CompanyOut:
    """For the enrolment flow: ``MASS_PENDING`` / ``DONE`` (with the certificate link) / ``None`` (to do)."""
    if status not in (None, ENROLMENT_MASS_PENDING, ENROLMENT_DONE):
        raise ValueError(f"unknown enrolment status {status!r}")
    s = settings or get_settings()
    sets = ["updatedAt = :now"]
    removes = []
    values: dict[str, dict] = {":now": {"S": store.now_iso()}}
    for attr, val, ph in (
        ("enrolmentStatus", status, ":st"),
        ("enrolmentId", enrolment_id, ":eid"),
        ("certificateUrl", certificate_url, ":cert"),
    ):
        if val:
            sets.append(f"{attr} = {ph}")
            values[ph] = {"S": val}
        elif attr == "enrolmentStatus" or status is None:
            removes.append(attr)
    expr = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    client = store.data_client(s)
    try:
        out = client.update_item(
            TableName=s.data_table,
            Key=store.key(account_id, company_id),
            UpdateExpression=expr,
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except Exception as exc:
        if error_code(exc) == CONDITIONAL_CHECK_FAILED:
            raise NotFoundError("No such company") from exc
        raise
    return store.to_out(out["Attributes"])


# --- list / search ----------------------------------------------------------------------------------


def _encode_token(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_token(token: str, fingerprint: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        assert isinstance(payload, dict) and payload.get("v") == 1
        assert isinstance(payload.get("a"), int) and payload["a"] >= 0
        assert payload.get("s") is None or (isinstance(payload["s"], str) and isinstance(payload.get("i"), str))
    except Exception as exc:
        raise BadRequestError(
            "nextToken is not a token issued by this API", [ErrorDetail("unreadable", field="nextToken")]
        ) from exc
    if payload.get("f") != fingerprint:
        raise BadRequestError(
            "nextToken belongs to another search",
            [ErrorDetail("issued for different search parameters", field="nextToken")],
        )
    return payload


def list_companies(
    tenant: Tenant,
    *,
    include_secondary: bool = False,
    limit: int = DEFAULT_LIMIT,
    next_token: str | None = None,
    settings: Settings | None = None,
) -> CompanyPage:
    """``GET /v1/companies``: every company of the account, ordered by identifier."""
    return search_companies(
        tenant, include_secondary=include_secondary, limit=limit, next_token=next_token, settings=settings
    )


def search_companies(
    tenant: Tenant,
    *,
    identifier: str | None = None,
    name: str | None = None,
    exact: bool = False,
    include_secondary: bool = False,
    limit: int = DEFAULT_LIMIT,
    next_token: str | None = None,
    settings: Settings | None = None,
    counter: OpCounter | None = None,
) -> CompanyPage:
    """``GET /v1/companies?identifier=&name=&exact=&includeSecondary=&limit=&nextToken=``.

    Order: the account first, then its secondary accounts (in the tenant's order); within one
    account by identifier (SIREN/SIRET digits). Access pattern: ``Query`` on index ``gsi1``
    (``gsi1pk = ACC#<id>#COMPANY``), ``begins_with(gsi1sk, <identifier prefix>)`` (or ``=`` when
    ``exact``) -- a key condition, so only matching items are read; the name is a filter
    (``contains`` on the normalised name, every word of the query must appear), so a name-only
    search reads the account's companies page by page (1 MB per call, at most
    ``MAX_QUERY_PAGES`` calls per request; the result may then hold fewer than ``limit`` items
    with a ``nextToken`` to continue). ``counter`` receives the DynamoDB operations spent.
    """
    s = settings or get_settings()
    counter = counter if counter is not None else OpCounter()
    details = []
    ident = None
    if identifier not in (None, ""):
        ident = rules.normalize(identifier)
        if not ident.isdigit() or len(ident) > 14:
            details.append(ErrorDetail("must be 1 to 14 digits (SIREN/SIRET or a prefix)", field="identifier"))
    words: list[str] = []
    if name not in (None, ""):
        from einvoice.api import limits

        words = store.normalize_name(name[: limits.MAX_SEARCH_CHARS + 1]).split()
        if not words:
            details.append(ErrorDetail("must contain letters or digits", field="name"))
        elif len(name) > limits.MAX_SEARCH_CHARS or len(words) > limits.MAX_SEARCH_WORDS:
            details.append(ErrorDetail(f"at most {limits.MAX_SEARCH_CHARS} characters and "
                                       f"{limits.MAX_SEARCH_WORDS} words", field="name", rule="SEARCH_LIMIT"))
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        details.append(ErrorDetail(f"must be between 1 and {MAX_LIMIT}", field="limit"))
    if details:
        raise InvalidInputError("Invalid search parameters", details)

    accounts = _visible_accounts(tenant, include_secondary)
    fingerprint = hashlib.sha256(json.dumps([ident, words, exact, accounts]).encode()).hexdigest()[:16]
    start_idx, start_key = 0, None
    if next_token:
        tok = _decode_token(next_token, fingerprint)
        start_idx = tok["a"]
        if tok.get("s") is not None:
            start_key = (tok["s"], tok["i"])
        if start_idx >= len(accounts):
            return CompanyPage(items=[], next_token=None)

    client = store.data_client(s)
    items: list[dict] = []
    for idx in range(start_idx, len(accounts)):
        acc = accounts[idx]
        kwargs: dict[str, Any] = {
            "TableName": s.data_table,
            "IndexName": "gsi1",
            "ExpressionAttributeValues": {":p": {"S": store.gsi1pk(acc)}},
        }
        if ident:
            kwargs["KeyConditionExpression"] = "gsi1pk = :p AND " + (
                "gsi1sk = :i" if exact else "begins_with(gsi1sk, :i)"
            )
            kwargs["ExpressionAttributeValues"][":i"] = {"S": ident}
        else:
            kwargs["KeyConditionExpression"] = "gsi1pk = :p"
        if words:
            kwargs["FilterExpression"] = " AND ".join(f"contains(nameNorm, :n{k})" for k in range(len(words)))
            for k, w in enumerate(words):
                kwargs["ExpressionAttributeValues"][f":n{k}"] = {"S": w}
        if idx == start_idx and start_key is not None:
            kwargs["ExclusiveStartKey"] = {
                "pk": {"S": store.account_pk(acc)},
                "sk": {"S": "COMPANY#" + start_key[1]},
                "gsi1pk": {"S": store.gsi1pk(acc)},
                "gsi1sk": {"S": start_key[0]},
            }
        while True:
            need = limit - len(items)
            if not words:
                kwargs["Limit"] = need + 1  # one extra tells whether a next page exists
            out = client.query(**kwargs)
            counter.operations += 1
            counter.items_read += out.get("ScannedCount", 0)
            page = out.get("Items", [])
            if len(page) > need:
                items.extend(page[:need])
                last = items[-1]
                token = {"v": 1, "a": idx, "s": last["gsi1sk"]["S"], "i": last["id"]["S"], "f": fingerprint}
                return CompanyPage(items=[store.to_out(i) for i in items], next_token=_encode_token(token))
            items.extend(page)
            lek = out.get("LastEvaluatedKey")
            if lek is None:
                break
            if counter.operations >= MAX_QUERY_PAGES or len(items) >= limit:
                # budget spent (or exactly full): continue from where DynamoDB stopped
                token = {
                    "v": 1,
                    "a": idx,
                    "s": lek["gsi1sk"]["S"],
                    "i": lek["sk"]["S"][len("COMPANY#") :],
                    "f": fingerprint,
                }
                return CompanyPage(items=[store.to_out(i) for i in items], next_token=_encode_token(token))
            kwargs["ExclusiveStartKey"] = lek
        if len(items) >= limit and idx + 1 < len(accounts):
            token = {"v": 1, "a": idx + 1, "s": None, "f": fingerprint}
            return CompanyPage(items=[store.to_out(i) for i in items], next_token=_encode_token(token))
        if counter.operations >= MAX_QUERY_PAGES and idx + 1 < len(accounts):
            token = {"v": 1, "a": idx + 1, "s": None, "f": fingerprint}
            return CompanyPage(items=[store.to_out(i) for i in items], next_token=_encode_token(token))
    return CompanyPage(items=[store.to_out(i) for i in items], next_token=None)


def companies_for_siren(siren: str, *, settings: Settings | None = None) -> list[dict[str, str]]:
    """Platform-internal (never behind a tenant route): every account's company for a SIREN or one of
    its SIRETs, ``[{"accountId", "companyId", "identifier"}]`` -- for routing received invoices.
    One ``Query`` on index ``gsi2`` (``gsi2pk = IDENT#<siren>``)."""
    s = settings or get_settings()
    client = store.data_client(s)
    kwargs: dict[str, Any] = {
        "TableName": s.data_table,
        "IndexName": "gsi2",
        "KeyConditionExpression": "gsi2pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "IDENT#" + rules.normalize(siren)[:9]}},
        "ProjectionExpression": "accountId, id, identifier",
    }
    out: list[dict[str, str]] = []
    while True:
        page = client.query(**kwargs)
        out += [
            {"accountId": i["accountId"]["S"], "companyId": i["id"]["S"], "identifier": i["identifier"]["S"]}
            for i in page.get("Items", [])
        ]
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def search_from_query(
    tenant: Tenant, params: dict[str, str] | None, *, settings: Settings | None = None
) -> CompanyPage:
    """``GET /v1/companies`` from raw query-string parameters (handler one-liner):
    ``identifier``, ``name``, ``exact``, ``includeSecondary`` (true/false), ``limit`` (1-100),
    ``nextToken``. Unknown parameters are ignored; malformed ones are 422 naming the parameter."""
    p = params or {}
    details = []

    def flag(name: str) -> bool:
        v = (p.get(name) or "").strip().lower()
        if v in ("", "false", "0", "no"):
            return False
        if v in ("true", "1", "yes"):
            return True
        details.append(ErrorDetail("must be true or false", field=name))
        return False

    exact, include = flag("exact"), flag("includeSecondary")
    limit = DEFAULT_LIMIT
    if p.get("limit") not in (None, ""):
        try:
            limit = int(p["limit"])
        except ValueError:
            details.append(ErrorDetail(f"must be an integer between 1 and {MAX_LIMIT}", field="limit"))
    if details:
        raise InvalidInputError("Invalid search parameters", details)
    return search_companies(
        tenant,
        identifier=p.get("identifier"),
        name=p.get("name"),
        exact=exact,
        include_secondary=include,
        limit=limit,
        next_token=p.get("nextToken") or None,
        settings=settings,
    )
