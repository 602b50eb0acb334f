"""Partners, accounts and API keys."""

import pytest

from einvoice.accounts import service
from einvoice.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError


def test_create_is_idempotent(aws):
    p1 = service.create_partner("acme", "ACME")
    p2 = service.create_partner("acme", "ACME")
    assert p1 == p2
    a1 = service.create_account("acme-main", "acme", "Main")
    a2 = service.create_account("acme-main", "acme", "Main")
    assert a1 == a2
    k1 = service.create_api_key("acme", "acme-main", value="same-value-0123456789abcdef")
    k2 = service.create_api_key("acme", "acme-main", value="same-value-0123456789abcdef")
    assert k1.api_key_id == k2.api_key_id


def test_conflicts_and_unknown_owners(aws):
    service.create_partner("acme", "ACME")
    with pytest.raises(ConflictError):
        service.create_partner("acme", "Other name")
    with pytest.raises(NotFoundError):
        service.create_account("x-main", "nobody", "X")
    with pytest.raises(InvalidInputError):
        service.create_partner("Bad Id!", "Bad")
    service.create_account("acme-main", "acme", "Main")
    service.create_partner("other", "Other")
    with pytest.raises(NotFoundError):  # an account of another partner
        service.create_api_key("other", "acme-main")


def test_secondary_accounts_are_listed_on_the_parent(aws):
    service.create_partner("firm", "Firm")
    service.create_account("firm-hq", "firm", "HQ")
    service.create_account("firm-lyon", "firm", "Lyon", parent_account_id="firm-hq")
    service.create_account("firm-nice", "firm", "Nice", parent_account_id="firm-hq")
    assert service.get_account("firm-hq").secondary_account_ids == ["firm-lyon", "firm-nice"]
    key = service.create_api_key("firm", "firm-hq")
    tenant = service.resolve_tenant(key.api_key_id)
    assert tenant.secondary_account_ids == ("firm-lyon", "firm-nice")


def test_keys_are_registered_in_api_gateway_usage_plan(aws):
    from einvoice.adapters.aws.clients import client

    service.create_partner("acme", "ACME")
    key = service.create_api_key("acme", None)
    apigw = client("apigateway")
    keys = apigw.get_usage_plan_keys(usagePlanId=aws.usage_plan_id)["items"]
    assert key.api_key_id in [k["id"] for k in keys]
    assert key.value.startswith("ek_") and len(key.value) > 30


def test_resolve_unknown_key_is_forbidden(aws):
    with pytest.raises(ForbiddenError):
        service.resolve_tenant("nope")
    with pytest.raises(ForbiddenError):
        service.resolve_tenant(None)
