"""Use cases of the purchase-payment option: pay approved received invoices by SEPA credit transfer.

``create_payment`` refuses the whole batch with ONE ``InvalidInputError`` (422) listing every problem,
each detail naming its field (``invoiceIds[i]``, ``debtorAccount.iban``, ``executionDate``...) and rule:

=================== =====================================================================
PAY-EMPTY           no invoice, or more than ``MAX_INVOICES``
PAY-DUPLICATE       the same invoice twice
PAY-NOT-FOUND       no such received invoice in the account
PAY-COMPANY         the invoice was received for another company
PAY-STATUS          not approved (205/206), disputed/suspended since, refused, rejected or cancelled
PAY-ALREADY-PAID    211 or 212 already in its lifecycle
PAY-NO-IBAN         no credit transfer account in the invoice (BG-17 / BT-84)
PAY-IBAN / PAY-BIC  an account or bank code that ``schwifty`` refuses, or outside the SEPA zone
PAY-CURRENCY        not in euros (BT-5)
PAY-AMOUNT          amount due (BT-115) missing, <= 0, more than 2 decimals or above the SEPA maximum
PAY-EXECUTION-DATE  in the past
PAY-SCHEMA          an unsupported pain.001 version
=================== =====================================================================
"""

from __future__ import annotations

import datetime as _dt
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from einvoice.errors import ErrorDetail, InvalidInputError, NotFoundError
from einvoice.lifecycle.transitions import payability
from einvoice.payments import sepa
from einvoice.payments.model import (
    MAX_AMOUNT,
    MAX_INVOICES,
    SCHEMA_DEFAULT,
    SCHEMAS,
    DebtorAccount,
    PayableInvoice,
    PaymentBatch,
    PaymentLine,
)
from einvoice.payments.ports import InvoiceSource, PaymentRepository

if TYPE_CHECKING:
    from einvoice.invoicing.model import Invoice


def _detail(message: str, field: str, rule: str, message_fr: str, **extra: object) -> ErrorDetail:
    return ErrorDetail(message, field=field, rule=rule, message_fr=message_fr, extra=dict(extra))


def check_iban(value: str | None, field: str) -> tuple[str | None, ErrorDetail | None]:
    """Normalised IBAN (no spaces, upper case), or the reason it is refused."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        iban = IBAN(value or "")
    except (SchwiftyException, ValueError) as exc:
        return None, _detail(f"{field}: not a valid IBAN ({exc})", field, "PAY-IBAN", "IBAN invalide")
    if not iban.in_sepa_zone:
        return None, _detail(f"{field}: {iban.country_code} accounts are outside the SEPA zone", field, "PAY-IBAN",
                             "compte hors zone SEPA")
    return iban.compact, None


def check_bic(value: str | None, field: str) -> tuple[str | None, ErrorDetail | None]:
    if not value:
        return None, None
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        bic = BIC(value)
    except (SchwiftyException, ValueError) as exc:
        return None, _detail(f"{field}: not a valid BIC ({exc})", field, "PAY-BIC", "BIC invalide")
    return bic.compact, None


def _amount_problem(amount: Decimal | None) -> str | None:
    if amount is None:
        return "no amount due (BT-115)"
    if not amount.is_finite() or amount <= 0:
        return "the amount due must be positive"
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        return "the amount due has more than 2 decimals"
    if amount > MAX_AMOUNT:
        return f"the amount due exceeds the SEPA maximum of {MAX_AMOUNT}"
    return None


def _line(i: int, company_id: str, inv: PayableInvoice | None) -> tuple[PaymentLine | None, list[ErrorDetail]]:
    field = f"invoiceIds[{i}]"
    if inv is None:
        return None, [_detail(f"{field}: no such received invoice", field, "PAY-NOT-FOUND", "facture reçue inconnue")]
    if inv.company_id != company_id:
        return None, [_detail(f"{field}: invoice {inv.number} was received for another company", field,
                              "PAY-COMPANY", "facture reçue pour une autre entreprise", invoiceId=inv.invoice_id)]
    details = []
    state = payability(inv.history)
    if not state.payable:
        details.append(_detail(f"{field}: invoice {inv.number}: {state.message}", field, state.rule or "PAY-STATUS",
                               state.message_fr or "", invoiceId=inv.invoice_id,
                               currentStatus=inv.history[-1] if inv.history else None))
    iban = None
    if not inv.iban:
        details.append(_detail(f"{field}: invoice {inv.number} gives no IBAN to pay (BG-17 / BT-84)", field,
                               "PAY-NO-IBAN", "la facture ne donne pas d'IBAN (BT-84)", invoiceId=inv.invoice_id))
    else:
        iban, problem = check_iban(inv.iban, field)
        details += [problem] if problem else []
    bic, problem = check_bic(inv.bic, field)
    details += [problem] if problem else []
    if inv.currency != "EUR":
        details.append(_detail(f"{field}: invoice {inv.number} is in {inv.currency}: SEPA transfers are in euros",
                               field, "PAY-CURRENCY", "les virements SEPA sont en euros", invoiceId=inv.invoice_id))
    problem_text = _amount_problem(inv.amount_due)
    if problem_text:
        details.append(_detail(f"{field}: invoice {inv.number}: {problem_text}", field, "PAY-AMOUNT",
                               "montant à payer invalide", invoiceId=inv.invoice_id))
    if details or iban is None or inv.amount_due is None:
        return None, details
    return PaymentLine(inv.invoice_id, inv.number, inv.payee_name, iban, bic, inv.amount_due,
                       sepa.end_to_end_id(inv.number)), []


def prepare(*, account_id: str, company_id: str, invoice_ids: Sequence[str],
            invoices: Mapping[str, PayableInvoice], debtor: DebtorAccount, execution_date: _dt.date,
            today: _dt.date, payment_id: str, created_at: str, schema: str = SCHEMA_DEFAULT) -> PaymentBatch:
    """Check everything and return the batch (nothing is stored); one 422 with every problem otherwise."""
    details: list[ErrorDetail] = []
    if not invoice_ids or len(invoice_ids) > MAX_INVOICES:
        details.append(_detail(f"give between 1 and {MAX_INVOICES} invoices", "invoiceIds", "PAY-EMPTY",
                               f"entre 1 et {MAX_INVOICES} factures attendues"))
    if schema not in SCHEMAS:
        details.append(_detail(f"schema must be one of {', '.join(SCHEMAS)}", "schema", "PAY-SCHEMA",
                               "version pain.001 non prise en charge"))
    iban, problem = check_iban(debtor.iban, "debtorAccount.iban")
    details += [problem] if problem else []
    bic, problem = check_bic(debtor.bic, "debtorAccount.bic")
    details += [problem] if problem else []
    if not debtor.name.strip():
        details.append(_detail("the debtor account needs a name", "debtorAccount.name", "PAY-NAME",
                               "nom du titulaire du compte débité manquant"))
    if execution_date < today:
        details.append(_detail(f"execution date {execution_date} is in the past", "executionDate",
                               "PAY-EXECUTION-DATE", "date d'exécution passée"))
    lines: list[PaymentLine] = []
    seen: set[str] = set()
    for i, invoice_id in enumerate(invoice_ids[:MAX_INVOICES]):
        if invoice_id in seen:
            details.append(_detail(f"invoiceIds[{i}]: invoice {invoice_id} is listed twice", f"invoiceIds[{i}]",
                                   "PAY-DUPLICATE", "facture en double dans la demande"))
            continue
        seen.add(invoice_id)
        line, problems = _line(i, company_id, invoices.get(invoice_id))
        details += problems
        if line:
            lines.append(line)
    if details:
        raise InvalidInputError(f"{len(details)} problem(s) prevent this payment", details)
    return PaymentBatch(id=payment_id, account_id=account_id, company_id=company_id,
                        debtor=DebtorAccount(iban or debtor.iban, debtor.name.strip(), bic),
                        execution_date=execution_date, created_at=created_at, lines=tuple(lines), schema=schema)


def new_payment_id() -> str:
    return f"PAY{uuid.uuid4().hex}"  # 35 characters: the pain.001 MsgId limit


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def create_payment(*, account_id: str, company_id: str, invoice_ids: Sequence[str], debtor: DebtorAccount,
                   execution_date: _dt.date, invoices: InvoiceSource, repository: PaymentRepository,
                   schema: str = SCHEMA_DEFAULT, clock: Callable[[], _dt.datetime] = _utcnow,
                   new_id: Callable[[], str] = new_payment_id) -> PaymentBatch:
    """Check, build the file once (so a batch that cannot be written is never stored), store the batch."""
    now = clock()
    found = invoices.get_payable(account_id, list(dict.fromkeys(invoice_ids)))
    batch = prepare(account_id=account_id, company_id=company_id, invoice_ids=invoice_ids, invoices=found,
                    debtor=debtor, execution_date=execution_date,
                    today=now.astimezone(_dt.timezone.utc).date(), payment_id=new_id(),
                    created_at=now.astimezone(_dt.timezone.utc).isoformat(timespec="milliseconds")
                    .replace("+00:00", "Z"), schema=schema)
    sepa.build(batch)
    repository.create(batch)
    return batch


def get_payment(account_id: str, payment_id: str, repository: PaymentRepository) -> PaymentBatch:
    batch = repository.get(account_id, payment_id)
    if batch is None:
        raise NotFoundError("no such payment", [ErrorDetail("no such payment", field="id", rule="NOT_FOUND",
                                                            message_fr="paiement inconnu")])
    return batch


def payment_file(account_id: str, payment_id: str, repository: PaymentRepository) -> bytes:
    return sepa.build(get_payment(account_id, payment_id, repository))


def payable_from_invoice(invoice: Invoice, *, invoice_id: str, company_id: str, history: Sequence[int],
                         amount_due: Decimal | None = None) -> PayableInvoice:
    """Read what a payment needs from a received invoice (``einvoicing.model.Invoice``): payee (BG-10,
    else the seller), first credit transfer account (BG-16/BG-17), currency, amount due (BT-115)."""
    instructions = invoice.payment_instructions
    transfer = instructions.credit_transfers[0] if instructions and instructions.credit_transfers else None
    due = amount_due if amount_due is not None else (invoice.totals.payable if invoice.totals else None)
    payee = invoice.payee.name if invoice.payee else invoice.seller.name
    return PayableInvoice(invoice_id=invoice_id, company_id=company_id, number=invoice.number, payee_name=payee,
                          iban=transfer.account_id if transfer else None, bic=transfer.bic if transfer else None,
                          currency=invoice.currency, amount_due=due, history=tuple(history))
