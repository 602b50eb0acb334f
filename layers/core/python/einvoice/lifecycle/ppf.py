"""Flux 6: the mandatory statuses for the PPF (``PpfQueue`` adapter on the outbox bucket).

Each PPF copy (CDAR, guideline ``einvoicingF2``, validated before it is queued) is written to the
outbox bucket under ``ppf/flux6/<day>/FFE0654A_<invoice number>_<status>_<invoice id>_<event>.xml``,
next to the Flux 1 extracts (``ppf/flux1/``), where the PPF transport (tar.gz envelopes over SFTP or
the PISTE API, not built here) picks them up. ``FFE0654A`` is the interface code of "F6 mandatory
statuses" as a third-party implementation names it (UNCONFIRMED, like ``FFE0112A`` for Flux 1).
The name depends only on the invoice and the status event, so writing an item again replaces it.
"""

from __future__ import annotations

import hashlib
import re

from einvoice.adapters.aws.clients import BucketAdapter
from einvoice.lifecycle.ports import PpfItem

PREFIX = "ppf/flux6/"
INTERFACE = "FFE0654A"  # UNCONFIRMED (fr-reform §1.3)


def _safe(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-") or "x"


def object_name(item: PpfItem, day: str) -> str:
    event = f"_{_safe(item.event_id)}" if item.event_id else ""
    return f"{PREFIX}{day}/{INTERFACE}_{_safe(item.number or 'invoice')}_{item.status}_{_safe(item.invoice_id)}{event}.xml"


def _day(item: PpfItem) -> str:
    """The day of the status (MDT-78, from the PPF message id ``<platform>_<number>_<code>_<YYYYMMDDhhmmss>``)."""
    stamp = item.message_id.rsplit("_", 1)[-1]
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}" if stamp[:8].isdigit() and len(stamp) >= 8 else "undated"


class S3PpfStatusOutbox(BucketAdapter):
    def enqueue(self, item: PpfItem) -> dict[str, str]:
        from botocore.exceptions import ClientError

        from einvoice.adapters.aws.clients import error_code
        from einvoice.errors import UpstreamUnavailableError

        key = object_name(item, _day(item))
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=item.xml, ContentType="application/xml",
                               Metadata={"invoice-id": item.invoice_id, "status": str(item.status)})
        except ClientError as exc:
            raise UpstreamUnavailableError(f"the PPF outbox refused the status ({error_code(exc)})") from None
        return {"key": key, "sha256": hashlib.sha256(item.xml).hexdigest()}

    def discard(self, item: PpfItem) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=object_name(item, _day(item)))
