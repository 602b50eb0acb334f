"""Light moto environment for the companies/directory tests: only the tables (from
``einvoice.resources.TABLES``) and the drop bucket, created once per module, plus a small,
hand-made directory. Each test uses its own account id, so tests do not see each other's data.
(The shared ``aws`` fixture boots the whole platform, ~4 s per test; these tests don't need it.)
"""

from __future__ import annotations

import os
import uuid

import pytest
from companies_testdata import DIRECTORY_CSV


def create_resources(settings) -> None:
    import boto3

    from einvoice.resources import TABLES

    ddb = boto3.client("dynamodb", region_name=settings.region)
    for spec in TABLES:
        attrs = {spec.pk}
        keys = [{"AttributeName": spec.pk, "KeyType": "HASH"}]
        if spec.sk:
            attrs.add(spec.sk)
            keys.append({"AttributeName": spec.sk, "KeyType": "RANGE"})
        gsis = []
        for ix in spec.indexes:
            attrs |= {ix.pk, ix.sk}
            gsis.append(
                {
                    "IndexName": ix.name,
                    "KeySchema": [
                        {"AttributeName": ix.pk, "KeyType": "HASH"},
                        {"AttributeName": ix.sk, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            )
        kwargs = {
            "TableName": getattr(settings, spec.setting),
            "KeySchema": keys,
            "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attrs)],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if gsis:
            kwargs["GlobalSecondaryIndexes"] = gsis
        ddb.create_table(**kwargs)
    s3 = boto3.client("s3", region_name=settings.region)
    for name in (settings.drop_bucket, settings.archive_bucket):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": settings.region})


@pytest.fixture(scope="module")
def env():
    """Settings of a fresh moto account with the tables, buckets and the small directory loaded."""
    from moto import mock_aws

    from einvoice.adapters.aws.clients import reset_clients
    from einvoice.directory.cache import reset_directory_cache
    from einvoice.directory.loader import load_csv
    from einvoice.settings import ENV, Settings, reset_settings

    saved = {k: os.environ.get(k) for k in ENV.values()}
    with mock_aws():
        reset_clients()
        reset_settings()
        reset_directory_cache()
        settings = Settings()
        os.environ.update(settings.to_env())
        reset_settings()
        create_resources(settings)
        load_csv(DIRECTORY_CSV, settings=settings)
        try:
            yield settings
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            reset_settings()
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
