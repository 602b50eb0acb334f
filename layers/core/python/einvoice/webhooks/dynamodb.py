"""DynamoDB adapters of the webhook stores, on the data table.

Items (see ``einvoice.resources``):

* ``pk=ACC#<accountId>``, ``sk=WEBHOOK#<id>``: a subscription (URL, event types, secret, description);
* ``pk=ACC#<accountId>``, ``sk=WHDLV#<id>``: a delivery (the frozen event body, status, attempts,
  last outcome). While PENDING it is in the sparse ``gsi2`` under ``gsi2pk=WHDUE``,
  ``gsi2sk=<nextAttemptAt>#<accountId>#<id>`` (the platform-wide queue the scheduled sender reads,
  never tenant-visible); while DEAD in ``gsi1`` under ``gsi1pk=ACC#<accountId>#WHDEAD``,
  ``gsi1sk=<deadAt>#<id>`` (the account's dead-letter list). Delivered and dead deliveries expire
  after ``RETENTION_DAYS`` (``expiresAt`` TTL).

Claims and results are conditional writes on the attempt count, so two senders never both record an
attempt. Scaling note: one ``WHDUE`` partition serves the whole queue (about 1,000 writes/s); shard the
key if deliveries ever exceed that.
"""

from __future__ import annotations

from typing import Any

from einvoice.adapters.aws.clients import CONDITIONAL_CHECK_FAILED, error_code
from einvoice.webhooks.model import DEAD, PENDING, RETENTION_DAYS, Delivery, Subscription, parse_iso

DUE_KEY = "WHDUE"


def _pk(account_id: str) -> str:
    return f"ACC#{account_id}"


def _conditional(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
        return True
    except Exception as exc:  # botocore ClientError
        if error_code(exc) == CONDITIONAL_CHECK_FAILED:
            return False
        raise


def _plain(value: Any) -> Any:
    from decimal import Decimal

    return int(value) if isinstance(value, Decimal) else value


class DynamoSubscriptions:
    def __init__(self, table: Any) -> None:
        self.table = table

    def create(self, subscription: Subscription) -> None:
        item = {"pk": _pk(subscription.account_id), "sk": f"WEBHOOK#{subscription.id}", "type": "WEBHOOK",
                "id": subscription.id, "accountId": subscription.account_id, "url": subscription.url,
                "eventTypes": list(subscription.event_types), "secret": subscription.secret,
                "createdAt": subscription.created_at, "active": subscription.active}
        if subscription.description:
            item["description"] = subscription.description
        if not _conditional(self.table.put_item, Item=item, ConditionExpression="attribute_not_exists(pk)"):
            raise ValueError("exists")

    @staticmethod
    def _from(item: dict[str, Any]) -> Subscription:
        return Subscription(id=item["id"], account_id=item["accountId"], url=item["url"],
                            event_types=tuple(item["eventTypes"]), secret=item["secret"],
                            created_at=item["createdAt"], description=item.get("description"),
                            active=bool(item.get("active", True)))

    def get(self, account_id: str, subscription_id: str) -> Subscription | None:
        item = self.table.get_item(Key={"pk": _pk(account_id), "sk": f"WEBHOOK#{subscription_id}"},
                                   ConsistentRead=True).get("Item")
        return self._from(item) if item else None

    def list(self, account_id: str) -> list[Subscription]:
        from boto3.dynamodb.conditions import Key

        out: list[Subscription] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(_pk(account_id))
                                  & Key("sk").begins_with("WEBHOOK#"), "ConsistentRead": True}
        while True:
            page = self.table.query(**kwargs)
            out.extend(self._from(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def delete(self, account_id: str, subscription_id: str) -> bool:
        return _conditional(self.table.delete_item, Key={"pk": _pk(account_id), "sk": f"WEBHOOK#{subscription_id}"},
                            ConditionExpression="attribute_exists(pk)")


_FIELDS = (("subscriptionId", "subscription_id"), ("eventId", "event_id"), ("eventType", "event_type"),
           ("body", "body"), ("createdAt", "created_at"), ("status", "status"), ("attempts", "attempts"),
           ("nextAttemptAt", "next_attempt_at"), ("lastAttemptAt", "last_attempt_at"),
           ("lastStatus", "last_status"), ("lastError", "last_error"), ("deliveredAt", "delivered_at"),
           ("deadAt", "dead_at"))


class DynamoDeliveries:
    def __init__(self, table: Any) -> None:
        self.table = table

    @staticmethod
    def _item(d: Delivery) -> dict[str, Any]:
        item: dict[str, Any] = {"pk": _pk(d.account_id), "sk": f"WHDLV#{d.id}", "type": "WEBHOOK_DELIVERY",
                                "id": d.id, "accountId": d.account_id}
        for attr, name in _FIELDS:
            value = getattr(d, name)
            if value is not None:
                item[attr] = value
        if d.status == PENDING and d.next_attempt_at:
            item["gsi2pk"], item["gsi2sk"] = DUE_KEY, f"{d.next_attempt_at}#{d.account_id}#{d.id}"
        if d.status == DEAD and d.dead_at:
            item["gsi1pk"], item["gsi1sk"] = f"{_pk(d.account_id)}#WHDEAD", f"{d.dead_at}#{d.id}"
        if d.status != PENDING:
            ended = d.dead_at or d.delivered_at or d.last_attempt_at or d.created_at
            item["expiresAt"] = int(parse_iso(ended).timestamp()) + RETENTION_DAYS * 86400
        return item

    @staticmethod
    def _from(item: dict[str, Any]) -> Delivery:
        values = {name: _plain(item[attr]) for attr, name in _FIELDS if attr in item}
        return Delivery(id=item["id"], account_id=item["accountId"], **values)

    def create(self, delivery: Delivery) -> None:
        if not _conditional(self.table.put_item, Item=self._item(delivery),
                            ConditionExpression="attribute_not_exists(pk)"):
            raise ValueError("exists")

    def get(self, account_id: str, delivery_id: str) -> Delivery | None:
        item = self.table.get_item(Key={"pk": _pk(account_id), "sk": f"WHDLV#{delivery_id}"},
                                   ConsistentRead=True).get("Item")
        return self._from(item) if item else None

    def due(self, now: str, limit: int) -> list[Delivery]:
        from boto3.dynamodb.conditions import Key

        page = self.table.query(IndexName="gsi2", Limit=limit,
                                KeyConditionExpression=Key("gsi2pk").eq(DUE_KEY) & Key("gsi2sk").lte(f"{now}#~"))
        return [self._from(i) for i in page.get("Items", [])]

    def claim(self, delivery: Delivery, *, lease_until: str) -> bool:
        return _conditional(
            self.table.update_item,
            Key={"pk": _pk(delivery.account_id), "sk": f"WHDLV#{delivery.id}"},
            UpdateExpression="SET nextAttemptAt = :lease, gsi2sk = :due",
            ConditionExpression="#s = :pending AND attempts = :attempts AND nextAttemptAt = :next",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":lease": lease_until, ":due": f"{lease_until}#{delivery.account_id}#{delivery.id}",
                                       ":pending": PENDING, ":attempts": delivery.attempts,
                                       ":next": delivery.next_attempt_at},
        )

    def save(self, delivery: Delivery, *, expected_attempts: int) -> bool:
        return _conditional(self.table.put_item, Item=self._item(delivery),
                            ConditionExpression="attempts = :expected",
                            ExpressionAttributeValues={":expected": expected_attempts})

    def dead(self, account_id: str, limit: int) -> list[Delivery]:
        from boto3.dynamodb.conditions import Key

        page = self.table.query(IndexName="gsi1", Limit=limit,
                                KeyConditionExpression=Key("gsi1pk").eq(f"{_pk(account_id)}#WHDEAD"))
        return [self._from(i) for i in page.get("Items", [])]
