"""DynamoDB adapter of ``EnrolmentRepository`` on the ``data`` table.

Items (see ``einvoice.resources``):

* ``pk=ACC#<accountId>``, ``sk=ENROL#<id>``: the enrolment (state, signatory, OTP *hash*,
  counters, task token, certificate reference, errors);
* ``pk=ACC#<accountId>``, ``sk=ENROL#<id>#CO#<companyId>``: one per company (its own result), so a
  mass enrolment is not bounded by the 400 KB item size and Map iterations never contend.

One ``Query`` on ``begins_with(sk, "ENROL#<id>")`` reads everything (ids are fixed-length UUIDs).
Every state change is a conditional update, so a replayed or concurrent call cannot apply twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Sequence

from einvoice.adapters.aws.clients import CONDITIONAL_CHECK_FAILED, error_code
from einvoice.enrolment.model import (
    OTP_SENT,
    REGISTERING,
    CompanyResult,
    Enrolment,
    Signatory,
)


def _pk(account_id: str) -> str:
    return f"ACC#{account_id}"


def _sk(enrolment_id: str) -> str:
    return f"ENROL#{enrolment_id}"


def _co_sk(enrolment_id: str, company_id: str) -> str:
    return f"ENROL#{enrolment_id}#CO#{company_id}"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class DynamoEnrolmentRepository:
    def __init__(self, table: Any) -> None:
        self.table = table

    # ---- create / read ---------------------------------------------------------------------
    def create(self, enrolment: Enrolment) -> None:
        pk = _pk(enrolment.account_id)
        with self.table.batch_writer() as batch:
            for order, c in enumerate(enrolment.companies):
                batch.put_item(Item={
                    "pk": pk,
                    "sk": _co_sk(enrolment.id, c.company_id),
                    "type": "ENROLMENT_COMPANY",
                    "order": order,
                    "companyId": c.company_id,
                    "name": c.name,
                    "siren": c.siren,
                    "siret": c.siret,
                    "result": c.result,
                    "attempts": 0,
                })
        item = {
            "pk": pk,
            "sk": _sk(enrolment.id),
            "type": "ENROLMENT",
            "id": enrolment.id,
            "accountId": enrolment.account_id,
            "partnerId": enrolment.partner_id,
            "state": enrolment.state,
            "signatory": enrolment.signatory.to_dict(),
            "createdAt": enrolment.created_at,
            "updatedAt": enrolment.created_at,
            "requestId": enrolment.request_id,
            "termsVersion": enrolment.terms_version,
            "termsAcceptedAt": enrolment.terms_accepted_at,
            "otpAttempts": 0,
            "otpResends": 0,
            "companyCount": len(enrolment.companies),
            "errors": [],
        }
        self.table.put_item(
            Item={k: v for k, v in item.items() if v is not None},
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get(self, account_id: str, enrolment_id: str) -> Enrolment | None:
        from boto3.dynamodb.conditions import Key

        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(_pk(account_id)) & Key("sk").begins_with(_sk(enrolment_id)),
            "ConsistentRead": True,
        }
        while True:
            page = self.table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        head = next((i for i in items if i["sk"] == _sk(enrolment_id)), None)
        if head is None:
            return None
        head = _plain(head)
        companies = sorted((_plain(i) for i in items if i.get("type") == "ENROLMENT_COMPANY"),
                           key=lambda i: i.get("order", 0))
        return Enrolment(
            id=head["id"],
            account_id=head["accountId"],
            partner_id=head.get("partnerId"),
            state=head["state"],
            signatory=Signatory.from_dict(head["signatory"]),
            created_at=head["createdAt"],
            updated_at=head.get("updatedAt"),
            request_id=head.get("requestId", head["id"]),
            terms_version=head.get("termsVersion", ""),
            terms_accepted_at=head.get("termsAcceptedAt"),
            execution_arn=head.get("executionArn"),
            otp_hash=head.get("otpHash"),
            otp_sent_at=head.get("otpSentAt"),
            otp_expires_at=head.get("otpExpiresAt"),
            otp_attempts=head.get("otpAttempts", 0),
            otp_resends=head.get("otpResends", 0),
            otp_validated_at=head.get("otpValidatedAt"),
            task_token=head.get("taskToken"),
            certificate=head.get("certificate"),
            errors=head.get("errors", []),
            companies=[
                CompanyResult(
                    company_id=c["companyId"],
                    name=c.get("name", ""),
                    siren=c.get("siren", ""),
                    siret=c.get("siret"),
                    result=c.get("result", "PENDING"),
                    attempts=c.get("attempts", 0),
                    registered_at=c.get("registeredAt"),
                    error=c.get("error"),
                )
                for c in companies
            ],
        )

    def get_state(self, account_id: str, enrolment_id: str) -> str | None:
        item = self.table.get_item(Key={"pk": _pk(account_id), "sk": _sk(enrolment_id)},
                                   ProjectionExpression="#s", ExpressionAttributeNames={"#s": "state"},
                                   ConsistentRead=True).get("Item")
        return item.get("state") if item else None

    def get_company(self, account_id: str, enrolment_id: str, company_id: str) -> CompanyResult | None:
        c = self.table.get_item(Key={"pk": _pk(account_id), "sk": _co_sk(enrolment_id, company_id)},
                                ConsistentRead=True).get("Item")
        if not c:
            return None
        c = _plain(c)
        return CompanyResult(company_id=c["companyId"], name=c.get("name", ""), siren=c.get("siren", ""),
                             siret=c.get("siret"), result=c.get("result", "PENDING"),
                             attempts=c.get("attempts", 0), registered_at=c.get("registeredAt"),
                             error=c.get("error"))

    # ---- updates -----------------------------------------------------------------------------
    def _update(self, account_id: str, enrolment_id: str, **kwargs: Any) -> bool:
        try:
            self.table.update_item(Key={"pk": _pk(account_id), "sk": _sk(enrolment_id)}, **kwargs)
            return True
        except Exception as exc:  # botocore ClientError
            if error_code(exc) == CONDITIONAL_CHECK_FAILED:
                return False
            raise

    def set_execution(self, account_id: str, enrolment_id: str, execution_arn: str) -> None:
        self._update(
            account_id, enrolment_id,
            UpdateExpression="SET executionArn = :e",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":e": execution_arn},
        )

    def store_otp(self, account_id: str, enrolment_id: str, *, otp_hash: str, sent_at: str, expires_at: str,
                  task_token: str | None = None, resend: bool = False, max_resends: int = 3) -> bool:
        """Replace the code's hash (the previous code stops working). A resend is counted and capped."""
        names = {"#s": "state"}
        values: dict[str, Any] = {":h": otp_hash, ":t": sent_at, ":x": expires_at, ":otp": OTP_SENT}
        sets = ["otpHash = :h", "otpSentAt = :t", "otpExpiresAt = :x", "updatedAt = :t"]
        condition = "#s = :otp"
        if task_token is not None:
            sets.append("taskToken = :tok")
            values[":tok"] = task_token
        if resend:
            sets.append("otpResends = otpResends + :one")
            values[":one"] = 1
            values[":max"] = max_resends
            condition += " AND attribute_exists(otpHash) AND otpResends < :max"
        return self._update(
            account_id, enrolment_id,
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def use_attempt(self, account_id: str, enrolment_id: str, *, max_attempts: int, now: str) -> int | None:
        """Take one of the ``max_attempts`` code checks BEFORE checking (atomic, so parallel guesses
        cannot exceed the limit). Returns the attempts used, or None when none is left / not OTP_SENT."""
        try:
            resp = self.table.update_item(
                Key={"pk": _pk(account_id), "sk": _sk(enrolment_id)},
                UpdateExpression="SET otpAttempts = otpAttempts + :one, updatedAt = :n",
                ConditionExpression="#s = :otp AND otpAttempts < :max",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":one": 1, ":max": max_attempts, ":otp": OTP_SENT, ":n": now},
                ReturnValues="UPDATED_NEW",
            )
        except Exception as exc:
            if error_code(exc) == CONDITIONAL_CHECK_FAILED:
                return None
            raise
        return int(resp["Attributes"]["otpAttempts"])

    def confirm(self, account_id: str, enrolment_id: str, *, otp_hash: str, validated_at: str) -> bool:
        """OTP_SENT -> REGISTERING, only if the code checked is still the current one and not locked."""
        return self._update(
            account_id, enrolment_id,
            UpdateExpression="SET #s = :reg, otpValidatedAt = :t, updatedAt = :t",
            ConditionExpression="#s = :otp AND otpHash = :h",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":reg": REGISTERING, ":otp": OTP_SENT, ":h": otp_hash, ":t": validated_at},
        )

    def revert_confirmation(self, account_id: str, enrolment_id: str) -> None:
        self._update(
            account_id, enrolment_id,
            UpdateExpression="SET #s = :otp REMOVE otpValidatedAt",
            ConditionExpression="#s = :reg",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":reg": REGISTERING, ":otp": OTP_SENT},
        )

    def set_company_result(self, account_id: str, enrolment_id: str, company_id: str, *, result: str,
                           at: str, error: dict[str, Any] | None = None) -> None:
        values: dict[str, Any] = {":r": result, ":one": 1, ":zero": 0, ":t": at}
        expr = "SET #r = :r, attempts = if_not_exists(attempts, :zero) + :one, updatedAt = :t"
        if result == "REGISTERED":
            expr += ", registeredAt = if_not_exists(registeredAt, :t) REMOVE #e"
        elif error is not None:
            expr += ", #e = :e"
            values[":e"] = error
        self.table.update_item(
            Key={"pk": _pk(account_id), "sk": _co_sk(enrolment_id, company_id)},
            UpdateExpression=expr,
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#r": "result", "#e": "error"} if "#e" in expr else {"#r": "result"},
            ExpressionAttributeValues=values,
        )

    def set_certificate(self, account_id: str, enrolment_id: str, certificate: dict[str, Any]) -> None:
        self._update(
            account_id, enrolment_id,
            UpdateExpression="SET certificate = :c",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":c": certificate},
        )

    def set_state(self, account_id: str, enrolment_id: str, state: str, *, now: str,
                  only_from: Sequence[str] | None = None, error: dict[str, Any] | None = None) -> bool:
        names = {"#s": "state"}
        values: dict[str, Any] = {":s": state, ":n": now}
        expr = "SET #s = :s, updatedAt = :n"
        if error is not None:
            expr += ", errors = list_append(if_not_exists(errors, :empty), :err)"
            values[":empty"] = []
            values[":err"] = [error]
        condition = "attribute_exists(pk)"
        if only_from:
            placeholders = []
            for i, s in enumerate(only_from):
                values[f":f{i}"] = s
                placeholders.append(f":f{i}")
            condition += f" AND #s IN ({', '.join(placeholders)})"
        return self._update(account_id, enrolment_id, UpdateExpression=expr, ConditionExpression=condition,
                            ExpressionAttributeNames=names, ExpressionAttributeValues=values)
