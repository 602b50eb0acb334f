"""AWS adapters of the enrolment ports (SES v2, Step Functions, the companies' items)."""

from __future__ import annotations

import json
from typing import Any, Sequence

from einvoice.adapters.aws.clients import CONDITIONAL_CHECK_FAILED, error_code
from einvoice.enrolment.model import COMPANY_DONE, COMPANY_IN_PROGRESS, CompanyInfo, iso, utcnow
from einvoice.enrolment.ports import CallbackGoneError


class SesMailer:
    """``Mailer`` through SES v2 ``SendEmail`` from the platform identity (``settings.sender_email``).

    Never logs the message body: it carries the one-time password.
    """

    def __init__(self, sender: str, ses: Any = None) -> None:
        self.sender = sender
        self._ses = ses

    @property
    def ses(self) -> Any:
        if self._ses is None:
            from einvoice.adapters.aws.clients import client

            self._ses = client("sesv2")
        return self._ses

    def send(self, *, to: str, subject: str, text: str, html: str | None = None) -> str:
        body: dict[str, Any] = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        resp = self.ses.send_email(
            FromEmailAddress=self.sender,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body}},
        )
        return resp.get("MessageId", "")


_GONE = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist", "ExecutionDoesNotExist"}


class StepFunctionsWorkflow:
    """``Workflow`` on the enrolment state machine (``settings.enrolment_state_machine_arn``)."""

    def __init__(self, state_machine_arn: str, sfn: Any = None) -> None:
        self.state_machine_arn = state_machine_arn
        self._sfn = sfn

    @property
    def sfn(self) -> Any:
        if self._sfn is None:
            from einvoice.adapters.aws.clients import client

            self._sfn = client("stepfunctions")
        return self._sfn

    def start(self, *, name: str, payload: dict[str, Any]) -> str:
        # Always named: idempotent on retries, and moto 5.2.5 breaks on unnamed executions.
        resp = self.sfn.start_execution(stateMachineArn=self.state_machine_arn, name=name,
                                        input=json.dumps(payload))
        return resp["executionArn"]

    def succeed(self, task_token: str, output: dict[str, Any]) -> None:
        self._callback(self.sfn.send_task_success, taskToken=task_token, output=json.dumps(output))

    def fail(self, task_token: str, *, error: str, cause: str) -> None:
        self._callback(self.sfn.send_task_failure, taskToken=task_token, error=error, cause=cause)

    def status(self, execution_arn: str) -> str | None:
        from botocore.exceptions import ClientError

        try:
            return self.sfn.describe_execution(executionArn=execution_arn)["status"]
        except ClientError as exc:
            if error_code(exc) == "ExecutionDoesNotExist":
                return None
            raise

    @staticmethod
    def _callback(fn: Any, **kwargs: Any) -> None:
        from botocore.exceptions import ClientError

        try:
            fn(**kwargs)
        except ClientError as exc:
            if error_code(exc) in _GONE:
                raise CallbackGoneError(exc.response["Error"]["Code"]) from exc
            raise


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "oui")
    return bool(value)


class DynamoCompanyAdapter:
    """``CompanyPort`` on the companies area's ``COMPANY#<id>`` items of the data table.

    Reads ``identifierType``, ``identifier``, ``siren``, ``name``, ``vatLiable``,
    ``purchaseInvoices`` and ``enrolmentStatus`` (``MASS_PENDING`` / ``DONE``, see
    ``einvoice.companies.models``). Writes the same attributes as
    ``einvoice.companies.service.set_enrolment_status`` on DONE (``enrolmentStatus = DONE``,
    ``enrolmentId``, ``certificateUrl``), and keeps its own progress in one nested map
    ``enrolment = {enrolmentId, state}`` (IN_PROGRESS while an enrolment holds the company, then
    its terminal state), which the companies code ignores.
    """

    def __init__(self, table: Any, platform_id: str | None = None) -> None:
        self.table = table
        self.platform_id = platform_id

    def get_companies(self, account_id: str, company_ids: Sequence[str]) -> dict[str, CompanyInfo]:
        out: dict[str, CompanyInfo] = {}
        for cid in dict.fromkeys(company_ids):
            item = self.table.get_item(Key={"pk": f"ACC#{account_id}", "sk": f"COMPANY#{cid}"},
                                       ConsistentRead=True).get("Item")
            if not item:
                continue
            ident = str(item.get("identifier") or item.get("siret") or item.get("siren") or "")
            ident_type = str(item.get("identifierType") or ("SIRET" if len(ident) == 14 else "SIREN")).upper()
            siren = str(item.get("siren") or ident[:9])
            siret = str(item.get("siret") or (ident if ident_type == "SIRET" else "")) or None
            enrol = item.get("enrolment") or {}
            state = item.get("enrolmentStatus")
            if state != COMPANY_DONE and enrol.get("state") == COMPANY_IN_PROGRESS:
                state = COMPANY_IN_PROGRESS
            out[cid] = CompanyInfo(
                company_id=cid,
                name=str(item.get("name") or item.get("legalName") or ""),
                siren=siren,
                siret=siret,
                vat_liable=_bool(item.get("vatLiable", False)),
                purchase_invoices=_bool(item.get("purchaseInvoices", False)),
                enrolment_state=state,
            )
        return out

    def reserve(self, account_id: str, company_id: str, enrolment_id: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.table.update_item(
                Key={"pk": f"ACC#{account_id}", "sk": f"COMPANY#{company_id}"},
                UpdateExpression="SET enrolment = :e",
                ConditionExpression=(
                    "attribute_exists(pk) AND (attribute_not_exists(enrolmentStatus) OR enrolmentStatus <> :done)"
                    " AND (attribute_not_exists(enrolment) OR enrolment.#s <> :prog)"
                ),
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={
                    ":e": {"enrolmentId": enrolment_id, "state": COMPANY_IN_PROGRESS},
                    ":done": COMPANY_DONE,
                    ":prog": COMPANY_IN_PROGRESS,
                },
            )
            return True
        except ClientError as exc:
            if error_code(exc) == CONDITIONAL_CHECK_FAILED:
                return False
            raise

    def set_enrolment_state(self, account_id: str, company_id: str, *, state: str, enrolment_id: str,
                            certificate_href: str | None = None) -> None:
        enrol: dict[str, Any] = {"enrolmentId": enrolment_id, "state": state}
        expr = "SET enrolment = :e"
        values: dict[str, Any] = {":e": enrol, ":id": enrolment_id}
        if state == COMPANY_DONE:
            expr += ", enrolmentStatus = :done, enrolmentId = :id, certificateUrl = :href, updatedAt = :now"
            values[":done"] = COMPANY_DONE
            values[":href"] = certificate_href or ""
            values[":now"] = iso(utcnow())
            if self.platform_id:  # the directory now names this platform as the company's reception platform
                expr += ", receptionPlatform = :platform"
                values[":platform"] = self.platform_id
        from botocore.exceptions import ClientError

        try:
            self.table.update_item(
                Key={"pk": f"ACC#{account_id}", "sk": f"COMPANY#{company_id}"},
                UpdateExpression=expr,
                # never let a stale enrolment overwrite another one's outcome
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(enrolment)"
                                    " OR enrolment.enrolmentId = :id)",
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if error_code(exc) != CONDITIONAL_CHECK_FAILED:
                raise


class DirectoryPackageAdapter:
    """``DirectoryRegistrar`` over the directory area's ``DirectoryPort`` (``einvoice.directory.cache.get_directory()``),
    resolved on first use. Its contract: an outage raises ``UpstreamUnavailableError`` (the
    register task turns it into ``DirectoryTransientError``, which ASL retries)."""

    def __init__(self, settings: Any = None) -> None:
        self.settings = settings
        self._impl: Any = None

    def register_line(self, siren: str, siret: str | None, platform_id: str) -> Any:
        if self._impl is None:
            from einvoice.directory.cache import get_directory

            self._impl = get_directory(self.settings)
        return self._impl.register_line(siren, siret, platform_id)
