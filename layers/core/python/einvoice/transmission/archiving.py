"""The legal archive of a transmitted invoice: one sealed container per invoice, then daily bundles.

Container (one S3 object per invoice, a ZIP): the original input, the generated (transmitted)
document, the readable PDF, the seal (embedded PAdES, or a detached ``.p7s`` for XML), the Flux 1
extract, and ``manifest.json`` with the SHA-256 and size of each member, the seal and the
retention date. Members are content-addressed by their SHA-256 in the manifest; the container's
own SHA-256 and S3 version are kept in the invoice record, so a changed byte anywhere is detected
on read (``verify``).

Storage (decision log 2026-12-02): containers are written once (``If-None-Match: *``, a retried
task reuses the first one) under ``invoices/<day>/<accountId>/<transmissionId>.zip`` with a
COMPLIANCE retention of ``HOT_RETENTION_DAYS``; ``bundles.py`` copies each day's containers into
one bundle per account under COMPLIANCE for ten years, which a lifecycle rule moves to a colder
class. Small objects per invoice would cost more than the ten-year storage target
(``../shared/docs/aws-costs.md``).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from einvoice.adapters.aws.clients import BucketAdapter, error_code
from einvoice.transmission.errors import StorageUnavailableError

MANIFEST = "manifest.json"
HOT_RETENTION_DAYS = 90  # per-invoice containers; the ten-year copy is the daily bundle
CONTAINER_TYPE = "application/zip"
_THROTTLED = {"SlowDown", "ThrottlingException", "RequestTimeout", "ServiceUnavailable", "InternalError", "503",
              "500"}


class ArchiveTamperedError(Exception):
    """The stored bytes no longer match the checksum S3 recorded when they were written."""


@dataclass(frozen=True)
class Member:
    name: str
    role: str  # original | document | readable | seal | flux1
    content_type: str
    data: bytes


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_container(members: list[Member], meta: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """(container bytes, manifest). ``meta`` goes into the manifest (ids, retention, seal)."""
    manifest = {**meta, "objects": [{"name": m.name, "role": m.role, "contentType": m.content_type,
                                     "sha256": sha256(m.data), "size": len(m.data)} for m in members]}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for m in members:
            packed = zipfile.ZIP_STORED if m.content_type == "application/pdf" else zipfile.ZIP_DEFLATED
            z.writestr(zipfile.ZipInfo(m.name, date_time=(2026, 1, 1, 0, 0, 0)), m.data, compress_type=packed)
        z.writestr(zipfile.ZipInfo(MANIFEST, date_time=(2026, 1, 1, 0, 0, 0)),
                   json.dumps(manifest, sort_keys=True, indent=1).encode(), compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue(), manifest


def read_container(data: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {name: z.read(name) for name in z.namelist()}
    manifest = json.loads(members.pop(MANIFEST))
    return manifest, members


def member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name)


def verify(data: bytes, *, expected_sha256: str, roots: list[bytes]) -> dict[str, Any]:
    """Hash of the container, of every member against the manifest, and the seal."""
    from einvoice.transmission import seals

    problems: list[str] = []
    actual = sha256(data)
    if actual != expected_sha256:
        problems.append(f"the container's SHA-256 is {actual}, the record says {expected_sha256}")
    try:
        manifest, members = read_container(data)
    except (zipfile.BadZipFile, KeyError, ValueError):
        return {"verified": False, "problems": problems + ["the container cannot be read"], "objects": [],
                "seal": None}
    objects = []
    for obj in manifest.get("objects", []):
        body = members.get(obj["name"])
        ok = body is not None and sha256(body) == obj["sha256"] and len(body) == obj["size"]
        if not ok:
            problems.append(f"{obj['name']} does not match its SHA-256 in the manifest")
        objects.append({**obj, "verified": ok})
    seal_info = manifest.get("seal") or {}
    document = members.get(seal_info.get("document", ""))
    seal_report = None
    if document is not None and seal_info.get("type") == seals.PADES:
        seal_report = seals.verify_pdf(document, roots)
    elif document is not None and seal_info.get("type") == seals.CADES_DETACHED:
        signature = members.get(seal_info.get("signature", ""))
        seal_report = seals.verify_detached(document, signature or b"", roots)
    if not seal_report or not (seal_report.get("intact") and seal_report.get("valid")):
        problems.append("the seal is missing or does not verify")
    return {"verified": not problems, "problems": problems, "objects": objects, "seal": seal_report,
            "manifest": {k: v for k, v in manifest.items() if k != "objects"}}


def retain_until(now: datetime, days: int = HOT_RETENTION_DAYS) -> datetime:
    return (now + timedelta(days=days)).astimezone(timezone.utc).replace(microsecond=0)


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


class S3InvoiceArchive(BucketAdapter):
    """Containers in the Object Lock archive bucket (write once, COMPLIANCE, hot retention)."""

    @staticmethod
    def key(day: str, account_id: str, transmission_id: str) -> str:
        return f"invoices/{day}/{account_id}/{transmission_id}.zip"

    def put(self, key: str, data: bytes, *, until: datetime, metadata: dict[str, str]) -> dict[str, Any] | None:
        """Write once. Returns ``{key, versionId, sha256, size, retainUntil}``, or None when the key exists."""
        from botocore.exceptions import ClientError

        try:
            resp = self.s3.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=CONTAINER_TYPE, IfNoneMatch="*",
                Metadata={"sha256": sha256(data), **metadata}, ObjectLockMode="COMPLIANCE",
                ObjectLockRetainUntilDate=until, ChecksumAlgorithm="SHA256",
            )
        except ClientError as exc:
            code = error_code(exc)
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return None
            if code in _THROTTLED:
                raise StorageUnavailableError(f"archive write refused ({code})") from None
            raise
        return {"key": key, "versionId": resp.get("VersionId"), "sha256": sha256(data), "size": len(data),
                "retainUntil": _iso(until)}

    def get(self, key: str, version_id: str | None = None) -> bytes:
        from botocore.exceptions import ClientError, FlexibleChecksumError

        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            return self.s3.get_object(**kwargs)["Body"].read()
        except FlexibleChecksumError:
            raise ArchiveTamperedError(f"{key}: the stored bytes fail the SHA-256 checksum S3 recorded") from None
        except ClientError as exc:
            code = error_code(exc)
            if code in _THROTTLED:
                raise StorageUnavailableError(f"archive read refused ({code})") from None
            raise

    def head(self, key: str) -> dict[str, Any]:
        resp = self.s3.head_object(Bucket=self.bucket, Key=key)
        return {"versionId": resp.get("VersionId"), "metadata": resp.get("Metadata", {})}
