"""Tenancy records in the DynamoDB tenancy table, and API keys in API Gateway.

Key design (``einvoice.resources``): ``PARTNER#<id>`` / ``PARTNER``, ``ACCOUNT#<id>`` / ``ACCOUNT``
(gsi1: ``PARTNER#<id>`` / ``ACCOUNT#<id>``), ``APIKEY#<apiKeyId>`` / ``APIKEY`` and
``KEYHASH#<sha256(value)>`` / ``APIKEY`` (lets the local server enforce keys the way API Gateway does).
"""

from __future__ import annotations

from typing import Any

from einvoice.settings import Settings, get_settings

_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk")


def _plain(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {k: v for k, v in item.items() if k not in _KEYS}


class DynamoTenancyRepository:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @property
    def _table(self):
        from einvoice.adapters.aws.clients import table

        return table(self.settings.tenancy_table, self.settings)

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        return _plain(self._table.get_item(Key={"pk": pk, "sk": sk}).get("Item"))

    def _put_new(self, item: dict[str, Any]) -> bool:
        from einvoice.adapters.aws.clients import error_code

        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except Exception as err:  # noqa: BLE001 - botocore ClientError, translated here
            if error_code(err) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_partner(self, partner_id: str) -> dict[str, Any] | None:
        return self._get(f"PARTNER#{partner_id}", "PARTNER")

    def put_partner(self, partner_id: str, record: dict[str, Any]) -> bool:
        return self._put_new({"pk": f"PARTNER#{partner_id}", "sk": "PARTNER", **record})

    def get_account(self, account_id: str) -> dict[str, Any] | None:
        return self._get(f"ACCOUNT#{account_id}", "ACCOUNT")

    def put_account(self, account_id: str, record: dict[str, Any]) -> bool:
        return self._put_new({
            "pk": f"ACCOUNT#{account_id}", "sk": "ACCOUNT",
            "gsi1pk": f"PARTNER#{record['partnerId']}", "gsi1sk": f"ACCOUNT#{account_id}", **record,
        })

    def partner_accounts(self, partner_id: str) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": Key("gsi1pk").eq(f"PARTNER#{partner_id}") & Key("gsi1sk").begins_with("ACCOUNT#"),
        }
        while True:
            page = self._table.query(**kwargs)
            out += [{"id": i["pk"].split("#", 1)[1], **_plain(i)} for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get_key(self, api_key_id: str) -> dict[str, Any] | None:
        return self._get(f"APIKEY#{api_key_id}", "APIKEY")

    def get_key_by_hash(self, value_hash: str) -> dict[str, Any] | None:
        return self._get(f"KEYHASH#{value_hash}", "APIKEY")

    def put_key(self, api_key_id: str, value_hash: str, record: dict[str, Any]) -> None:
        t = self.settings.tenancy_table
        # the table resource's client serialises plain Python values for every operation
        self._table.meta.client.transact_write_items(TransactItems=[
            {"Put": {"TableName": t, "Item": {"pk": f"APIKEY#{api_key_id}", "sk": "APIKEY", **record}}},
            {"Put": {"TableName": t, "Item": {"pk": f"KEYHASH#{value_hash}", "sk": "APIKEY", **record},
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ])


class ApiGatewayKeyRegistry:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    def create_key(self, name: str, value: str) -> str:
        from einvoice.adapters.aws.clients import client

        apigw = client("apigateway", self.settings)
        key = apigw.create_api_key(name=name, value=value, enabled=True)
        if self.settings.usage_plan_id:
            apigw.create_usage_plan_key(usagePlanId=self.settings.usage_plan_id, keyId=key["id"], keyType="API_KEY")
        return key["id"]
