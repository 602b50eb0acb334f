"""Light moto environment for the companies/directory tests: only the tables (from
``einvoice.resources.TABLES``) and the drop bucket, created once per module, plus a small,
hand-made directory. Each test uses its own account id, so tests do not see each other's data.
(The shared ``aws`` fixture boots the whole platform, ~4 s per test; these tests don't need it.)
"""

from __future__ import annotations

import uuid

import pytest
from companies_testdata import DIRECTORY_CSV


def create_resources(settings) -> None:
    """The platform's tables and buckets, from the same descriptions as the local platform and CDK."""
    from local.bootstrap import create_buckets, create_tables

    create_tables(settings)
    create_buckets(settings)


@pytest.fixture(scope="module")
def env():
    """Settings of a fresh moto account with the tables, buckets and the small directory loaded."""
    from moto import mock_aws

    from einvoice.adapters.aws.clients import reset_clients
    from einvoice.directory.cache import reset_directory_cache
    from einvoice.directory.loader import load_csv
    from einvoice.settings import Settings, reset_settings
    from local.testing import exported

    with mock_aws():
        reset_clients()
        reset_settings()
        reset_directory_cache()
        try:
            with exported(Settings()) as settings:
                create_resources(settings)
                load_csv(DIRECTORY_CSV, settings=settings)
                yield settings
        finally:
            reset_clients()
            reset_directory_cache()


@pytest.fixture
def directory(env):
    from einvoice.directory.table import TableDirectory

    return TableDirectory(settings=env)


@pytest.fixture
def tenant(env):
    from einvoice.tenancy import Tenant

    return Tenant(partner_id="p-test", account_id="acc-" + uuid.uuid4().hex[:10], api_key_id="k-test")


@pytest.fixture
def other_tenant(env):
    from einvoice.tenancy import Tenant

    return Tenant(partner_id="p-other", account_id="acc-" + uuid.uuid4().hex[:10], api_key_id="k-other")
