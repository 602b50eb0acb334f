"""Companies use cases against the in-memory repository and directory (no moto): creation rules,
uniqueness, idempotent retries, updates, search paging and tenant isolation."""

from __future__ import annotations

import threading

import pytest

from einvoice.companies import service
from einvoice.companies.memory import MemoryCompanyRepository
from einvoice.directory.models import LegalUnit
from einvoice.directory.seed import luhn_check_digit
from einvoice.errors import ConflictError, InvalidInputError, NotFoundError
from einvoice.settings import Settings
from einvoice.tenancy import Tenant

SIRENS = [b + luhn_check_digit(b) for b in (f"8{i:07d}" for i in range(12))]
NAMES = ["Boulangerie Dupont", "Électricité Hérault", *[f"Garage Martin {i}" for i in range(10)]]
S = Settings()


class Directory:
    def __init__(self) -> None:
        self.units = {s: LegalUnit(s, n, True) for s, n in zip(SIRENS, NAMES, strict=True)}

    def get_siren(self, siren):
        return self.units.get(siren)

    def get_siret(self, siret):
        return None


def _tenant(account="acc-1", secondary=()):
    return Tenant(partner_id="p", account_id=account, api_key_id="k", secondary_account_ids=tuple(secondary))


def _body(identifier, **over):
    out = {"identifierType": "SIREN", "identifier": identifier, "employees": "11-20", "purchaseInvoices": True,
           "purchasePayment": False, "salesInvoices": True, "duplicateControl": True}
    out.update(over)
    return out


@pytest.fixture
def repo():
    return MemoryCompanyRepository(page_items=4)


def _create(repo, identifier, tenant=None, **kw):
    return service.create_company(tenant or _tenant(), _body(identifier), directory=Directory(), settings=S,
                                  repository=repo, **kw)


def test_create_checks_rules_then_is_unique(repo):
    with pytest.raises(InvalidInputError) as exc:
        service.create_company(_tenant(), _body(SIRENS[0], purchaseInvoices=False, salesInvoices=False),
                               directory=Directory(), settings=S, repository=repo)
    assert [d.rule for d in exc.value.details] == ["COMPANY-01"]
    first = _create(repo, SIRENS[0])
    assert first.name == "Boulangerie Dupont" and first.enrolment_state.value == "TO_DO"
    with pytest.raises(ConflictError) as exc:
        _create(repo, SIRENS[0])
    assert exc.value.details[0].rule == "COMPANY-03" and exc.value.details[0].extra["companyId"] == first.id
    assert len(repo.writes) == 1


def test_concurrent_creations_make_one_company_and_three_conflicts(repo):
    results, barrier = [], threading.Barrier(4)

    def attempt():
        barrier.wait()
        try:
            results.append(_create(repo, SIRENS[1]).id)
        except ConflictError:
            results.append("409")

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count("409") == 3 and len(repo.writes) == 1


def test_update_keeps_rules_and_refuses_identifier_changes(repo):
    c = _create(repo, SIRENS[2])
    u = service.update_company(_tenant(), c.id, {"employees": "51-250", "purchasePayment": True,
                                                 "identifier": SIRENS[2]}, repository=repo)
    assert (u.employees, u.purchase_payment, u.created_at) == ("51-250", True, c.created_at)
    with pytest.raises(InvalidInputError) as exc:
        service.update_company(_tenant(), c.id, {"purchaseInvoices": False}, repository=repo)
    assert [d.rule for d in exc.value.details] == ["COMPANY-02"]
    with pytest.raises(InvalidInputError) as exc:
        service.update_company(_tenant(), c.id, {"identifier": SIRENS[3]}, repository=repo)
    assert [d.field for d in exc.value.details] == ["identifier"]
    with pytest.raises(NotFoundError):
        service.update_company(_tenant("acc-2"), c.id, {"employees": "1-10"}, repository=repo)


def test_search_pages_in_identifier_order_by_prefix_and_name(repo):
    made = [_create(repo, s) for s in SIRENS]
    seen, token, pages = [], None, 0
    while True:
        page = service.search_companies(_tenant(), limit=5, next_token=token, repository=repo)
        seen += [c.identifier for c in page.items]
        pages, token = pages + 1, page.next_token
        if not token:
            break
    assert seen == sorted(c.identifier for c in made) and pages == 3
    assert [c.identifier for c in service.search_companies(_tenant(), identifier=SIRENS[3], exact=True,
                                                           repository=repo).items] == [SIRENS[3]]
    found = service.search_companies(_tenant(), name="electricite HERAULT", repository=repo).items
    assert [c.identifier for c in found] == [SIRENS[1]]
    garages = service.search_companies(_tenant(), name="garage", limit=3, repository=repo)
    assert len(garages.items) == 3 and garages.next_token
    with pytest.raises(InvalidInputError):
        service.search_companies(_tenant(), identifier="12ab", repository=repo)


def test_tenants_see_only_their_companies_and_secondary_accounts_on_request(repo):
    mine = _create(repo, SIRENS[0])
    theirs = _create(repo, SIRENS[1], tenant=_tenant("acc-2"))
    with pytest.raises(NotFoundError):
        service.get_company(_tenant("acc-2"), mine.id, repository=repo)
    parent = _tenant("acc-1", secondary=["acc-2"])
    assert service.get_company(parent, theirs.id, repository=repo).id == theirs.id
    assert [c.id for c in service.search_companies(parent, repository=repo).items] == [mine.id]
    both = service.search_companies(parent, include_secondary=True, repository=repo).items
    assert [c.id for c in both] == [mine.id, theirs.id]
    assert {f["accountId"] for f in service.companies_for_siren(SIRENS[0], repository=repo)} == {"acc-1"}
