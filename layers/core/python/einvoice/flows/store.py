"""Flow records: what ``POST /v1/flows`` received (and the flows this platform addresses to a caller).

A flow belongs to its sender and its recipient (``principal`` of a Flow API client: ``platform:<id>`` or
``account:<id>``); nobody else sees it. DynamoDB items (data table, platform-level like the registry)::

    pk = FLOW#<flowId>  sk = FLOW
       gsi1pk = FLOWS#<sender>     gsi1sk = <updatedAt>#<flowId>    (flows a caller sent, by update time)
       gsi2pk = FLOWS#<recipient>  gsi2sk = <updatedAt>#<flowId>    (flows addressed to a caller)

The flow id is derived from (sender, trackingId, SHA-256): the conditional create of the item is the
uniqueness guard, so the same flow again is ``AlreadyExistingFlow`` however many times it is sent.
Search reads both indexes from a cursor (the last ``<updatedAt>#<flowId>`` returned) and merges them.
"""

from __future__ import annotations

import copy
import heapq
import threading
import uuid
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Iterator

MAX_SCANNED = 1000  # items read per search request at most (the cursor continues after them)


@dataclass
class FlowRecord:
    flow_id: str
    sender: str
    recipient: str | None
    tracking_id: str | None
    name: str | None
    flow_syntax: str
    flow_profile: str | None
    processing_rule: str | None
    processing_rule_source: str
    sha256: str
    size: int
    content_type: str
    submitted_at: str
    updated_at: str
    kind: str  # invoice | status
    file_key: str
    ack_status: str = "Pending"
    ack_details: list[dict[str, Any]] = field(default_factory=list)
    self_billed: bool = False
    status_side: str | None = None  # a status flow: "buyer" (set on the buyer's side) or "seller"
    result: dict[str, Any] = field(default_factory=dict)  # what the platform did with it

    @property
    def sort_key(self) -> str:
        return f"{self.updated_at}#{self.flow_id}"


def flow_id_for(sender: str, tracking_id: str | None, sha256: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"einvoice-flow:{sender}|{tracking_id or ''}|{sha256.lower()}"))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_item(r: FlowRecord) -> dict[str, Any]:
    from einvoice.invoicing.dynamodb import _dynamo

    item = {"pk": f"FLOW#{r.flow_id}", "sk": "FLOW", "type": "FLOW", **_dynamo(asdict(r)),
            "gsi1pk": f"FLOWS#{r.sender}", "gsi1sk": r.sort_key}
    if r.recipient:
        item.update({"gsi2pk": f"FLOWS#{r.recipient}", "gsi2sk": r.sort_key})
    return {k: v for k, v in item.items() if v is not None and v != {} and v != []}


def from_item(item: dict[str, Any]) -> FlowRecord:
    d = _plain(item)
    from dataclasses import MISSING

    fields_ = FlowRecord.__dataclass_fields__
    values = {k: d.get(k) for k, f in fields_.items() if f.default is MISSING and f.default_factory is MISSING}
    values.update({k: v for k, v in d.items() if k in fields_})
    return FlowRecord(**values)


class DynamoFlowStore:
    def __init__(self, table: Any) -> None:
        self.table = table

    def create(self, record: FlowRecord) -> tuple[FlowRecord, bool]:
        from botocore.exceptions import ClientError

        from einvoice.adapters.aws.clients import CONDITIONAL_CHECK_FAILED, error_code

        try:
            self.table.put_item(Item=to_item(record), ConditionExpression="attribute_not_exists(pk)")
            return record, True
        except ClientError as exc:
            if error_code(exc) != CONDITIONAL_CHECK_FAILED:
                raise
        existing = self.get(record.flow_id)
        return (existing or record), False

    def get(self, flow_id: str) -> FlowRecord | None:
        item = self.table.get_item(Key={"pk": f"FLOW#{flow_id}", "sk": "FLOW"}, ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def acknowledge(self, flow_id: str, *, status: str, details: list[dict[str, Any]], result: dict[str, Any],
                    now: str, recipient: str | None = None) -> None:
        """Set the acknowledgement and the recipient (and move the flow in the search order)."""
        from einvoice.invoicing.dynamodb import _dynamo

        sort_key = f"{now}#{flow_id}"
        values: dict[str, Any] = {":s": status, ":d": _dynamo(details), ":r": _dynamo(result), ":u": now,
                                  ":k": sort_key}
        expr = "SET ack_status = :s, ack_details = :d, #result = :r, updated_at = :u, gsi1sk = :k"
        current = self.get(flow_id)
        recipient = recipient or (current.recipient if current else None)
        if recipient:
            expr += ", recipient = :rc, gsi2pk = :rp, gsi2sk = :k"
            values.update({":rc": recipient, ":rp": f"FLOWS#{recipient}"})
        self.table.update_item(Key={"pk": f"FLOW#{flow_id}", "sk": "FLOW"}, UpdateExpression=expr,
                               ConditionExpression="attribute_exists(pk)",
                               ExpressionAttributeNames={"#result": "result"}, ExpressionAttributeValues=values)

    def _index(self, index: str, principal: str, after: str | None, before: str | None) -> Iterator[FlowRecord]:
        from boto3.dynamodb.conditions import Key

        pk, sk = f"{index}pk", f"{index}sk"
        cond = Key(pk).eq(f"FLOWS#{principal}")
        if after and before:
            cond = cond & Key(sk).between(after, before)
        elif after:
            cond = cond & Key(sk).gt(after)
        elif before:
            cond = cond & Key(sk).lt(before)
        kwargs: dict[str, Any] = {"IndexName": index, "KeyConditionExpression": cond, "Limit": 100}
        while True:
            page = self.table.query(**kwargs)
            for item in page.get("Items", []):
                record = from_item(item)
                if (after is None or record.sort_key > after) and (before is None or record.sort_key < before):
                    yield record
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def scan_for(self, principal: str, *, after: str | None, before: str | None) -> Iterator[FlowRecord]:
        """Flows sent by or addressed to ``principal``, oldest update first, strictly between the keys."""
        seen: set[str] = set()
        merged = heapq.merge(self._index("gsi1", principal, after, before),
                             self._index("gsi2", principal, after, before), key=lambda r: r.sort_key)
        for record in merged:
            if record.flow_id not in seen:
                seen.add(record.flow_id)
                yield record


class MemoryFlowStore:
    def __init__(self) -> None:
        self.flows: dict[str, FlowRecord] = {}
        self._lock = threading.Lock()

    def create(self, record: FlowRecord) -> tuple[FlowRecord, bool]:
        with self._lock:
            if record.flow_id in self.flows:
                return copy.deepcopy(self.flows[record.flow_id]), False
            self.flows[record.flow_id] = copy.deepcopy(record)
            return copy.deepcopy(record), True

    def get(self, flow_id: str) -> FlowRecord | None:
        with self._lock:
            found = self.flows.get(flow_id)
            return copy.deepcopy(found) if found else None

    def acknowledge(self, flow_id: str, *, status: str, details: list[dict[str, Any]], result: dict[str, Any],
                    now: str, recipient: str | None = None) -> None:
        with self._lock:
            r = self.flows[flow_id]
            r.ack_status, r.ack_details, r.result, r.updated_at = status, copy.deepcopy(details), dict(result), now
            r.recipient = recipient or r.recipient

    def scan_for(self, principal: str, *, after: str | None, before: str | None) -> Iterator[FlowRecord]:
        with self._lock:
            rows = sorted((copy.deepcopy(r) for r in self.flows.values() if principal in (r.sender, r.recipient)),
                          key=lambda r: r.sort_key)
        for r in rows:
            if (after is None or r.sort_key > after) and (before is None or r.sort_key < before):
                yield r
