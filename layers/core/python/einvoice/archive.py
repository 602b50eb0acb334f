"""Legal archive: write-once documents in the S3 Object Lock bucket.

* Every object is written with ``ObjectLockMode=COMPLIANCE`` and a retain-until date
  ``ARCHIVE_RETENTION_YEARS`` (10) years ahead (the bucket also has that default retention), so no
  one -- not even the account root -- can delete or overwrite a version before then.
* Keys are content-addressed: ``<kind>/sha256/<first 2 hex>/<sha256>[.<ext>]``. Writing the same
  bytes twice is idempotent (the existing version is returned, nothing new is stored).
* ``get`` re-checks the SHA-256 of what it reads against the key.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from einvoice.adapters.aws.clients import BucketAdapter, error_code
from einvoice.resources import ARCHIVE_RETENTION_YEARS

_KIND_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_EXT = {"application/pdf": "pdf", "application/xml": "xml", "text/xml": "xml", "application/json": "json"}


class ArchiveIntegrityError(Exception):
    """Archived bytes do not match their content address."""


@dataclass(frozen=True)
class ArchivedObject:
    key: str
    sha256: str
    size: int
    version_id: str | None
    retain_until: str
    created: bool  # False when identical content was already archived

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "sha256": self.sha256,
            "size": self.size,
            "versionId": self.version_id,
            "retainUntil": self.retain_until,
        }


class ArchivePort(Protocol):
    def put(self, data: bytes, *, kind: str, content_type: str,
            metadata: dict[str, str] | None = None) -> ArchivedObject: ...
    def get(self, key: str, version_id: str | None = None) -> bytes: ...


def content_key(kind: str, data: bytes, content_type: str = "") -> str:
    if not _KIND_RE.match(kind):
        raise ValueError(f"invalid archive kind {kind!r}")
    digest = hashlib.sha256(data).hexdigest()
    ext = _EXT.get(content_type.split(";")[0].strip().lower())
    return f"{kind}/sha256/{digest[:2]}/{digest}" + (f".{ext}" if ext else "")


def _sha_from_key(key: str) -> str | None:
    m = re.search(r"/sha256/[0-9a-f]{2}/([0-9a-f]{64})", key)
    return m.group(1) if m else None


def retain_until(now: datetime | None = None, years: int = ARCHIVE_RETENTION_YEARS) -> datetime:
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    try:
        return now.replace(year=now.year + years)
    except ValueError:  # 29 February -> 1 March
        return now.replace(year=now.year + years, month=3, day=1)


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


class S3ObjectLockArchive(BucketAdapter):
    """``ArchivePort`` on an S3 bucket created with Object Lock (see ``einvoice.resources.BUCKETS``)."""

    def put(self, data: bytes, *, kind: str, content_type: str,
            metadata: dict[str, str] | None = None) -> ArchivedObject:
        from botocore.exceptions import ClientError

        key = content_key(kind, data, content_type)
        digest = hashlib.sha256(data).hexdigest()
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=key)
            if head.get("ContentLength") == len(data):
                until = head.get("ObjectLockRetainUntilDate")
                return ArchivedObject(key, digest, len(data), head.get("VersionId"),
                                      _iso(until) if until else "", created=False)
        except ClientError as exc:
            if error_code(exc) not in ("404", "NoSuchKey", "NotFound"):
                raise
        until = retain_until()
        meta = {"sha256": digest, **(metadata or {})}
        resp = self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            Metadata=meta,
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=until,
            ChecksumAlgorithm="SHA256",
        )
        return ArchivedObject(key, digest, len(data), resp.get("VersionId"), _iso(until), created=True)

    def get(self, key: str, version_id: str | None = None) -> bytes:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        data = self.s3.get_object(**kwargs)["Body"].read()
        expected = _sha_from_key(key)
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise ArchiveIntegrityError(f"archived object {key} does not match its SHA-256")
        return data


class MemoryArchive:
    """In-memory ``ArchivePort`` for unit tests (refuses overwrites like the real bucket)."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str, dict[str, str]]] = {}

    def put(self, data: bytes, *, kind: str, content_type: str,
            metadata: dict[str, str] | None = None) -> ArchivedObject:
        key = content_key(kind, data, content_type)
        created = key not in self.objects
        if created:
            self.objects[key] = (data, content_type, dict(metadata or {}))
        return ArchivedObject(key, hashlib.sha256(data).hexdigest(), len(data), "v1", _iso(retain_until()), created)

    def get(self, key: str, version_id: str | None = None) -> bytes:
        return self.objects[key][0]


def default_archive() -> S3ObjectLockArchive:
    from einvoice.settings import get_settings

    return S3ObjectLockArchive(get_settings().archive_bucket)
