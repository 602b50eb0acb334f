import pytest

from local.testing import local_aws


@pytest.fixture
def aws():
    """A fresh local AWS (moto) with every table, bucket, identity and state machine created."""
    with local_aws() as booted:
        yield booted


@pytest.fixture
def api(aws):
    """The REST API as API Gateway would serve it (WSGI, no socket)."""
    from werkzeug.test import Client

    from local.server import LocalApi

    return Client(LocalApi())


@pytest.fixture
def tenants(aws):
    """Two tenants (partner + account + key each), like the demo ones."""
    from einvoice.accounts import service

    out = {}
    for name in ("a", "b"):
        service.create_partner(f"partner-{name}", f"Partner {name.upper()}")
        service.create_account(f"account-{name}", f"partner-{name}", f"Account {name.upper()}")
        key = service.create_api_key(f"partner-{name}", f"account-{name}", value=f"test-key-{name}-0123456789abcdef")
        out[name] = key
    return out
