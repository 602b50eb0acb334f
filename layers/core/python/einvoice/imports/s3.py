"""``ImportFiles`` on S3 (the drop bucket): uploaded bodies, dropped files, reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from einvoice.imports.model import SourceUnreadableError
from einvoice.imports.ports import FileInfo

MIN_PART_BYTES = 5 * 1024 * 1024  # S3 multipart minimum (except the last part)


class S3ImportFiles:
    def __init__(self, s3: Any) -> None:
        self.s3 = s3

    @classmethod
    def from_settings(cls, settings: Any) -> S3ImportFiles:
        from einvoice.adapters.aws.clients import client

        return cls(client("s3", settings))

    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None:
        self.s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)

    def head(self, bucket: str, key: str) -> FileInfo | None:
        from einvoice.adapters.aws.clients import error_code

        try:
            out = self.s3.head_object(Bucket=bucket, Key=key)
        except Exception as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        meta = {k.lower(): v for k, v in (out.get("Metadata") or {}).items()}
        return FileInfo(int(out.get("ContentLength", 0)), out.get("ETag", "").strip('"'), meta)

    def read(self, bucket: str, key: str, start: int, length: int) -> bytes:
        from einvoice.adapters.aws.clients import error_code

        if length <= 0:
            return b""
        try:
            out = self.s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{start + length - 1}")
        except Exception as exc:
            if error_code(exc) in ("NoSuchKey", "InvalidRange", "404"):
                raise SourceUnreadableError("the file is no longer in the bucket") from None
            raise
        return out["Body"].read()

    def write_stream(self, bucket: str, key: str, parts: Iterable[bytes], *, content_type: str, filename: str) -> None:
        """Small reports in one PutObject; larger ones as a multipart upload of >= 5 MiB parts, so
        memory stays bounded by one part whatever the report's size."""
        extra = {"ContentType": content_type, "ContentDisposition": f'attachment; filename="{filename}"'}
        buf = bytearray()
        upload_id = None
        done: list[dict] = []
        try:
            for part in parts:
                buf += part
                if len(buf) >= MIN_PART_BYTES:
                    if upload_id is None:
                        upload_id = self.s3.create_multipart_upload(Bucket=bucket, Key=key, **extra)["UploadId"]
                    n = len(done) + 1
                    etag = self.s3.upload_part(
                        Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=bytes(buf)
                    )["ETag"]
                    done.append({"PartNumber": n, "ETag": etag})
                    buf.clear()
            if upload_id is None:
                self.s3.put_object(Bucket=bucket, Key=key, Body=bytes(buf), **extra)
                return
            if buf:
                n = len(done) + 1
                etag = self.s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n, Body=bytes(buf))
                done.append({"PartNumber": n, "ETag": etag["ETag"]})
            self.s3.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done}
            )
        except Exception:
            if upload_id is not None:
                self.s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            raise

    def presign(self, bucket: str, key: str, *, expires: int) -> str:
        return self.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires)
