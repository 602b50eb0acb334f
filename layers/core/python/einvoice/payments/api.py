"""The tenant-facing payment operations (``POST /v1/payments``, ``GET /v1/payments/{id}[/file]``).

A batch's id is derived from what it pays (account, company, invoices, debtor account, date): the same
request again finds the stored batch instead of paying twice, and completes what a failed call left
undone (each invoice's **211 Paiement transmis**, set through the lifecycle action path with the event
id ``211-<paymentId>``, so it is recorded once and reaches the seller's side).
"""

from __future__ import annotations

import hashlib
from typing import Any

from einvoice.errors import ConflictError, ErrorDetail, InvalidInputError, NotFoundError
from einvoice.payments import service
from einvoice.payments.model import DebtorAccount, PaymentBatch
from einvoice.payments.models import PaymentCreate
from einvoice.tenancy import Tenant

_repository: Any = None


def repository() -> Any:
    global _repository
    if _repository is None:
        from einvoice.adapters.aws.clients import table
        from einvoice.payments.dynamodb import DynamoPaymentRepository
        from einvoice.settings import get_settings

        s = get_settings()
        _repository = DynamoPaymentRepository(table(s.data_table, s))
    return _repository


def _account(tenant: Tenant) -> str:
    return tenant.account_pk.split("#", 1)[1]


def payment_id_for(account_id: str, body: PaymentCreate) -> str:
    key = "|".join([account_id, body.company_id, ",".join(sorted(body.invoice_ids)), body.debtor_account.iban,
                    body.execution_date.isoformat(), body.schema_])
    return "PAY" + hashlib.sha256(key.encode()).hexdigest()[:32]  # 35 characters: the pain.001 MsgId limit


def _company(deps: Any, account_id: str, company_id: str) -> Any:
    company = deps.companies.get(account_id, company_id)
    if company is None:
        raise NotFoundError(f"company {company_id} not found", [ErrorDetail(
            "unknown company", field="companyId", rule="NOT_FOUND", message_fr="entreprise inconnue")])
    if not company.purchase_payment:
        raise InvalidInputError("The company does not have the purchase-payment option", [ErrorDetail(
            "no purchase-payment option", field="companyId", rule="COMPANY_NO_PURCHASE_PAYMENT",
            message_fr="L'entreprise n'a pas l'option paiement des factures d'achat")])
    return company


def _mark_paid(deps: Any, batch: PaymentBatch) -> None:
    """211 on every invoice of the batch, once each (event ``211-<paymentId>``)."""
    from einvoice.lifecycle.actions import StatusAction, set_status

    for line in batch.lines:
        action = StatusAction(211, amount=line.amount, payment_date=batch.execution_date)
        for attempt in range(3):
            try:
                set_status(batch.account_id, line.invoice_id, action, deps=deps, event_id=f"211-{batch.id}")
                break
            except ConflictError as exc:  # another status arrived meanwhile: read the timeline again
                if attempt == 2 or exc.details[0].rule != "LC-CONCURRENT":
                    raise


def create(tenant: Tenant, body: PaymentCreate, *, deps: Any = None, payments: Any = None,
           clock: Any = None) -> dict[str, Any]:
    from einvoice.payments.source import RecordInvoiceSource
    from einvoice.transmission.service import default_deps

    deps = deps or default_deps()
    payments = payments or repository()
    account_id = _account(tenant)
    _company(deps, account_id, body.company_id)
    payment_id = payment_id_for(account_id, body)
    batch = payments.get(account_id, payment_id)
    if batch is None:
        debtor = DebtorAccount(body.debtor_account.iban, body.debtor_account.name, body.debtor_account.bic)
        kwargs = {"clock": clock} if clock else {}
        try:
            batch = service.create_payment(
                account_id=account_id, company_id=body.company_id, invoice_ids=body.invoice_ids, debtor=debtor,
                execution_date=body.execution_date, invoices=RecordInvoiceSource(deps.repository),
                repository=payments, schema=body.schema_, new_id=lambda: payment_id, **kwargs)
        except ValueError:  # a concurrent identical request stored it first
            batch = service.get_payment(account_id, payment_id, payments)
    _mark_paid(deps, batch)
    out = batch.to_public()
    from einvoice.webhooks.fanout import announce

    announce(deps.get_events(), "einvoice.payments", "PaymentCreated", {
        "eventId": batch.id, "accountId": account_id, "paymentId": batch.id,
        **{k: out[k] for k in ("companyId", "executionDate", "total", "currency", "links")},
        "invoices": [{"invoiceId": i["invoiceId"], "number": i["number"], "amount": i["amount"]}
                     for i in out["invoices"]]})
    return out


def get(tenant: Tenant, payment_id: str, *, payments: Any = None) -> dict[str, Any]:
    return service.get_payment(_account(tenant), payment_id, payments or repository()).to_public()


def file(tenant: Tenant, payment_id: str, *, payments: Any = None) -> tuple[bytes, str]:
    data = service.payment_file(_account(tenant), payment_id, payments or repository())
    return data, f"{payment_id}.xml"
