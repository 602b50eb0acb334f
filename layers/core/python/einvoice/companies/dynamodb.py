"""``CompanyRepository`` on the ``data`` table (low-level client, hand-built attribute values).

Item (``einvoice.resources`` key design)::

    pk     = ACC#<accountId>          sk     = COMPANY#<companyId>
    gsi1pk = ACC#<accountId>#COMPANY  gsi1sk = <identifier digits>   (list/search order, prefix search)
    gsi2pk = IDENT#<siren>            gsi2sk = ACC#<accountId>#<identifier>  (platform-wide: accounts of a SIREN)
    nameNorm = lower-case, accent-free name (partial name search)

One item per company (no separate ``IDENT#`` guard): the deterministic id makes the item its own
uniqueness guard, so a conditional put (``attribute_not_exists(pk)``) creates a company at most
once. The enrolment area keeps its own progress map (``enrolment``) on the same item; the
updates here only ``SET`` the attributes they own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from einvoice.adapters.aws.clients import CONDITIONAL_CHECK_FAILED, error_code
from einvoice.companies.model import Company, normalize_name
from einvoice.companies.ports import QueryPage


def account_pk(account_id: str) -> str:
    return f"ACC#{account_id}"


def gsi1pk(account_id: str) -> str:
    return f"ACC#{account_id}#COMPANY"


def key(account_id: str, company_id: str) -> dict[str, dict]:
    return {"pk": {"S": account_pk(account_id)}, "sk": {"S": "COMPANY#" + company_id}}


def to_item(c: Company) -> dict[str, dict]:
    item: dict[str, dict] = {
        **key(c.account_id, c.id),
        "gsi1pk": {"S": gsi1pk(c.account_id)},
        "gsi1sk": {"S": c.identifier},
        # platform-wide (not tenant-visible): which accounts manage this SIREN (routing, enrolment)
        "gsi2pk": {"S": "IDENT#" + c.siren},
        "gsi2sk": {"S": f"ACC#{c.account_id}#{c.identifier}"},
        "type": {"S": "COMPANY"},
        "id": {"S": c.id},
        "accountId": {"S": c.account_id},
        "identifierType": {"S": c.identifier_type},
        "identifier": {"S": c.identifier},
        "siren": {"S": c.siren},
        "employees": {"S": c.employees},
        "purchaseInvoices": {"BOOL": c.purchase_invoices},
        "purchasePayment": {"BOOL": c.purchase_payment},
        "salesInvoices": {"BOOL": c.sales_invoices},
        "duplicateControl": {"BOOL": c.duplicate_control},
        "preferredFormat": {"S": c.preferred_format or "facturx"},
        "name": {"S": c.name},
        "nameNorm": {"S": normalize_name(c.name) or "-"},
        "vatLiable": {"BOOL": c.vat_liable},
        "status": {"S": c.status},
        "createdAt": {"S": c.created_at},
        "updatedAt": {"S": c.updated_at},
        "requestHash": {"S": c.request_hash},
    }
    optional = {
        "receptionPlatform": c.reception_platform,
        "importId": c.import_id,
        "enrolmentStatus": c.enrolment_status,
        "enrolmentId": c.enrolment_id,
        "certificateUrl": c.certificate_url,
    }
    for name, value in optional.items():
        if value:
            item[name] = {"S": value}
    if c.import_id:
        item["importLine"] = {"N": str(c.import_line or 0)}
    return item


def _s(item: dict, name: str) -> str | None:
    v = item.get(name)
    return v["S"] if v and "S" in v else None


def _b(item: dict, name: str) -> bool:
    v = item.get(name)
    return bool(v and v.get("BOOL"))


def from_item(item: dict) -> Company:
    line = item.get("importLine")
    return Company(
        account_id=_s(item, "accountId") or "",
        id=_s(item, "id") or "",
        identifier_type=_s(item, "identifierType") or "",
        identifier=_s(item, "identifier") or "",
        employees=_s(item, "employees") or "",
        purchase_invoices=_b(item, "purchaseInvoices"),
        purchase_payment=_b(item, "purchasePayment"),
        sales_invoices=_b(item, "salesInvoices"),
        duplicate_control=_b(item, "duplicateControl"),
        preferred_format=_s(item, "preferredFormat") or "facturx",
        name=_s(item, "name") or "",
        vat_liable=_b(item, "vatLiable"),
        status=_s(item, "status") or "active",
        created_at=_s(item, "createdAt") or "",
        updated_at=_s(item, "updatedAt") or "",
        request_hash=_s(item, "requestHash") or "",
        reception_platform=_s(item, "receptionPlatform"),
        import_id=_s(item, "importId"),
        import_line=int(line["N"]) if line else None,
        enrolment_status=_s(item, "enrolmentStatus"),
        enrolment_id=_s(item, "enrolmentId"),
        certificate_url=_s(item, "certificateUrl"),
    )


class DynamoCompanyRepository:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    @classmethod
    def from_settings(cls, settings: Any) -> DynamoCompanyRepository:
        from einvoice.adapters.aws.clients import client

        return cls(client("dynamodb", settings), settings.data_table)

    def create(self, company: Company) -> Company | None:
        try:
            self.client.put_item(
                TableName=self.table,
                Item=to_item(company),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return None
        except Exception as exc:
            if error_code(exc) != CONDITIONAL_CHECK_FAILED:
                raise
            old = getattr(exc, "response", {}).get("Item")
            if old:
                return from_item(old)
            found = self.get(company.account_id, company.id, consistent=True)
            return found or company

    def get(self, account_id: str, company_id: str, *, consistent: bool = False) -> Company | None:
        out = self.client.get_item(TableName=self.table, Key=key(account_id, company_id), ConsistentRead=consistent)
        return from_item(out["Item"]) if "Item" in out else None

    def _batch_get(self, keys: list[dict], consistent: bool, projection: str | None = None) -> list[dict]:
        found: list[dict] = []
        for i in range(0, len(keys), 100):
            spec: dict[str, Any] = {"Keys": keys[i : i + 100], "ConsistentRead": consistent}
            if projection:
                spec["ProjectionExpression"] = projection
            request: dict[str, Any] = {self.table: spec}
            attempt = 0
            while request:
                out = self.client.batch_get_item(RequestItems=request)
                found += out.get("Responses", {}).get(self.table, [])
                request = out.get("UnprocessedKeys") or {}
                if request:
                    attempt += 1
                    time.sleep(min(0.05 * 2**attempt, 1.0))
        return found

    def get_many(self, account_id: str, company_ids: Sequence[str], *, consistent: bool = False) -> dict[str, Company]:
        keys = [key(account_id, cid) for cid in dict.fromkeys(company_ids)]
        return {c.id: c for c in map(from_item, self._batch_get(keys, consistent))}

    def find_in(self, account_ids: Sequence[str], company_id: str, *, consistent: bool = False) -> Company | None:
        first = self.get(account_ids[0], company_id, consistent=consistent)
        if first is not None or len(account_ids) < 2:
            return first
        found = self._batch_get([key(a, company_id) for a in account_ids[1:100]], consistent)
        by_account = {f["accountId"]["S"]: f for f in found}
        return next((from_item(by_account[a]) for a in account_ids[1:] if a in by_account), None)

    def update_options(self, company: Company, *, expected_updated_at: str) -> Company | None:
        try:
            out = self.client.update_item(
                TableName=self.table,
                Key=key(company.account_id, company.id),
                UpdateExpression=(
                    "SET employees = :e, purchaseInvoices = :pi, purchasePayment = :pp, salesInvoices = :si, "
                    "duplicateControl = :dc, preferredFormat = :pf, updatedAt = :now"
                ),
                ConditionExpression="attribute_exists(pk) AND updatedAt = :old",
                ExpressionAttributeValues={
                    ":e": {"S": company.employees},
                    ":pi": {"BOOL": company.purchase_invoices},
                    ":pp": {"BOOL": company.purchase_payment},
                    ":si": {"BOOL": company.sales_invoices},
                    ":dc": {"BOOL": company.duplicate_control},
                    ":pf": {"S": company.preferred_format or "facturx"},
                    ":now": {"S": company.updated_at},
                    ":old": {"S": expected_updated_at},
                },
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if error_code(exc) == CONDITIONAL_CHECK_FAILED:
                return None
            raise
        return from_item(out["Attributes"])

    def set_enrolment(
        self,
        account_id: str,
        company_id: str,
        *,
        status: str | None,
        enrolment_id: str | None,
        certificate_url: str | None,
        now: str,
    ) -> Company | None:
        sets = ["updatedAt = :now"]
        removes = []
        values: dict[str, dict] = {":now": {"S": now}}
        for attr, val, ph in (
            ("enrolmentStatus", status, ":st"),
            ("enrolmentId", enrolment_id, ":eid"),
            ("certificateUrl", certificate_url, ":cert"),
        ):
            if val:
                sets.append(f"{attr} = {ph}")
                values[ph] = {"S": val}
            elif attr == "enrolmentStatus" or status is None:
                removes.append(attr)
        expr = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            out = self.client.update_item(
                TableName=self.table,
                Key=key(account_id, company_id),
                UpdateExpression=expr,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if error_code(exc) == CONDITIONAL_CHECK_FAILED:
                return None
            raise
        return from_item(out["Attributes"])

    def query_page(
        self,
        account_id: str,
        *,
        prefix: str | None,
        exact: bool,
        words: Sequence[str],
        after: tuple[str, str] | None,
        limit: int | None,
    ) -> QueryPage:
        values: dict[str, dict] = {":p": {"S": gsi1pk(account_id)}}
        kwargs: dict[str, Any] = {"TableName": self.table, "IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p"}
        if prefix:
            kwargs["KeyConditionExpression"] += " AND " + ("gsi1sk = :i" if exact else "begins_with(gsi1sk, :i)")
            values[":i"] = {"S": prefix}
        if words:
            kwargs["FilterExpression"] = " AND ".join(f"contains(nameNorm, :n{k})" for k in range(len(words)))
            for k, w in enumerate(words):
                values[f":n{k}"] = {"S": w}
        kwargs["ExpressionAttributeValues"] = values
        if limit:
            kwargs["Limit"] = limit
        if after is not None:
            kwargs["ExclusiveStartKey"] = {
                **key(account_id, after[1]),
                "gsi1pk": {"S": gsi1pk(account_id)},
                "gsi1sk": {"S": after[0]},
            }
        out = self.client.query(**kwargs)
        lek = out.get("LastEvaluatedKey")
        nxt = (lek["gsi1sk"]["S"], lek["sk"]["S"][len("COMPANY#") :]) if lek else None
        return QueryPage([from_item(i) for i in out.get("Items", [])], nxt, out.get("ScannedCount", 0))

    def for_siren(self, siren: str) -> list[Company]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "gsi2",
            "KeyConditionExpression": "gsi2pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "IDENT#" + siren[:9]}},
        }
        out: list[Company] = []
        while True:
            page = self.client.query(**kwargs)
            out += [from_item(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
