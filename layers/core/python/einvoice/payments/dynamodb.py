"""DynamoDB adapter of ``PaymentRepository`` on the data table.

Item: ``pk=ACC#<accountId>``, ``sk=PAYMENT#<id>`` with the debtor account, execution date, schema
and the lines (at most ``MAX_INVOICES``, well below the 400 KB item limit). Amounts are strings
(exact decimals). The pain.001 file is not stored: it is regenerated from the item, identically.
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from einvoice.adapters.aws.clients import CONDITIONAL_CHECK_FAILED, error_code
from einvoice.payments.model import DebtorAccount, PaymentBatch, PaymentLine


def _pk(account_id: str) -> str:
    return f"ACC#{account_id}"


def _sk(payment_id: str) -> str:
    return f"PAYMENT#{payment_id}"


class DynamoPaymentRepository:
    def __init__(self, table: Any) -> None:
        self.table = table

    def create(self, batch: PaymentBatch) -> None:
        item = {
            "pk": _pk(batch.account_id),
            "sk": _sk(batch.id),
            "type": "PAYMENT",
            "id": batch.id,
            "accountId": batch.account_id,
            "companyId": batch.company_id,
            "debtor": batch.debtor.to_dict(),
            "executionDate": batch.execution_date.isoformat(),
            "createdAt": batch.created_at,
            "schema": batch.schema,
            "currency": batch.currency,
            "total": format(batch.total, "f"),
            "lines": [
                {k: v for k, v in {"invoiceId": line.invoice_id, "number": line.number, "payee": line.payee_name,
                                   "iban": line.iban, "bic": line.bic, "amount": format(line.amount, "f"),
                                   "endToEndId": line.end_to_end_id}.items() if v is not None}
                for line in batch.lines
            ],
        }
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except Exception as exc:  # botocore ClientError
            if error_code(exc) == CONDITIONAL_CHECK_FAILED:
                raise ValueError("exists") from exc
            raise

    def get(self, account_id: str, payment_id: str) -> PaymentBatch | None:
        item = self.table.get_item(Key={"pk": _pk(account_id), "sk": _sk(payment_id)}, ConsistentRead=True).get("Item")
        if not item:
            return None
        debtor = item["debtor"]
        return PaymentBatch(
            id=item["id"],
            account_id=item["accountId"],
            company_id=item["companyId"],
            debtor=DebtorAccount(debtor["iban"], debtor["name"], debtor.get("bic")),
            execution_date=_dt.date.fromisoformat(item["executionDate"]),
            created_at=item["createdAt"],
            schema=item["schema"],
            currency=item.get("currency", "EUR"),
            lines=tuple(PaymentLine(line["invoiceId"], line["number"], line["payee"], line["iban"], line.get("bic"),
                                    Decimal(line["amount"]), line["endToEndId"]) for line in item["lines"]),
        )
