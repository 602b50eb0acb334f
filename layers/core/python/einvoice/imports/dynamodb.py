"""``ImportRepository`` on the ``data`` table.

Items::

    pk = ACC#<accountId>  sk = IMPORT#<importId>                  the import record (counters, first errors)
    pk = ACC#<accountId>  sk = IMPORT#<importId>#R#<offset:015d>  report rows of one committed segment
                                                                  (``expiresAt``: TTL, gone after 30 days)

A segment is committed with one ``TransactWriteItems`` (at most 100 actions): the record update
(conditional on its offset and state), the segment's report item, and one conditional put
(``attribute_not_exists(pk)``) per company it creates -- so counters, report and companies never
disagree, and no company is ever overwritten. A cancelled transaction writes nothing; its
cancellation reasons say which condition failed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from einvoice.adapters.aws.clients import CONDITIONAL_CHECK_FAILED, error_code
from einvoice.companies.dynamodb import from_item as company_from_item
from einvoice.companies.dynamodb import to_item as company_item
from einvoice.errors import TransientError
from einvoice.imports.csv_format import LineError
from einvoice.imports.model import RUNNING, CommitResult, ImportRecord, Segment

REPORT_TTL_SECONDS = 30 * 24 * 3600
MAX_TRANSACTION_ATTEMPTS = 8


def record_key(account_id: str, import_id: str) -> dict[str, dict]:
    return {"pk": {"S": f"ACC#{account_id}"}, "sk": {"S": "IMPORT#" + import_id}}


def _errors_value(errors: list[LineError]) -> dict:
    return {
        "L": [{"M": {"line": {"N": str(e.line)}, "field": {"S": e.field}, "reason": {"S": e.reason}}} for e in errors]
    }


def to_item(r: ImportRecord) -> dict[str, dict]:
    item: dict[str, dict] = {
        **record_key(r.account_id, r.id),
        "type": {"S": "IMPORT"},
        "id": {"S": r.id},
        "accountId": {"S": r.account_id},
        "state": {"S": r.state},
        "source": {"S": r.source},
        "bucket": {"S": r.bucket},
        "key": {"S": r.key},
        "size": {"N": str(r.size)},
        "encoding": {"S": r.encoding},
        "delimiter": {"S": r.delimiter},
        "hasHeader": {"BOOL": r.has_header},
        "enrol": {"BOOL": r.enrol},
        "offset": {"N": str(r.offset)},
        "line": {"N": str(r.line)},
        "linesRead": {"N": str(r.lines_read)},
        "imported": {"N": str(r.imported)},
        "rejected": {"N": str(r.rejected)},
        "existing": {"N": str(r.existing)},
        "errorCount": {"N": str(r.error_count)},
        "toEnrol": {"N": str(r.to_enrol)},
        "resumes": {"N": str(r.resumes)},
        "errors": _errors_value(r.errors),
        "createdAt": {"S": r.created_at},
        "updatedAt": {"S": r.updated_at},
    }
    for name, value in (("summaryKey", r.summary_key), ("execution", r.execution), ("reportKey", r.report_key)):
        if value:
            item[name] = {"S": value}
    return item


def _n(item: dict, name: str) -> int:
    v = item.get(name)
    return int(v["N"]) if v else 0


def _s(item: dict, name: str) -> str | None:
    v = item.get(name)
    return v["S"] if v else None


def from_item(item: dict) -> ImportRecord:
    errors = [
        LineError(int(e["M"]["line"]["N"]), e["M"]["field"]["S"], e["M"]["reason"]["S"])
        for e in item.get("errors", {}).get("L", [])
    ]
    return ImportRecord(
        account_id=item["accountId"]["S"],
        id=item["id"]["S"],
        state=item["state"]["S"],
        source=_s(item, "source") or "upload",
        bucket=item["bucket"]["S"],
        key=item["key"]["S"],
        size=_n(item, "size"),
        encoding=item["encoding"]["S"],
        delimiter=item["delimiter"]["S"],
        has_header=item.get("hasHeader", {}).get("BOOL", False),
        enrol=item.get("enrol", {}).get("BOOL", False),
        offset=_n(item, "offset"),
        line=_n(item, "line"),
        lines_read=_n(item, "linesRead"),
        imported=_n(item, "imported"),
        rejected=_n(item, "rejected"),
        existing=_n(item, "existing"),
        error_count=_n(item, "errorCount"),
        to_enrol=_n(item, "toEnrol"),
        resumes=_n(item, "resumes"),
        errors=errors,
        created_at=item["createdAt"]["S"],
        updated_at=item["updatedAt"]["S"],
        finished_at=_s(item, "finishedAt"),
        failure_code=_s(item, "failureCode"),
        failure_message=_s(item, "failureMessage"),
        report_key=_s(item, "reportKey"),
        summary_key=_s(item, "summaryKey"),
        execution=_s(item, "execution"),
    )


class DynamoImportRepository:
    def __init__(self, client: Any, table: str, *, clock: Any = time.time) -> None:
        self.client = client
        self.table = table
        self.clock = clock
        self.write_requests = 0  # TransactWriteItems / PutItem / UpdateItem sent (benchmarks)

    @classmethod
    def from_settings(cls, settings: Any) -> DynamoImportRepository:
        from einvoice.adapters.aws.clients import client

        return cls(client("dynamodb", settings), settings.data_table)

    def create(self, record: ImportRecord) -> ImportRecord | None:
        try:
            self.write_requests += 1
            self.client.put_item(
                TableName=self.table,
                Item=to_item(record),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return None
        except Exception as exc:
            if error_code(exc) != CONDITIONAL_CHECK_FAILED:
                raise
            old = getattr(exc, "response", {}).get("Item")
            return from_item(old) if old else self.get(record.account_id, record.id)

    def get(self, account_id: str, import_id: str) -> ImportRecord | None:
        out = self.client.get_item(TableName=self.table, Key=record_key(account_id, import_id), ConsistentRead=True)
        return from_item(out["Item"]) if "Item" in out else None

    # --- segment commit ------------------------------------------------------------------------------

    def _record_update(self, record: ImportRecord, seg: Segment, now: str) -> dict:
        values: dict[str, Any] = {
            ":old": {"N": str(seg.start_offset)},
            ":running": {"S": RUNNING},
            ":no": {"N": str(seg.end_offset)},
            ":nl": {"N": str(seg.end_line)},
            ":now": {"S": now},
            ":lr": {"N": str(seg.lines_read)},
            ":im": {"N": str(seg.imported)},
            ":rj": {"N": str(seg.rejected)},
            ":ex": {"N": str(seg.existing)},
            ":ec": {"N": str(seg.error_count)},
            ":te": {"N": str(seg.to_enrol)},
        }
        sets = ["#o = :no", "#l = :nl", "updatedAt = :now"]
        if seg.errors:
            sets.append("errors = list_append(errors, :errs)")
            values[":errs"] = _errors_value(seg.errors)
        return {
            "Update": {
                "TableName": self.table,
                "Key": record_key(record.account_id, record.id),
                "UpdateExpression": "SET "
                + ", ".join(sets)
                + " ADD linesRead :lr, imported :im, rejected :rj, existing :ex, errorCount :ec, toEnrol :te",
                "ConditionExpression": "#o = :old AND #st = :running",
                "ExpressionAttributeNames": {"#o": "offset", "#l": "line", "#st": "state"},
                "ExpressionAttributeValues": values,
            }
        }

    def _report_put(self, record: ImportRecord, seg: Segment) -> dict:
        return {
            "Put": {
                "TableName": self.table,
                "Item": {
                    "pk": {"S": f"ACC#{record.account_id}"},
                    "sk": {"S": f"IMPORT#{record.id}#R#{seg.start_offset:015d}"},
                    "type": {"S": "IMPORT_REPORT"},
                    "rows": {"S": seg.report},
                    "endOffset": {"N": str(seg.end_offset)},
                    "expiresAt": {"N": str(int(self.clock()) + REPORT_TTL_SECONDS)},
                },
            }
        }

    def commit(self, record: ImportRecord, segment: Segment, *, now: str) -> CommitResult:
        actions = [self._record_update(record, segment, now)]
        if segment.report:
            actions.append(self._report_put(record, segment))
        first_create = len(actions)
        actions += [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": company_item(c),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
            for c in segment.creates
        ]
        for attempt in range(MAX_TRANSACTION_ATTEMPTS):
            try:
                self.write_requests += 1
                self.client.transact_write_items(TransactItems=actions)
                break
            except Exception as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
                codes = [r.get("Code") for r in reasons]
                if codes and codes[0] == "ConditionalCheckFailed":
                    return CommitResult(stale=True)
                conflicts = {
                    i - first_create: (company_from_item(r["Item"]) if r.get("Item") else None)
                    for i, r in enumerate(reasons)
                    if i >= first_create and r.get("Code") == "ConditionalCheckFailed"
                }
                if conflicts:
                    return CommitResult(conflicts=conflicts)
                # TransactionConflict / throttling: another writer holds an item; back off and retry
                time.sleep(min(0.05 * 2**attempt, 2.0))
        else:
            raise TransientError("the import's writes kept conflicting with other writers")
        return CommitResult(committed=True)

    def report_parts(self, account_id: str, import_id: str) -> Iterator[str]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :r)",
            "ExpressionAttributeValues": {":p": {"S": f"ACC#{account_id}"}, ":r": {"S": f"IMPORT#{import_id}#R#"}},
            "ProjectionExpression": "#rows",
            "ExpressionAttributeNames": {"#rows": "rows"},
            "ConsistentRead": True,
        }
        while True:
            page = self.client.query(**kwargs)
            for item in page.get("Items", []):
                yield item["rows"]["S"]
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # --- state changes ---------------------------------------------------------------------------------

    def close(
        self,
        account_id: str,
        import_id: str,
        state: str,
        *,
        now: str,
        report_key: str | None,
        failure: tuple[str, str] | None = None,
    ) -> ImportRecord | None:
        values: dict[str, Any] = {":state": {"S": state}, ":running": {"S": RUNNING}, ":now": {"S": now}}
        sets = ["#st = :state", "finishedAt = :now", "updatedAt = :now"]
        if report_key:
            sets.append("reportKey = :rk")
            values[":rk"] = {"S": report_key}
        if failure is not None:
            sets += ["failureCode = :fc", "failureMessage = :fm"]
            values[":fc"], values[":fm"] = {"S": failure[0]}, {"S": failure[1]}
        return self._update(account_id, import_id, "SET " + ", ".join(sets), "#st = :running", values)

    def reopen(
        self, account_id: str, import_id: str, *, expected_state: str, resumes: int, execution: str, now: str
    ) -> ImportRecord | None:
        values = {
            ":expected": {"S": expected_state},
            ":running": {"S": RUNNING},
            ":r": {"N": str(resumes)},
            ":r1": {"N": str(resumes + 1)},
            ":ex": {"S": execution},
            ":now": {"S": now},
        }
        return self._update(
            account_id,
            import_id,
            "SET #st = :running, resumes = :r1, execution = :ex, updatedAt = :now "
            "REMOVE failureCode, failureMessage, finishedAt",
            "#st = :expected AND resumes = :r",
            values,
        )

    def _update(self, account_id: str, import_id: str, expr: str, condition: str, values: dict) -> ImportRecord | None:
        try:
            self.write_requests += 1
            out = self.client.update_item(
                TableName=self.table,
                Key=record_key(account_id, import_id),
                UpdateExpression=expr,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#st": "state"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if error_code(exc) == CONDITIONAL_CHECK_FAILED:
                return None
            raise
        return from_item(out["Attributes"])
