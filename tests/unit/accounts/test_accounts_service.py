"""Tenancy rules on the in-memory fakes (the DynamoDB adapter runs in tests/functional/test_accounts.py)."""

import pytest

from einvoice.accounts import service
from einvoice.accounts.memory import MemoryKeyRegistry, MemoryTenancyRepository
from einvoice.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError


@pytest.fixture
def repo():
    service.clear_cache()
    yield MemoryTenancyRepository()
    service.clear_cache()


def test_partner_creation_is_idempotent_and_refuses_another_name(repo):
    first = service.create_partner("acme", "ACME", {"displayName": "Acme"}, repo=repo)
    again = service.create_partner("acme", "ACME", repo=repo)
    assert again.branding == first.branding == {"displayName": "Acme"}
    with pytest.raises(ConflictError):
        service.create_partner("acme", "Other name", repo=repo)


@pytest.mark.parametrize("bad", ["A", "x", "-lead", "UPPER", "sp ace", "a" * 64])
def test_identifiers_are_checked(repo, bad):
    with pytest.raises(InvalidInputError) as err:
        service.create_partner(bad, "Name", repo=repo)
    assert err.value.details[0].field == "partnerId"


def test_accounts_belong_to_a_partner_and_list_their_secondary_accounts(repo):
    service.create_partner("p1", "P1", repo=repo)
    service.create_partner("p2", "P2", repo=repo)
    with pytest.raises(NotFoundError):
        service.create_account("a0", "nobody", "A0", repo=repo)
    service.create_account("main", "p1", "Main", repo=repo)
    service.create_account("sub-b", "p1", "Sub B", "main", repo=repo)
    service.create_account("sub-a", "p1", "Sub A", "main", repo=repo)
    with pytest.raises(NotFoundError):  # a parent of another partner is not visible
        service.create_account("xx", "p2", "X", "main", repo=repo)
    assert service.get_account("main", repo=repo).secondary_account_ids == ["sub-a", "sub-b"]
    with pytest.raises(ConflictError):
        service.create_account("main", "p2", "Main", repo=repo)


def test_api_keys_are_idempotent_per_value_and_resolve_to_their_tenant(repo):
    service.create_partner("p1", "P1", repo=repo)
    service.create_account("main", "p1", "Main", repo=repo)
    service.create_account("sub", "p1", "Sub", "main", repo=repo)
    registry = MemoryKeyRegistry()
    key = service.create_api_key("p1", "main", value="v" * 24, registry=registry, repo=repo)
    assert service.create_api_key("p1", "main", value="v" * 24, registry=registry, repo=repo).api_key_id == key.api_key_id
    assert len(registry.created) == 1
    with pytest.raises(ConflictError):
        service.create_api_key("p1", None, value="v" * 24, registry=registry, repo=repo)
    assert service.key_id_for_value("v" * 24, repo=repo) == key.api_key_id
    assert service.key_id_for_value("w" * 24, repo=repo) is None
    tenant = service.resolve_tenant(key.api_key_id, repo=repo)
    assert (tenant.partner_id, tenant.account_id, tenant.scope) == ("p1", "main", "account")
    assert tenant.secondary_account_ids == ("sub",)
    partner_key = service.create_api_key("p1", registry=registry, repo=repo)
    assert service.resolve_tenant(partner_key.api_key_id, repo=repo).scope == "partner"


def test_short_key_values_unknown_owners_and_disabled_keys_are_refused(repo):
    service.create_partner("p1", "P1", repo=repo)
    registry = MemoryKeyRegistry()
    with pytest.raises(InvalidInputError):
        service.create_api_key("p1", value="short", registry=registry, repo=repo)
    with pytest.raises(NotFoundError):
        service.create_api_key("p1", "ghost", registry=registry, repo=repo)
    key = service.create_api_key("p1", value="k" * 30, registry=registry, repo=repo)
    repo.keys[key.api_key_id]["enabled"] = False
    repo.hashes[service.key_hash("k" * 30)]["enabled"] = False
    assert service.key_id_for_value("k" * 30, repo=repo) is None
    with pytest.raises(ForbiddenError):
        service.resolve_tenant(key.api_key_id, repo=repo)
    with pytest.raises(ForbiddenError):
        service.resolve_tenant(None, repo=repo)
