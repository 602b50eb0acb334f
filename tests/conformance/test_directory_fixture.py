"""The directory loader on the made-up directory extract of ``../shared/fixtures`` (3,209 establishments)."""

from __future__ import annotations

import json

import boto3
import pytest


@pytest.fixture
def env():
    """Settings of a fresh moto account (the directory table of this test is created by the test)."""
    from moto import mock_aws

    from einvoice.adapters.aws.clients import reset_clients
    from einvoice.settings import Settings, reset_settings
    from local.testing import exported

    with mock_aws():
        reset_clients()
        reset_settings()
        try:
            with exported(Settings()) as settings:
                yield settings
        finally:
            reset_clients()
            reset_settings()


def test_load_shared_fixture_twice_changes_nothing(shared_dir, env):
    fixture = shared_dir / "fixtures" / "directory-seed.csv"
    from einvoice.directory.loader import load_csv

    ddb = boto3.client("dynamodb", region_name=env.region)
    ddb.create_table(
        TableName="directory-fixture",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )

    def snapshot():
        count = ddb.describe_table(TableName="directory-fixture")["Table"]["ItemCount"]
        sample = ddb.query(
            TableName="directory-fixture",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "SIREN#356000000"}},
        )["Items"]
        return count, sorted(json.dumps(i, sort_keys=True) for i in sample)

    first = load_csv(fixture, "directory-fixture", settings=env)
    assert first.rows == 3209 and first.legal_units == 2001 and first.rejected == 0
    before = snapshot()
    second = load_csv(fixture, "directory-fixture", settings=env)
    assert second.to_json()["items"] == first.to_json()["items"]
    after = snapshot()
    assert after == before and after[0] == first.items == 6146
    assert len(after[1]) == 1 + 5 + 1  # La Poste: legal unit, 5 establishments, 1 directory line
    assert first.requests <= first.items / 25 + 1
