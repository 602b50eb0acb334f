"""AWS adapters of the OCR ports: the job records (DynamoDB data table), the working copies
(S3 drop bucket under ``uploads/ocr/``, expired by the bucket's 90-day rule), the directory
names and the hand-off of an accepted result to the invoicing area."""

from __future__ import annotations

import json
from typing import Any

from einvoice.adapters.aws.clients import CONDITIONAL_CHECK_FAILED, BucketAdapter, error_code

_JSON_ATTRS = ("result", "corrections", "documents", "error")


class DynamoOcrRepository:
    """Jobs as ``pk = ACC#<accountId>``, ``sk = OCR#<id>`` items; nested documents as JSON strings."""

    def __init__(self, table: Any) -> None:
        self.table = table

    @staticmethod
    def _key(account_id: str, ocr_id: str) -> dict[str, str]:
        return {"pk": f"ACC#{account_id}", "sk": f"OCR#{ocr_id}"}

    @staticmethod
    def _encode(values: dict[str, Any]) -> dict[str, Any]:
        return {k: (json.dumps(v, default=str) if k in _JSON_ATTRS and v is not None else v) for k, v in values.items()}

    def create(self, job: dict[str, Any]) -> bool:
        from botocore.exceptions import ClientError

        item = {**self._key(job["accountId"], job["id"]), **self._encode(job)}
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
            return True
        except ClientError as exc:
            if error_code(exc) == CONDITIONAL_CHECK_FAILED:
                return False
            raise

    def get(self, account_id: str, ocr_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key=self._key(account_id, ocr_id), ConsistentRead=True).get("Item")
        if not item:
            return None
        out = {k: v for k, v in item.items() if k not in ("pk", "sk")}
        for k in _JSON_ATTRS:
            if isinstance(out.get(k), str):
                out[k] = json.loads(out[k])
        if "pages" in out and out["pages"] is not None:
            out["pages"] = int(out["pages"])
        return out

    def update(self, account_id: str, ocr_id: str, changes: dict[str, Any], *,
               only_from: tuple[str, ...] | None = None) -> bool:
        from botocore.exceptions import ClientError

        values = self._encode(changes)
        names = {f"#a{i}": k for i, k in enumerate(values)}
        expr_values = {f":v{i}": v for i, v in enumerate(values.values())}
        expr = "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values)))
        cond = "attribute_exists(pk)"
        if only_from:
            names["#state"] = "state"
            cond += " AND #state IN (" + ", ".join(f":s{i}" for i in range(len(only_from))) + ")"
            expr_values.update({f":s{i}": s for i, s in enumerate(only_from)})
        try:
            self.table.update_item(Key=self._key(account_id, ocr_id), UpdateExpression=expr,
                                   ConditionExpression=cond, ExpressionAttributeNames=names,
                                   ExpressionAttributeValues=expr_values)
            return True
        except ClientError as exc:
            if error_code(exc) == CONDITIONAL_CHECK_FAILED:
                return False
            raise


class S3DocumentStore(BucketAdapter):
    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()


class DirectoryNameAdapter:
    """``DirectoryNames`` on the directory area (per-container cache; an outage raises)."""

    def __init__(self, settings: Any = None) -> None:
        self.settings = settings

    def __call__(self, siren: str) -> str | None:
        from einvoice.directory.cache import get_directory

        unit = get_directory(self.settings).get_siren(siren)
        return unit.name if unit is not None else None


class InvoicingReceivedInvoices:
    """``ReceivedInvoices`` on the invoicing area's invoice records (``INVOICE#<id>``)."""

    def __init__(self, settings: Any = None) -> None:
        self.settings = settings

    def create_received(self, *, account_id: str, company_id: str, invoice: Any, documents: dict[str, Any],
                        source: str, reference: str) -> str:
        from einvoice.invoicing.service import create_received_invoice

        return create_received_invoice(account_id, company_id, invoice, documents=documents, source=source,
                                       reference=reference, settings=self.settings)
