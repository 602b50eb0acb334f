"""Companies: create / get / update / search under moto (tables from einvoice.resources)."""

from __future__ import annotations

import dataclasses

import pytest
from companies_testdata import (
    ACCENTED,
    ACTIVE,
    ACTIVE_SIRET,
    ACTIVE_SIRET_2,
    CLOSED,
    CLOSED_EST_SIRET,
    CLOSED_SIRET,
    EXTRA,
    LA_POSTE_SIRET,
    NOT_VAT,
    OTHER_PA,
    UNKNOWN,
    body,
)

from einvoice.companies import service
from einvoice.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    UpstreamUnavailableError,
)


def _fields(exc: pytest.ExceptionInfo) -> list[str]:
    return [d.field for d in exc.value.details]


def _rules(exc: pytest.ExceptionInfo) -> list[str | None]:
    return [d.rule for d in exc.value.details]


def _count_companies(env, tenant) -> int:
    import boto3

    out = boto3.client("dynamodb", region_name=env.region).query(
        TableName=env.data_table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": f"ACC#{tenant.account_id}"}},
        Select="COUNT",
    )
    return out["Count"]


# --- create / get ---------------------------------------------------------------------------------


def test_create_and_get_returns_directory_data_and_enrolment_state(env, tenant, directory):
    c = service.create_company(tenant, body(ACTIVE[:3] + " " + ACTIVE[3:6] + " " + ACTIVE[6:]), directory=directory)
    assert c.identifier == ACTIVE and c.identifier_type.value == "SIREN"
    assert c.name == "Menuiserie Lefèvre EURL" and c.vat_liable is True and c.status == "active"
    assert c.enrolment_state.value == "TO_DO"
    got = service.get_company(tenant, c.id)
    assert got.to_json() == c.to_json()
    j = got.to_json()
    for key in (
        "id",
        "identifierType",
        "identifier",
        "employees",
        "purchaseInvoices",
        "purchasePayment",
        "salesInvoices",
        "duplicateControl",
        "name",
        "vatLiable",
        "status",
        "enrolmentState",
        "createdAt",
        "updatedAt",
    ):
        assert key in j


def test_enrolment_state_not_applicable_and_not_required(env, tenant, directory):
    c = service.create_company(tenant, body(NOT_VAT), directory=directory)
    assert c.vat_liable is False and c.enrolment_state.value == "NOT_APPLICABLE"
    c2 = service.create_company(tenant, body(OTHER_PA, purchaseInvoices=False), directory=directory)
    assert c2.enrolment_state.value == "NOT_REQUIRED"
    assert c2.reception_platform == "0238:PA-0042"


def test_create_siret_and_la_poste(env, tenant, directory):
    c = service.create_company(tenant, body(ACTIVE_SIRET, "SIRET"), directory=directory)
    assert c.identifier == ACTIVE_SIRET and c.siren == ACTIVE
    lp = service.create_company(tenant, body(LA_POSTE_SIRET, "SIRET"), directory=directory)
    assert lp.name == "La Poste"
    # SIREN and one of its SIRETs are two identifiers: both allowed
    assert service.create_company(tenant, body(ACTIVE), directory=directory).identifier == ACTIVE


@pytest.mark.parametrize(
    ("ident", "itype", "rule"),
    [
        (UNKNOWN, "SIREN", "COMPANY-05"),
        (CLOSED, "SIREN", "COMPANY-06"),
        (CLOSED_EST_SIRET, "SIRET", "COMPANY-06"),
        (CLOSED_SIRET, "SIRET", "COMPANY-07"),  # the SIREN of the SIRET is closed
        (UNKNOWN + "00016", "SIRET", None),  # key check first (COMPANY-04) or unknown SIREN (COMPANY-07)
    ],
)
def test_directory_refusals_are_422_on_identifier(env, tenant, directory, ident, itype, rule):
    with pytest.raises(InvalidInputError) as exc:
        service.create_company(tenant, body(ident, itype), directory=directory)
    assert _fields(exc) == ["identifier"]
    if rule:
        assert _rules(exc) == [rule]
    assert _count_companies(env, tenant) == 0


def test_siret_of_unknown_siren_is_company_07(env, tenant, directory):
    from companies_testdata import siret

    with pytest.raises(InvalidInputError) as exc:
        service.create_company(tenant, body(siret(UNKNOWN, "0001"), "SIRET"), directory=directory)
    assert _rules(exc) == ["COMPANY-07"]


@pytest.mark.parametrize(
    ("over", "field", "rule"),
    [
        ({"purchaseInvoices": False, "salesInvoices": False}, "purchaseInvoices", "COMPANY-01"),
        ({"purchaseInvoices": False, "purchasePayment": True}, "purchasePayment", "COMPANY-02"),
        ({"identifier": "641989901"}, "identifier", "COMPANY-04"),
        ({"identifier": "12345"}, "identifier", "COMPANY-04"),
        ({"identifier": ACTIVE_SIRET}, "identifier", "COMPANY-04"),  # SIRET given as SIREN
        ({"identifierType": "SIRENE"}, "identifierType", None),
        ({"employees": "10-20"}, "employees", None),
        ({"salesInvoices": "yes"}, "salesInvoices", None),
        ({"colour": "blue"}, "colour", None),
    ],
)
def test_rules_give_422_naming_the_field(env, tenant, over, field, rule):
    class NoDirectory:
        def __getattr__(self, name):
            raise AssertionError("the directory must not be called for an invalid body")

    with pytest.raises(InvalidInputError) as exc:
        service.create_company(tenant, {**body(ACTIVE), **over}, directory=NoDirectory())
    assert field in _fields(exc)
    if rule:
        assert rule in _rules(exc)
    assert _count_companies(env, tenant) == 0


def test_missing_field_is_422(env, tenant):
    b = body(ACTIVE)
    del b["employees"]
    with pytest.raises(InvalidInputError) as exc:
        service.create_company(tenant, b)
    assert _fields(exc) == ["employees"]


def test_partner_key_without_account_is_forbidden(env, tenant):
    partner = dataclasses.replace(tenant, account_id=None, scope="partner")
    with pytest.raises(ForbiddenError):
        service.create_company(partner, body(ACTIVE))


# --- uniqueness (idempotent retries: tests/functional/api/test_idempotency.py) ---------------------------------------------------------------------------


def test_second_creation_of_same_identifier_is_409(env, tenant, directory):
    c = service.create_company(tenant, body(ACTIVE), directory=directory)
    with pytest.raises(ConflictError) as exc:
        service.create_company(tenant, body(ACTIVE, employees="1-10"), directory=directory)
    assert exc.value.details[0].field == "identifier" and exc.value.details[0].rule == "COMPANY-03"
    assert exc.value.details[0].extra["companyId"] == c.id
    # same body without a key: still 409 (the rule)
    with pytest.raises(ConflictError):
        service.create_company(tenant, body(ACTIVE), directory=directory)
    assert _count_companies(env, tenant) == 1


def test_same_identifier_in_two_accounts_is_allowed(env, tenant, other_tenant, directory):
    a = service.create_company(tenant, body(ACTIVE), directory=directory)
    b = service.create_company(other_tenant, body(ACTIVE), directory=directory)
    assert a.id != b.id


def test_concurrent_creations_make_one_company(env, tenant, directory):
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_):
        try:
            return service.create_company(tenant, body(ACTIVE), directory=directory).id
        except ConflictError:
            return "409"

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(attempt, range(4)))
    # DynamoDB makes the conditional put atomic (exactly one winner, three 409s); moto's in-process
    # table is not, so here we assert what the deterministic key guarantees even then: one company.
    assert "409" in results or len(set(results)) == 1
    assert len({r for r in results if r != "409"}) == 1
    assert _count_companies(env, tenant) == 1


# --- directory outage ---------------------------------------------------------------------------------


def test_directory_outage_is_503_and_writes_nothing(env, tenant):
    class Down:
        def get_siren(self, siren):
            raise UpstreamUnavailableError("directory down")

        get_siret = get_siren

    with pytest.raises(UpstreamUnavailableError):
        service.create_company(tenant, body(ACTIVE), directory=Down())
    assert _count_companies(env, tenant) == 0


def test_table_directory_missing_table_is_503(env, tenant):
    from einvoice.directory.table import TableDirectory

    broken = TableDirectory("no-such-directory-table", settings=env)
    with pytest.raises(UpstreamUnavailableError):
        service.create_company(tenant, body(ACTIVE), directory=broken)
    assert _count_companies(env, tenant) == 0


# --- tenant isolation ------------------------------------------------------------------------------------


def test_other_tenants_company_is_404(env, tenant, other_tenant, directory):
    c = service.create_company(tenant, body(ACTIVE), directory=directory)
    with pytest.raises(NotFoundError):
        service.get_company(other_tenant, c.id)
    with pytest.raises(NotFoundError):
        service.update_company(other_tenant, c.id, {"employees": "1-10"})
    with pytest.raises(NotFoundError):
        service.get_company(tenant, "co_doesnotexist")
    with pytest.raises(NotFoundError):
        service.get_company(tenant, "../../etc")
    assert service.search_companies(other_tenant).items == []


# --- update ----------------------------------------------------------------------------------------------


def test_update_changes_options_and_employees_only(env, tenant, directory):
    c = service.create_company(tenant, body(ACTIVE), directory=directory)
    u = service.update_company(tenant, c.id, {"employees": "51-250", "purchasePayment": True, "identifier": ACTIVE})
    assert u.employees == "51-250" and u.purchase_payment is True and u.sales_invoices is True
    assert u.created_at == c.created_at and u.updated_at >= c.updated_at
    with pytest.raises(InvalidInputError) as exc:
        service.update_company(tenant, c.id, {"identifier": ACTIVE_SIRET_2})
    assert _fields(exc) == ["identifier"]
    with pytest.raises(InvalidInputError) as exc:
        service.update_company(tenant, c.id, {"identifierType": "SIRET"})
    assert _fields(exc) == ["identifierType"]
    with pytest.raises(InvalidInputError) as exc:  # payment on, purchase off -> COMPANY-02
        service.update_company(tenant, c.id, {"purchaseInvoices": False})
    assert _rules(exc) == ["COMPANY-02"]
    with pytest.raises(InvalidInputError) as exc:
        service.update_company(
            tenant, c.id, {"purchaseInvoices": False, "purchasePayment": False, "salesInvoices": False}
        )
    assert _rules(exc) == ["COMPANY-01"]
    off = service.update_company(tenant, c.id, {"purchaseInvoices": False, "purchasePayment": False})
    assert off.enrolment_state.value == "NOT_REQUIRED"
    assert service.get_company(tenant, c.id).to_json() == off.to_json()


# --- list / search ----------------------------------------------------------------------------------------


@pytest.fixture
def populated(env, tenant, directory):
    made = [service.create_company(tenant, body(s), directory=directory) for s in EXTRA[:7]]
    made.append(service.create_company(tenant, body(ACCENTED), directory=directory))
    made.append(service.create_company(tenant, body(ACTIVE_SIRET, "SIRET"), directory=directory))
    made.append(service.create_company(tenant, body(ACTIVE), directory=directory))
    return made


def _all_pages(tenant, **kw):
    seen, token, pages = [], None, 0
    while True:
        page = service.search_companies(tenant, next_token=token, **kw)
        seen += [c.identifier for c in page.items]
        pages += 1
        token = page.next_token
        if not token:
            return seen, pages


def test_list_is_paginated_in_stable_identifier_order(populated, tenant):
    seen, pages = _all_pages(tenant, limit=3)
    assert seen == sorted(c.identifier for c in populated)
    assert pages == 4
    again, _ = _all_pages(tenant, limit=3)
    assert again == seen
    assert [c.identifier for c in service.search_companies(tenant, limit=100).items] == seen


def test_search_by_identifier_prefix_and_exact(populated, tenant):
    got = [c.identifier for c in service.search_companies(tenant, identifier=ACTIVE).items]
    assert got == [ACTIVE, ACTIVE_SIRET]  # the SIREN and its SIRET
    got = [c.identifier for c in service.search_companies(tenant, identifier=ACTIVE, exact=True).items]
    assert got == [ACTIVE]
    got = [c.identifier for c in service.search_companies(tenant, identifier="7000").items]
    assert got == sorted(s for s in EXTRA[:7] if s.startswith("7000"))
    assert service.search_companies(tenant, identifier="999").items == []


def test_search_by_name_is_case_and_accent_insensitive_and_partial(populated, tenant):
    assert [c.identifier for c in service.search_companies(tenant, name="ÉLECTRICITE hérault").items] == [ACCENTED]
    assert [c.identifier for c in service.search_companies(tenant, name="lefevre").items] == [ACTIVE, ACTIVE_SIRET]
    assert [c.identifier for c in service.search_companies(tenant, name="ctricit").items] == [ACCENTED]
    both = service.search_companies(tenant, name="lefèvre", identifier=ACTIVE_SIRET[:10]).items
    assert [c.identifier for c in both] == [ACTIVE_SIRET]
    seen, _ = _all_pages(tenant, name="dupont", limit=2)
    assert seen == sorted(EXTRA[:7])


def test_search_input_errors(populated, tenant):
    with pytest.raises(InvalidInputError) as exc:
        service.search_companies(tenant, identifier="12a")
    assert _fields(exc) == ["identifier"]
    with pytest.raises(InvalidInputError) as exc:
        service.search_companies(tenant, limit=0)
    assert _fields(exc) == ["limit"]
    page = service.search_companies(tenant, limit=2)
    with pytest.raises(BadRequestError):  # a token from another search
        service.search_companies(tenant, name="dupont", next_token=page.next_token)
    with pytest.raises(BadRequestError):
        service.search_companies(tenant, next_token="garbage!")


def test_search_includes_secondary_accounts_on_request(env, tenant, other_tenant, directory):
    mine = service.create_company(tenant, body(EXTRA[0]), directory=directory)
    theirs = [service.create_company(other_tenant, body(s), directory=directory) for s in EXTRA[1:4]]
    primary = dataclasses.replace(tenant, secondary_account_ids=(other_tenant.account_id,))
    assert [c.id for c in service.search_companies(primary).items] == [mine.id]
    seen, token = [], None
    while True:
        page = service.search_companies(primary, include_secondary=True, limit=2, next_token=token)
        seen += [c.id for c in page.items]
        token = page.next_token
        if not token:
            break
    assert seen == [mine.id] + [c.id for c in sorted(theirs, key=lambda c: c.identifier)]
    # a secondary account's company is visible to its primary, not the other way round
    assert service.get_company(primary, theirs[0].id).id == theirs[0].id
    with pytest.raises(NotFoundError):
        service.get_company(other_tenant, mine.id)


def test_search_reports_dynamodb_operations(populated, tenant):
    counter = service.OpCounter()
    service.search_companies(tenant, identifier=ACTIVE, counter=counter)
    assert counter.operations == 1


def test_companies_for_siren_across_accounts(env, tenant, other_tenant, directory):
    a = service.create_company(tenant, body(OTHER_PA), directory=directory)
    b = service.create_company(other_tenant, body(OTHER_PA), directory=directory)
    found = {f["companyId"]: f for f in service.companies_for_siren(OTHER_PA)}  # other tests' accounts too
    assert found[a.id]["accountId"] == tenant.account_id and found[b.id]["accountId"] == other_tenant.account_id
    assert all(f["identifier"].startswith(OTHER_PA) for f in found.values())
