"""DynamoDB adapter of ``InvoiceRepository`` on the ``data`` table.

Items (``einvoice.resources``)::

    pk = ACC#<accountId>  sk = INVOICE#<id>        the record: small, rewritten on each status change
        gsi1pk = ACC#<accountId>#INV#<direction>  gsi1sk = <companyId>#<createdAt>#<id>  (lists)
    pk = ACC#<accountId>  sk = INVOICE#<id>#DOC    the invoice (EN 16931 JSON), written once
    pk = ACC#<accountId>  sk = DUPKEY#<companyId>#<seller>#<number>#<year>   duplicate-control guard

The invoice JSON lives in its own item because DynamoDB bills an update by the size of the whole
item: each status change rewrites ~1-2 KB instead of ~6 KB. Both items are created in one
transaction (nothing half-written). Every change is a conditional update: a status or attempt is
appended only if its key is not yet in ``eventKeys``, so a retried task cannot record it twice.
"""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal
from typing import Any

from einvoice.adapters.aws.clients import CONDITIONAL_CHECK_FAILED, error_code
from einvoice.invoicing.records import (
    DONE,
    DRAFT,
    ISSUING,
    Attempt,
    InvoiceRecord,
    RecordUpdate,
    StatusEvent,
    is_terminal,
)

# record attribute -> item attribute (plain values; maps and lists stored as DynamoDB maps/lists)
_ATTRS = {
    "company_id": "companyId", "direction": "direction", "state": "state", "number": "number",
    "issue_date": "issueDate", "type_code": "typeCode", "profile": "profile", "duplicate_key": "duplicateKey",
    "fingerprint": "fingerprint", "created_at": "createdAt", "updated_at": "updatedAt", "source": "source",
    "status_code": "statusCode", "status_reason": "statusReason", "transmission_id": "transmissionId",
    "execution_seq": "executionSeq", "next_attempt_at": "nextAttemptAt", "seller_siren": "sellerSiren",
    "buyer_siren": "buyerSiren", "buyer_address": "buyerAddress", "input": "input", "rejection": "rejection",
    "route": "route", "document": "document", "archive": "archive", "flux1": "flux1",
    "counterpart": "counterpart", "peer_record": "peerRecord", "flux6": "flux6", "extra": "extra",
}
MAX_QUERY_PAGES = 10


def _pk(account_id: str) -> str:
    return f"ACC#{account_id}"


def _sk(invoice_id: str) -> str:
    return f"INVOICE#{invoice_id}"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(v) for v in value]
    return value


def _dynamo(value: Any) -> Any:
    """Floats are not accepted by boto3: numbers in maps become Decimal."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_dynamo(v) for v in value]
    return value


def to_item(r: InvoiceRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": _pk(r.account_id), "sk": _sk(r.id), "type": "INVOICE", "id": r.id, "accountId": r.account_id,
        "gsi1pk": f"{_pk(r.account_id)}#INV#{r.direction}", "gsi1sk": f"{r.company_id}#{r.created_at}#{r.id}",
        "statusHistory": [s.to_item() for s in r.status_history], "attempts": [a.to_item() for a in r.attempts],
    }
    exchanged = r.direction != "sent" or bool(r.transmission_id)
    if r.seller_siren and exchanged:
        # platform-wide lookup of an exchanged invoice by its reference (incoming statuses)
        item["gsi2pk"] = reference_key(r.seller_siren, r.number)
        item["gsi2sk"] = f"{r.issue_date}#{r.direction}#{r.account_id}#{r.id}"
    keys = [s.key for s in r.status_history] + [a.key for a in r.attempts]
    if keys:
        item["eventKeys"] = set(keys)
    for attr, name in _ATTRS.items():
        value = getattr(r, attr)
        if value is not None and value != {}:
            item[name] = _dynamo(value)
    return item


def reference_key(seller_siren: str, number: str) -> str:
    return f"INVREF#{seller_siren}#{number}"


def from_item(item: dict[str, Any], invoice: dict[str, Any] | None = None) -> InvoiceRecord:
    d = _plain(item)
    values = {attr: d.get(name) for attr, name in _ATTRS.items() if d.get(name) is not None}
    values.setdefault("extra", {})
    values["execution_seq"] = int(values.get("execution_seq") or 0)
    return InvoiceRecord(
        id=d["id"], account_id=d["accountId"], invoice=invoice,
        status_history=[StatusEvent.from_item(s) for s in d.get("statusHistory") or []],
        attempts=[Attempt.from_item(a) for a in d.get("attempts") or []],
        **values,
    )


def _used(placeholder: str, text: str) -> bool:
    return re.search(re.escape(placeholder) + r"(?![0-9A-Za-z_])", text) is not None


def _encode_token(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(_plain(key)).encode()).decode() if key else None


def _decode_token(token: str) -> dict[str, Any]:
    from einvoice.errors import BadRequestError, ErrorDetail

    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
        if not isinstance(key, dict) or not all(isinstance(v, str) for v in key.values()):
            raise ValueError
        return key
    except (ValueError, TypeError):
        raise BadRequestError("nextToken is not valid", [ErrorDetail("unreadable token", field="nextToken")]) from None


class DynamoInvoiceRepository:
    def __init__(self, table: Any) -> None:
        self.table = table

    # ---- create / read ---------------------------------------------------------------------
    def create(self, record: InvoiceRecord) -> tuple[InvoiceRecord, bool]:
        from botocore.exceptions import ClientError

        # the resource's client serializes Python values itself
        head = to_item(record)
        items = [{"Put": {"TableName": self.table.name, "Item": head,
                          "ConditionExpression": "attribute_not_exists(pk)"}}]
        if record.invoice is not None:
            doc = {"pk": head["pk"], "sk": f"{head['sk']}#DOC", "invoice": json.dumps(record.invoice)}
            items.append({"Put": {"TableName": self.table.name, "Item": doc}})
        try:
            self.table.meta.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) not in ("TransactionCanceledException", CONDITIONAL_CHECK_FAILED):
                raise
            existing = self.get(record.account_id, record.id)
            if existing is None:
                raise
            return existing, False
        return record, True

    def get(self, account_id: str, invoice_id: str, *, with_invoice: bool = True) -> InvoiceRecord | None:
        if not with_invoice:
            item = self.table.get_item(Key={"pk": _pk(account_id), "sk": _sk(invoice_id)},
                                       ConsistentRead=True).get("Item")
            return from_item(item) if item else None
        from boto3.dynamodb.conditions import Key

        page = self.table.query(
            KeyConditionExpression=Key("pk").eq(_pk(account_id)) & Key("sk").begins_with(_sk(invoice_id)),
            ConsistentRead=True,
        )
        items = {i["sk"]: i for i in page.get("Items", [])}
        head = items.get(_sk(invoice_id))
        if head is None:
            return None
        doc = items.get(f"{_sk(invoice_id)}#DOC")
        return from_item(head, json.loads(doc["invoice"]) if doc else None)

    def list(self, account_id: str, *, direction: str, company_id: str | None = None, status: str | None = None,
             limit: int = 50, token: str | None = None) -> tuple[list[InvoiceRecord], str | None]:
        from boto3.dynamodb.conditions import Attr, Key

        cond = Key("gsi1pk").eq(f"{_pk(account_id)}#INV#{direction}")
        if company_id:
            cond = cond & Key("gsi1sk").begins_with(f"{company_id}#")
        kwargs: dict[str, Any] = {"IndexName": "gsi1", "KeyConditionExpression": cond, "ScanIndexForward": False}
        if status:
            kwargs["FilterExpression"] = Attr("statusCode").eq(status)
        if token:
            kwargs["ExclusiveStartKey"] = _decode_token(token)
        out: list[InvoiceRecord] = []
        last: dict[str, Any] | None = None
        for _ in range(MAX_QUERY_PAGES):  # bounded work per request; a filter may need several pages
            kwargs["Limit"] = limit - len(out)
            page = self.table.query(**kwargs)
            out.extend(from_item(i) for i in page.get("Items", []))
            last = page.get("LastEvaluatedKey")
            if not last or len(out) >= limit:
                break
            kwargs["ExclusiveStartKey"] = last
        return out, _encode_token(last)

    def find_by_reference(self, seller_siren: str, number: str, issue_date: str) -> list[InvoiceRecord]:
        """Every record (any account, any direction) of the invoice (seller SIREN, BT-1, BT-2) that was
        exchanged: received, or sent with a transmission (incoming statuses are matched on this)."""
        from boto3.dynamodb.conditions import Key

        page = self.table.query(IndexName="gsi2", KeyConditionExpression=Key("gsi2pk").eq(
            reference_key(seller_siren, number)) & Key("gsi2sk").begins_with(f"{issue_date}#"), Limit=50)
        return [from_item(i) for i in page.get("Items", [])]

    # ---- changes -----------------------------------------------------------------------------
    def _update(self, account_id: str, invoice_id: str, **kwargs: Any) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.table.update_item(Key={"pk": _pk(account_id), "sk": _sk(invoice_id)}, **kwargs)
            return True
        except ClientError as exc:
            if error_code(exc) == CONDITIONAL_CHECK_FAILED:
                return False
            raise

    def start_transmission(self, account_id: str, invoice_id: str, *, transmission_id: str,
                           now: str) -> tuple[InvoiceRecord | None, bool]:
        values: dict[str, Any] = {":t": transmission_id, ":issuing": ISSUING, ":draft": DRAFT, ":one": 1,
                                  ":now": now}
        expr = ("SET transmissionId = :t, #state = :issuing, executionSeq = :one, updatedAt = :now, "
                "gsi2pk = :ref, gsi2sk = :refsk")
        current = self.get(account_id, invoice_id, with_invoice=False)
        if current is None:
            return None, False
        values[":ref"] = reference_key(current.seller_siren or "-", current.number)
        values[":refsk"] = f"{current.issue_date}#{current.direction}#{account_id}#{invoice_id}"
        started = self._update(
            account_id, invoice_id, UpdateExpression=expr,
            ConditionExpression="attribute_exists(pk) AND #state = :draft AND attribute_not_exists(transmissionId)",
            ExpressionAttributeNames={"#state": "state"}, ExpressionAttributeValues=values,
        )
        return self.get(account_id, invoice_id, with_invoice=False), started

    def apply(self, account_id: str, invoice_id: str, update: RecordUpdate) -> bool:
        names: dict[str, str] = {"#state": "state"}
        values: dict[str, Any] = {}
        sets: dict[str, str] = {}
        removes: list[str] = []
        conds = ["attribute_exists(pk)"]
        keys: list[str] = []
        for i, (attr, value) in enumerate(update.fields.items()):
            name = _ATTRS[attr]
            names[f"#f{i}"] = name
            if value is None:
                removes.append(f"#f{i}")
            else:
                sets[name] = f"#f{i} = :f{i}"
                values[f":f{i}"] = _dynamo(value)
        if update.status is not None:
            s = update.status
            values.update({":st": [s.to_item()], ":empty": [], ":code": s.code, ":skey": s.key})
            sets["statusHistory"] = "statusHistory = list_append(if_not_exists(statusHistory, :empty), :st)"
            sets["statusCode"] = "statusCode = :code"
            if s.reason:
                sets["statusReason"] = "statusReason = :reason"
                values[":reason"] = s.reason
            else:
                removes.append("statusReason")
            conds.append("(attribute_not_exists(eventKeys) OR NOT contains(eventKeys, :skey))")
            keys.append(s.key)
            if is_terminal(s.code, s.reason):
                sets["state"] = "#state = :done"
                values[":done"] = DONE
                removes.append("nextAttemptAt")
        if update.attempt is not None:
            a = update.attempt
            values.update({":at": [_dynamo(a.to_item())], ":empty": [], ":akey": a.key})
            sets["attempts"] = "attempts = list_append(if_not_exists(attempts, :empty), :at)"
            conds.append("(attribute_not_exists(eventKeys) OR NOT contains(eventKeys, :akey))")
            keys.append(a.key)
        if update.history_length is not None:
            values[":hlen"] = update.history_length
            conds.append("size(statusHistory) = :hlen" if update.history_length else
                         "(attribute_not_exists(statusHistory) OR size(statusHistory) = :hlen)")
        if update.require_state:
            placeholders = []
            for i, st in enumerate(update.require_state):
                values[f":rs{i}"] = st
                placeholders.append(f":rs{i}")
            conds.append(f"#state IN ({', '.join(placeholders)})")
        if update.now:
            sets["updatedAt"] = "updatedAt = :now"
            values[":now"] = update.now
        removes = [r for r in dict.fromkeys(removes) if r not in sets]
        expr = ""
        if sets:
            expr += "SET " + ", ".join(sets.values())
        if keys:
            expr += " ADD eventKeys :keys"
            values[":keys"] = set(keys)
        if removes:
            expr += " REMOVE " + ", ".join(removes)
        if not expr:
            return True
        text = expr + " " + " AND ".join(conds)
        names = {k: v for k, v in names.items() if _used(k, text)}
        values = {k: v for k, v in values.items() if _used(k, text)}
        kwargs: dict[str, Any] = {"UpdateExpression": expr.strip(), "ConditionExpression": " AND ".join(conds),
                                  "ExpressionAttributeNames": names}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        return self._update(account_id, invoice_id, **kwargs)

    def claim_execution(self, account_id: str, invoice_id: str, *, expected_seq: int, now: str) -> bool:
        return self._update(
            account_id, invoice_id,
            UpdateExpression="SET executionSeq = :next, updatedAt = :now REMOVE nextAttemptAt",
            ConditionExpression="#state = :issuing AND executionSeq = :seq",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":next": expected_seq + 1, ":seq": expected_seq, ":issuing": ISSUING,
                                       ":now": now},
        )

    def _dup_key(self, account_id: str, company_id: str, duplicate_key: str) -> dict[str, str]:
        return {"pk": _pk(account_id), "sk": f"DUPKEY#{company_id}#{duplicate_key}"}

    def claim_duplicate_key(self, account_id: str, company_id: str, duplicate_key: str, invoice_id: str) -> str:
        from botocore.exceptions import ClientError

        key = self._dup_key(account_id, company_id, duplicate_key)
        try:
            self.table.put_item(Item={**key, "type": "DUPKEY", "invoiceId": invoice_id},
                                ConditionExpression="attribute_not_exists(pk) OR invoiceId = :id",
                                ExpressionAttributeValues={":id": invoice_id})
            return invoice_id
        except ClientError as exc:
            if error_code(exc) != CONDITIONAL_CHECK_FAILED:
                raise
        return self.duplicate_owner(account_id, company_id, duplicate_key) or invoice_id

    def duplicate_owner(self, account_id: str, company_id: str, duplicate_key: str) -> str | None:
        item = self.table.get_item(Key=self._dup_key(account_id, company_id, duplicate_key),
                                   ConsistentRead=True).get("Item")
        return str(item["invoiceId"]) if item else None
