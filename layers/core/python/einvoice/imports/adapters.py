"""AWS adapters of the imports' ``Workflow`` (Step Functions) and ``Accounts`` (tenancy table) ports."""

from __future__ import annotations

import json
from typing import Any


class StepFunctionsWorkflow:
    """``Workflow`` on the import state machine (``settings.import_state_machine_arn``)."""

    def __init__(self, state_machine_arn: str, sfn: Any) -> None:
        self.state_machine_arn = state_machine_arn
        self.sfn = sfn

    @classmethod
    def from_settings(cls, settings: Any) -> StepFunctionsWorkflow:
        from einvoice.adapters.aws.clients import client

        return cls(settings.import_state_machine_arn, client("stepfunctions", settings))

    def start(self, *, name: str, payload: dict[str, Any]) -> None:
        try:
            self.sfn.start_execution(stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(payload))
        except self.sfn.exceptions.ExecutionAlreadyExists:
            pass  # a redelivered event or a retried call: the execution is already there

    def status(self, name: str) -> str | None:
        from einvoice.adapters.aws.clients import error_code

        arn = self.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + name
        try:
            return self.sfn.describe_execution(executionArn=arn)["status"]
        except Exception as exc:
            if error_code(exc) == "ExecutionDoesNotExist":
                return None
            raise


class TenancyAccounts:
    """``Accounts`` on the tenancy table (``ACCOUNT#<id>`` / ``ACCOUNT``)."""

    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    @classmethod
    def from_settings(cls, settings: Any) -> TenancyAccounts:
        from einvoice.adapters.aws.clients import client

        return cls(client("dynamodb", settings), settings.tenancy_table)

    def exists(self, account_id: str) -> bool:
        key = {"pk": {"S": f"ACCOUNT#{account_id}"}, "sk": {"S": "ACCOUNT"}}
        return "Item" in self.client.get_item(TableName=self.table, Key=key)
