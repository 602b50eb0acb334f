"""Daily bundles of the archive: the ten-year copy of every invoice container, few and large objects.

Once a day (``archive_bundle``, scheduled) the containers written under ``invoices/<day>/<account>/``
are copied byte for byte into ``bundles/<day>/<account>.tar`` (a plain ustar archive, readable by any
tool) under COMPLIANCE for ``ARCHIVE_RETENTION_YEARS``, with ``bundles/<day>/<account>.manifest.json``
listing each container's key, version, SHA-256 and byte offset in the tar. A single invoice is then
proven by a ranged read of the bundle and its SHA-256 (the one kept in the invoice record).

A lifecycle rule moves bundles to a colder class after their first month and expires the hot
containers after their short retention (``einvoice.resources``). Streaming: the tar is uploaded in
8 MB multipart parts, so memory stays bounded whatever the day's volume. Idempotent: a day already
bundled for an account is skipped (write-once keys).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from datetime import datetime, timedelta, timezone
from typing import Any

from einvoice.resources import ARCHIVE_BUNDLE_PREFIX, ARCHIVE_HOT_PREFIX, ARCHIVE_RETENTION_YEARS

PART_BYTES = 8 * 1024 * 1024


def bundle_keys(day: str, account_id: str) -> tuple[str, str]:
    base = f"{ARCHIVE_BUNDLE_PREFIX}{day}/{account_id}"
    return base + ".tar", base + ".manifest.json"


class _MultipartWriter(io.RawIOBase):
    """A write-only stream uploading ``PART_BYTES`` parts of one multipart upload."""

    def __init__(self, s3: Any, bucket: str, key: str, until: datetime) -> None:
        self.s3, self.bucket, self.key, self.until = s3, bucket, key, until
        self.upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/x-tar",
                                                 ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until,
                                                 ChecksumAlgorithm="SHA256")["UploadId"]
        self.buffer = bytearray()
        self.parts: list[dict[str, Any]] = []
        self.position = 0
        self.digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.buffer += chunk
        self.position += len(chunk)
        self.digest.update(chunk)
        if len(self.buffer) >= PART_BYTES:
            self._flush_part()
        return len(chunk)

    def _flush_part(self) -> None:
        number = len(self.parts) + 1
        resp = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload, PartNumber=number,
                                   Body=bytes(self.buffer), ChecksumAlgorithm="SHA256")
        self.parts.append({"PartNumber": number, "ETag": resp["ETag"], "ChecksumSHA256": resp.get("ChecksumSHA256")})
        self.buffer.clear()

    def finish(self) -> dict[str, Any]:
        if self.buffer or not self.parts:
            self._flush_part()
        parts = [{k: v for k, v in p.items() if v is not None} for p in self.parts]
        resp = self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload,
                                                 MultipartUpload={"Parts": parts})
        # set again on the completed version: not every S3 implementation carries it over from the upload
        self.s3.put_object_retention(Bucket=self.bucket, Key=self.key, VersionId=resp.get("VersionId"),
                                     Retention={"Mode": "COMPLIANCE", "RetainUntilDate": self.until})
        return {"key": self.key, "versionId": resp.get("VersionId"), "size": self.position,
                "sha256": self.digest.hexdigest()}

    def abort(self) -> None:
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload)


def _original_versions(s3: Any, bucket: str, prefix: str) -> dict[str, dict[str, Any]]:
    """Per key, the first version written (containers are write-once; anything put on top is ignored)."""
    out: dict[str, dict[str, Any]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for v in page.get("Versions", []):
            known = out.get(v["Key"])
            if known is None or v["LastModified"] < known["LastModified"]:
                out[v["Key"]] = v
    return out


def _exists(s3: Any, bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError:
        return False


def bundle_day(day: str, *, bucket: str, s3: Any = None, now: datetime | None = None) -> list[dict[str, Any]]:
    """Bundle the containers of ``day`` (``YYYY-MM-DD``), one bundle per account; returns a summary."""
    from einvoice.archive import retain_until

    if s3 is None:
        from einvoice.adapters.aws.clients import client

        s3 = client("s3")
    versions = _original_versions(s3, bucket, f"{ARCHIVE_HOT_PREFIX}{day}/")
    accounts: dict[str, list[dict[str, Any]]] = {}
    for key, v in sorted(versions.items()):
        accounts.setdefault(key.split("/")[2], []).append(v)
    until = retain_until(now, ARCHIVE_RETENTION_YEARS)
    out = []
    for account_id, items in sorted(accounts.items()):
        tar_key, manifest_key = bundle_keys(day, account_id)
        if _exists(s3, bucket, manifest_key):
            out.append({"accountId": account_id, "key": tar_key, "skipped": True})
            continue
        writer = _MultipartWriter(s3, bucket, tar_key, until)
        entries = []
        try:
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.USTAR_FORMAT) as tar:
                for v in items:
                    data = s3.get_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])["Body"].read()
                    info = tarfile.TarInfo(v["Key"].rsplit("/", 1)[-1])
                    info.size, info.mtime = len(data), int(v["LastModified"].timestamp())
                    entries.append({"key": v["Key"], "versionId": v["VersionId"], "name": info.name,
                                    "offset": tar.offset + tarfile.BLOCKSIZE, "size": len(data),
                                    "sha256": hashlib.sha256(data).hexdigest()})
                    tar.addfile(info, io.BytesIO(data))
            stored = writer.finish()
        except Exception:
            writer.abort()
            raise
        manifest = {"day": day, "accountId": account_id, "bundle": stored, "retainUntil": until.isoformat(),
                    "containers": entries}
        s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest, indent=1).encode(),
                      ContentType="application/json", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until,
                      ChecksumAlgorithm="SHA256", IfNoneMatch="*")
        out.append({"accountId": account_id, "key": tar_key, "containers": len(entries), "bytes": stored["size"]})
    return out


def read_from_bundle(container_key: str, *, bucket: str, s3: Any = None) -> bytes:
    """A container's bytes from its day's bundle (ranged read), once the hot copy has expired."""
    if s3 is None:
        from einvoice.adapters.aws.clients import client

        s3 = client("s3")
    _, day, account_id, _name = container_key.split("/", 3)
    tar_key, manifest_key = bundle_keys(day, account_id)
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    entry = next(e for e in manifest["containers"] if e["key"] == container_key)
    byte_range = f"bytes={entry['offset']}-{entry['offset'] + entry['size'] - 1}"
    return s3.get_object(Bucket=bucket, Key=tar_key, VersionId=manifest["bundle"].get("versionId"),
                         Range=byte_range)["Body"].read()


def yesterday(now: datetime | None = None) -> str:
    return ((now or datetime.now(timezone.utc)) - timedelta(days=1)).date().isoformat()


def run(event: dict[str, Any] | None = None, settings: Any = None) -> dict[str, Any]:
    """The scheduled task: ``{"day": "YYYY-MM-DD"}`` (default yesterday) -> ``{day, bundles}``."""
    if settings is None:
        from einvoice.settings import get_settings

        settings = get_settings()
    day = (event or {}).get("day") or yesterday()
    return {"day": day, "bundles": bundle_day(day, bucket=settings.archive_bucket)}
