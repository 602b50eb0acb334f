"""AWS adapters of the transmission ports: the PPF outbox (S3), status events (EventBridge), the
redelivery queue (SQS), the company options (data table), the deposited files (S3 staging)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from einvoice.adapters.aws.clients import BucketAdapter, error_code
from einvoice.transmission.errors import StorageUnavailableError

EVENT_SOURCE = "einvoice.transmission"
MAX_SQS_DELAY = 900


def _client(service: str) -> Any:
    from einvoice.adapters.aws.clients import client

    return client(service)


class S3PpfOutbox:
    """``PpfPort``: Flux 1 extracts written to the outbox bucket (``ppf/flux1/...``), from which the
    PPF transport (envelopes over SFTP / API, not implemented here) picks them up. A person can read
    the prefix locally (moto S3). Rewriting the same name with the same bytes is harmless."""

    def __init__(self, bucket: str, s3: Any = None) -> None:
        self.bucket = bucket
        self.s3 = s3 or _client("s3")

    def submit_flux1(self, *, name: str, data: bytes) -> dict[str, str]:
        import hashlib

        from botocore.exceptions import ClientError

        try:
            self.s3.put_object(Bucket=self.bucket, Key=name, Body=data, ContentType="application/xml")
        except ClientError as exc:
            raise StorageUnavailableError(f"PPF outbox write refused ({error_code(exc)})") from None
        return {"key": name, "sha256": hashlib.sha256(data).hexdigest()}


class EventBridgePublisher:
    """``EventPublisher``: the platform's events on its bus (``InvoiceStatusChanged`` from the invoices,
    ``ImportFinished``, ``EnrolmentFinished``, ``PaymentCreated``; an event may name its ``source``), which
    the webhook fan-out consumes."""

    def __init__(self, bus_name: str, events: Any = None) -> None:
        self.bus_name = bus_name
        self.events = events or _client("events")

    def publish(self, events: list[dict[str, Any]]) -> None:
        entries = [{"Source": e.get("source", EVENT_SOURCE), "DetailType": e["type"], "Detail": json.dumps(e["detail"]),
                    "EventBusName": self.bus_name} for e in events]
        for start in range(0, len(entries), 10):
            batch = entries[start:start + 10]
            for _ in range(2):
                resp = self.events.put_events(Entries=batch)
                if not resp.get("FailedEntryCount"):
                    break
                batch = [entry for entry, result in zip(batch, resp["Entries"], strict=True)
                         if result.get("ErrorCode")]
            else:
                raise StorageUnavailableError("EventBridge refused the status events")


class SqsRedeliveryQueue:
    """``RedeliveryQueue``: delayed messages (at most 15 minutes per hop) to the redelivery Lambda."""

    def __init__(self, queue_url: str, sqs: Any = None) -> None:
        self.queue_url = queue_url
        self.sqs = sqs or _client("sqs")

    def send(self, message: dict[str, Any], *, delay_seconds: int) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(message),
                              DelaySeconds=max(0, min(int(delay_seconds), MAX_SQS_DELAY)))


@dataclass(frozen=True)
class CompanyOptions:
    company_id: str
    siren: str
    name: str
    sales_invoices: bool
    purchase_invoices: bool
    duplicate_control: bool
    purchase_payment: bool = False
    preferred_format: str = "facturx"  # facturx | cii | ubl: received invoices are offered in it


class DynamoCompanyLookup:
    """The company options a transmission needs, and the accounts serving a SIREN (internal reception)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    @staticmethod
    def _options(item: dict[str, Any]) -> CompanyOptions:
        ident = str(item.get("identifier") or item.get("siren") or "")
        return CompanyOptions(company_id=str(item["id"]), siren=str(item.get("siren") or ident[:9]),
                              name=str(item.get("name") or ""), sales_invoices=bool(item.get("salesInvoices")),
                              purchase_invoices=bool(item.get("purchaseInvoices")),
                              duplicate_control=bool(item.get("duplicateControl")),
                              purchase_payment=bool(item.get("purchasePayment")),
                              preferred_format=str(item.get("preferredFormat") or "facturx"))

    def get(self, account_id: str, company_id: str) -> CompanyOptions | None:
        item = self.table.get_item(Key={"pk": f"ACC#{account_id}", "sk": f"COMPANY#{company_id}"}).get("Item")
        return self._options(item) if item else None

    def serving(self, siren: str) -> list[tuple[str, CompanyOptions]]:
        """``[(accountId, company)]`` of the companies with this SIREN that receive purchase invoices here."""
        return [(acc, c) for acc, c in self.companies_for(siren) if c.purchase_invoices]

    def companies_for(self, siren: str) -> list[tuple[str, CompanyOptions]]:
        """``[(accountId, company)]`` of every company with this SIREN, in any account."""
        from boto3.dynamodb.conditions import Key

        out = []
        kwargs: dict[str, Any] = {"IndexName": "gsi2", "KeyConditionExpression": Key("gsi2pk").eq(f"IDENT#{siren}")}
        while True:
            page = self.table.query(**kwargs)
            for item in page.get("Items", []):
                if item.get("type") == "COMPANY":
                    out.append((str(item["accountId"]), self._options(item)))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class S3Staging(BucketAdapter):
    """Deposited invoice files until their transmission archives them (drop bucket ``uploads/``, which
    a lifecycle rule empties after 90 days)."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            raise StorageUnavailableError(f"staged file unreadable ({error_code(exc)})") from None
