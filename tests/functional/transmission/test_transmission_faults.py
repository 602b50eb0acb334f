"""Fault injection and archive guarantees on the real ASL under moto: nothing lost, defined statuses."""

import pytest

from tests.functional.transmission.conftest import OTHER_BUYER, create_company, wait_for
from tests.functional.transmission.faults import body_mentions, inject
from tests.functional.transmission.test_transmission_api import _body, _draft, _get, _until
from tests.unit.invoicing.model_samples import SELLER_SIREN


def _issue(platform, key, company, body):
    invoice_id = _draft(platform, key, company, body)
    assert platform.api.post(f"/v1/invoices/{invoice_id}/issue", headers={"x-api-key": key}).status_code == 202
    return invoice_id


def test_s3_throttling_on_the_archive_is_retried(platform, tenant_keys):
    from einvoice.adapters.aws.clients import client

    key = tenant_keys["a"]
    company = create_company(platform, key, SELLER_SIREN)
    # 6 SlowDown answers: more than one SDK call can absorb (4 attempts), so the ASL Retry runs too
    with inject(client("s3"), "s3.PutObject", "SlowDown", times=6,
                match=lambda params: "/invoices/" in str(params.get("url_path", ""))) as fault:
        invoice_id = _issue(platform, key, company, _body())
        view = _until(platform, key, invoice_id, "201")
    assert fault.hits == 6
    assert [s["code"] for s in view["statusHistory"]] == ["200", "201"]
    assert _get(platform, key, invoice_id)["archive"]
    archive = platform.api.get(f"/v1/invoices/{invoice_id}/archive", headers={"x-api-key": key}).json
    assert archive["verified"] is True


def test_a_directory_outage_defers_the_invoice_until_the_directory_is_back(platform, tenant_keys):
    from einvoice.adapters.aws.clients import client

    key = tenant_keys["a"]
    company = create_company(platform, key, SELLER_SIREN)
    directory = platform.settings.directory_table
    with inject(client("dynamodb"), "dynamodb.Query", "ServiceUnavailable", status=503,
                match=body_mentions(directory)):
        invoice_id = _issue(platform, key, company, _body(OTHER_BUYER, "F2026-0010"))
        view = wait_for(lambda: (lambda v: v if any(a["outcome"] == "deferred" for a in v["deliveryAttempts"])
                                 else None)(_get(platform, key, invoice_id)), 60, "a deferred attempt")
        assert view["status"] is None and view["state"] == "ISSUING"
        assert view["deliveryAttempts"][0]["code"] == "DirectoryUnavailableError"
    view = _until(platform, key, invoice_id, "201")
    assert [s["code"] for s in view["statusHistory"]] == ["200", "201"]


def test_a_peer_down_for_good_ends_in_221_and_nothing_is_lost(platform, tenant_keys):
    key = tenant_keys["a"]
    company = create_company(platform, key, SELLER_SIREN)
    platform.peers.switch("0238:PA-0117", "down")
    ids = [_issue(platform, key, company, _body(OTHER_BUYER, f"F2026-01{n:02d}")) for n in range(3)]
    for invoice_id in ids:
        view = _until(platform, key, invoice_id, "221", timeout=120)
        assert view["statusHistory"][-1]["reason"] == "ROUTAGE_ERR" and view["state"] == "DONE"
        outcomes = [a["outcome"] for a in view["deliveryAttempts"]]
        assert outcomes.count("deferred") == 3 and outcomes[-1] == "failed"
        assert "Traceback" not in str(view) and all("\n" not in (a.get("message") or "")
                                                    for a in view["deliveryAttempts"])
    assert platform.peers.peers["0238:PA-0117"].flows == {}


def test_archive_delete_and_overwrite_are_refused_and_tampering_is_detected(platform, tenant_keys):
    from botocore.exceptions import ClientError
    from moto.s3.models import s3_backends

    from einvoice.adapters.aws.clients import client
    from local.bootstrap import ACCOUNT_ID

    key = tenant_keys["a"]
    company = create_company(platform, key, SELLER_SIREN)
    invoice_id = _issue(platform, key, company, _body())
    _until(platform, key, invoice_id, "201")
    from einvoice.adapters.aws.clients import table
    from einvoice.invoicing.dynamodb import DynamoInvoiceRepository

    record = DynamoInvoiceRepository(table(platform.settings.data_table)).get("account-a", invoice_id)
    s3 = client("s3")
    bucket, obj, version = platform.settings.archive_bucket, record.archive["key"], record.archive["versionId"]
    head = s3.head_object(Bucket=bucket, Key=obj, VersionId=version)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(ClientError) as err:
        s3.delete_object(Bucket=bucket, Key=obj, VersionId=version)
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as err:  # the platform's write path never overwrites
        s3.put_object(Bucket=bucket, Key=obj, Body=b"forged", IfNoneMatch="*")
    assert err.value.response["Error"]["Code"] == "PreconditionFailed"
    # a new version put on top (allowed by S3) does not replace the recorded one
    s3.put_object(Bucket=bucket, Key=obj, Body=b"forged")
    listing = platform.api.get(f"/v1/invoices/{invoice_id}/archive", headers={"x-api-key": key}).json
    assert listing["verified"] is True and listing["container"]["versionId"] == version
    # the stored bytes of the recorded version altered underneath: detected on read
    stored = s3_backends[ACCOUNT_ID]["aws"].get_object(bucket, obj, version_id=version)
    data = bytearray(stored.value)
    data[len(data) // 3] ^= 0x01
    stored.value = bytes(data)
    listing = platform.api.get(f"/v1/invoices/{invoice_id}/archive", headers={"x-api-key": key}).json
    assert listing["verified"] is False and listing["problems"]


def test_daily_bundle_is_the_ten_year_copy_and_serves_reads_once_the_hot_copy_expired(platform, tenant_keys):
    import json

    from botocore.exceptions import ClientError
    from moto.s3.models import s3_backends

    from einvoice.adapters.aws.clients import client
    from einvoice.transmission import bundles
    from local.bootstrap import ACCOUNT_ID

    key = tenant_keys["a"]
    company = create_company(platform, key, SELLER_SIREN)
    ids = [_issue(platform, key, company, _body(number=f"F2026-02{n:02d}")) for n in range(2)]
    records = [_until(platform, key, i, "201") for i in ids]
    day = records[0]["statusHistory"][0]["at"][:10]
    out = bundles.run({"day": day})
    assert [(b["accountId"], b["containers"]) for b in out["bundles"]] == [("account-a", 2)]
    assert bundles.run({"day": day})["bundles"][0]["skipped"] is True  # idempotent
    s3 = client("s3")
    bucket = platform.settings.archive_bucket
    tar_key, manifest_key = bundles.bundle_keys(day, "account-a")
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    head = s3.head_object(Bucket=bucket, Key=tar_key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"].year - int(day[:4]) == 10
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=bucket, Key=tar_key, VersionId=head["VersionId"])
    archive = platform.api.get(f"/v1/invoices/{ids[0]}/archive", headers={"x-api-key": key}).json
    entry = next(e for e in manifest["containers"] if e["key"] == archive["container"]["key"])
    assert entry["sha256"] == archive["container"]["sha256"]
    # the hot container expires (lifecycle, not run by moto): reads come from the bundle
    bucket_obj = s3_backends[ACCOUNT_ID]["aws"].get_bucket(bucket)
    bucket_obj.keys.pop(archive["container"]["key"])
    again = platform.api.get(f"/v1/invoices/{ids[0]}/archive", headers={"x-api-key": key}).json
    assert again["readFrom"] == "bundle" and again["verified"] is True, again
