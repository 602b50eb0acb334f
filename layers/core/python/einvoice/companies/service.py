"""Companies of an account: create, get, update, search (use cases; storage behind ``CompanyRepository``).

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
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from einvoice.companies import rules
from einvoice.companies.model import Company, new_company, normalize_name, now_iso
from einvoice.companies.models import (
    CompanyIn,
    CompanyOut,
    CompanyPage,
    CompanyUpdate,
)
from einvoice.companies.ports import CompanyRepository
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


def _repository(repository: CompanyRepository | None, settings: Settings | None) -> CompanyRepository:
    if repository is not None:
        return repository
    from einvoice.companies.dynamodb import DynamoCompanyRepository

    return DynamoCompanyRepository.from_settings(settings or get_settings())


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
    repository: CompanyRepository | None = None,
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

    company = new_company(
        account_id=account_id,
        identifier_type=itype,
        identifier=ident,
        employees=data.employees,
        purchase_invoices=data.purchase_invoices,
        purchase_payment=data.purchase_payment,
        sales_invoices=data.sales_invoices,
        duplicate_control=data.duplicate_control,
        record=record,
        now=now_iso(),
    )
    company.preferred_format = data.preferred_format
    existing = _repository(repository, s).create(company)
    if existing is not None:
        raise _duplicate(existing)
    return company.to_out()


def _duplicate(existing: Company) -> ConflictError:
    return ConflictError(
        f"A company with identifier {existing.identifier} already exists in this account",
        [
            ErrorDetail(
                "a company with this identifier already exists in the account",
                field="identifier",
                rule="COMPANY-03",
                message_fr="une entreprise avec cet identifiant existe déjà dans le compte",
                extra={"companyId": existing.id},
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


def _find(tenant: Tenant, company_id: str, repo: CompanyRepository, consistent: bool = False) -> Company:
    if not isinstance(company_id, str) or not company_id.startswith("co_") or len(company_id) > 64:
        raise NotFoundError("No such company")
    found = repo.find_in(_visible_accounts(tenant), company_id, consistent=consistent)
    if found is None:
        raise NotFoundError("No such company")
    return found


def get_company(
    tenant: Tenant,
    company_id: str,
    *,
    settings: Settings | None = None,
    repository: CompanyRepository | None = None,
) -> CompanyOut:
    """``GET /v1/companies/{id}``: the account's (or a secondary account's) company, else 404."""
    return _find(tenant, company_id, _repository(repository, settings)).to_out()


_IMMUTABLE = ("identifierType", "identifier")


def update_company(
    tenant: Tenant,
    company_id: str,
    body: Any,
    *,
    settings: Settings | None = None,
    repository: CompanyRepository | None = None,
) -> CompanyOut:
    """``PATCH /v1/companies/{id}``: options and number of employees only (omitted fields unchanged).

    ``identifierType``/``identifier`` may be repeated unchanged (so a client can send the full
    object back) but not modified (422 naming the field). The resulting options must satisfy
    COMPANY-01/02. Optimistic concurrency on ``updatedAt`` (retried), so two concurrent updates
    cannot combine into options that break a rule.
    """
    raw = _body_dict(body)
    repo = _repository(repository, settings)
    for _attempt in range(4):
        current = _find(tenant, company_id, repo, consistent=True)
        immutable_errors = []
        for f in _IMMUTABLE:
            if f in raw:
                given = raw[f]
                if f == "identifier" and isinstance(given, str):
                    given = rules.normalize(given)
                if given != (current.identifier if f == "identifier" else current.identifier_type):
                    immutable_errors.append(
                        ErrorDetail(f"{f} cannot be modified", field=f, message_fr=f"{f} ne peut pas être modifié")
                    )
        if immutable_errors:
            raise InvalidInputError("Only the options and the number of employees can be modified", immutable_errors)
        try:
            upd = CompanyUpdate.model_validate({k: v for k, v in raw.items() if k not in _IMMUTABLE})
        except ValidationError as exc:
            raise _pydantic_error(exc) from None

        def pick(new: Any, old: Any) -> Any:
            return old if new is None else new

        changed = replace(
            current,
            employees=pick(upd.employees, current.employees),
            purchase_invoices=pick(upd.purchase_invoices, current.purchase_invoices),
            purchase_payment=pick(upd.purchase_payment, current.purchase_payment),
            sales_invoices=pick(upd.sales_invoices, current.sales_invoices),
            duplicate_control=pick(upd.duplicate_control, current.duplicate_control),
            preferred_format=pick(upd.preferred_format, current.preferred_format),
            updated_at=now_iso(),
        )
        violations = rules.check_options(changed.purchase_invoices, changed.purchase_payment, changed.sales_invoices)
        if violations:
            raise _violations_error(violations)
        written = repo.update_options(changed, expected_updated_at=current.updated_at)
        if written is not None:
            return written.to_out()
    raise ConflictError("The company is being modified concurrently; retry")


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
    repository: CompanyRepository | None = None,
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

        words = normalize_name(name[: limits.MAX_SEARCH_CHARS + 1]).split()
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

    repo = _repository(repository, settings)
    items: list[Company] = []

    def page_of(found: list[Company], last: Company | tuple[str, str] | None, account_idx: int) -> CompanyPage:
        token = None
        if last is not None:
            pos = (last.identifier, last.id) if isinstance(last, Company) else last
            token = _encode_token({"v": 1, "a": account_idx, "s": pos[0], "i": pos[1], "f": fingerprint})
        return CompanyPage(items=[c.to_out() for c in found], next_token=token)

    def next_account(found: list[Company], account_idx: int) -> CompanyPage:
        token = {"v": 1, "a": account_idx, "s": None, "f": fingerprint}
        return CompanyPage(items=[c.to_out() for c in found], next_token=_encode_token(token))

    for idx in range(start_idx, len(accounts)):
        after = start_key if idx == start_idx else None
        while True:
            need = limit - len(items)
            page = repo.query_page(
                accounts[idx],
                prefix=ident,
                exact=exact,
                words=words,
                after=after,
                limit=None if words else need + 1,  # one extra tells whether a next page exists
            )
            counter.operations += 1
            counter.items_read += page.scanned
            if len(page.items) > need:
                items.extend(page.items[:need])
                return page_of(items, items[-1], idx)
            items.extend(page.items)
            if page.after is None:
                break
            if counter.operations >= MAX_QUERY_PAGES or len(items) >= limit:
                return page_of(items, page.after, idx)  # budget spent (or exactly full): continue from there
            after = page.after
        if idx + 1 < len(accounts) and (len(items) >= limit or counter.operations >= MAX_QUERY_PAGES):
            return next_account(items, idx + 1)
    return CompanyPage(items=[c.to_out() for c in items], next_token=None)


def companies_for_siren(
    siren: str, *, settings: Settings | None = None, repository: CompanyRepository | None = None
) -> list[dict[str, str]]:
    """Platform-internal (never behind a tenant route): every account's company for a SIREN or one of
    its SIRETs, ``[{"accountId", "companyId", "identifier"}]`` -- for routing received invoices.
    One ``Query`` on index ``gsi2`` (``gsi2pk = IDENT#<siren>``)."""
    found = _repository(repository, settings).for_siren(rules.normalize(siren)[:9])
    return [{"accountId": c.account_id, "companyId": c.id, "identifier": c.identifier} for c in found]
