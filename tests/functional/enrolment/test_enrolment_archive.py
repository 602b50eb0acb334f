"""The Object Lock archive under moto: COMPLIANCE 10 years, content-addressed, undeletable."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from einvoice.archive import ArchiveIntegrityError, S3ObjectLockArchive, content_key, retain_until
from einvoice.resources import ARCHIVE_RETENTION_YEARS

REGION = "eu-west-3"
BUCKET = "einvoice-archive-test"


@pytest.fixture
def s3():
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True,
                             CreateBucketConfiguration={"LocationConstraint": REGION})
        client.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": ARCHIVE_RETENTION_YEARS}}})
        yield client


def test_put_locks_for_ten_years_under_a_content_key(s3):
    archive = S3ObjectLockArchive(BUCKET, s3)
    data = b"%PDF-1.7 sealed certificate"
    obj = archive.put(data, kind="enrolment-certificate", content_type="application/pdf",
                      metadata={"enrolment-id": "e1"})
    digest = hashlib.sha256(data).hexdigest()
    assert obj.key == f"enrolment-certificate/sha256/{digest[:2]}/{digest}.pdf" == content_key(
        "enrolment-certificate", data, "application/pdf")
    assert obj.created and obj.sha256 == digest
    head = s3.head_object(Bucket=BUCKET, Key=obj.key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    years = (head["ObjectLockRetainUntilDate"] - datetime.now(timezone.utc)) / timedelta(days=365.25)
    assert ARCHIVE_RETENTION_YEARS - 0.01 < years < ARCHIVE_RETENTION_YEARS + 0.01
    assert head["Metadata"] == {"sha256": digest, "enrolment-id": "e1"}
    assert archive.get(obj.key) == data
    # same bytes again: idempotent, no new version
    again = archive.put(data, kind="enrolment-certificate", content_type="application/pdf")
    assert not again.created and again.key == obj.key and again.version_id == obj.version_id
    assert len(s3.list_object_versions(Bucket=BUCKET)["Versions"]) == 1


def test_archived_version_cannot_be_deleted(s3):
    from botocore.exceptions import ClientError

    archive = S3ObjectLockArchive(BUCKET, s3)
    obj = archive.put(b"evidence", kind="enrolment-certificate", content_type="application/pdf")
    with pytest.raises(ClientError) as err:
        s3.delete_object(Bucket=BUCKET, Key=obj.key, VersionId=obj.version_id)
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as err:
        s3.delete_object(Bucket=BUCKET, Key=obj.key, VersionId=obj.version_id, BypassGovernanceRetention=True)
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    batch = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": obj.key, "VersionId": obj.version_id}]})
    assert batch["Errors"][0]["Code"] == "AccessDenied"
    # a plain delete only adds a delete marker: the locked version is still there
    s3.delete_object(Bucket=BUCKET, Key=obj.key)
    assert archive.get(obj.key, obj.version_id) == b"evidence"


def test_get_detects_a_mismatch(s3):
    archive = S3ObjectLockArchive(BUCKET, s3)
    key = content_key("enrolment-certificate", b"original", "application/pdf")
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"forged")  # bypassing the adapter
    with pytest.raises(ArchiveIntegrityError):
        archive.get(key)


def test_retention_date_and_kind_rules():
    leap = datetime(2028, 2, 29, 12, tzinfo=timezone.utc)
    assert retain_until(leap) == datetime(2038, 3, 1, 12, tzinfo=timezone.utc)
    assert retain_until(datetime(2026, 11, 30, tzinfo=timezone.utc)).year == 2036
    with pytest.raises(ValueError):
        content_key("../etc", b"x")
