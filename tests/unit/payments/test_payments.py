"""Supplier invoice payments: checks with one 422 naming every problem, pain.001 files valid on their XSD."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from einvoice.errors import InvalidInputError, NotFoundError
from einvoice.payments import sepa, service
from einvoice.payments.memory import MemoryInvoiceSource, MemoryPaymentRepository
from einvoice.payments.model import DebtorAccount, PayableInvoice

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone.utc)
DEBTOR = DebtorAccount("FR14 2004 1010 0505 0001 3M02 606", "Menuiserie Dupont SARL", "PSSTFRPPPAR")
APPROVED = (200, 201, 202, 203, 205)


def payable(invoice_id: str, **changes) -> PayableInvoice:
    values = dict(invoice_id=invoice_id, company_id="co-1", number=f"F2026-{invoice_id}", payee_name="Société Générale "
                  "d'Électricité & Fils", iban="FR7630006000011234567890189", bic="AGRIFRPP", currency="EUR",
                  amount_due=Decimal("1200.50"), history=APPROVED)
    values.update(changes)
    return PayableInvoice(**values)


@pytest.fixture
def deps():
    source = MemoryInvoiceSource()
    for inv in (payable("inv-1"), payable("inv-2", amount_due=Decimal("99.99"), bic=None,
                                                iban="DE89370400440532013000", payee_name="Müller GmbH",
                                                history=(202, 206))):
        source.add("acc-1", inv)
    return source, MemoryPaymentRepository()


def create(deps, invoice_ids, **kw):
    source, repo = deps
    values = dict(account_id="acc-1", company_id="co-1", invoice_ids=invoice_ids, debtor=DEBTOR,
                  execution_date=dt.date(2026, 12, 4), invoices=source, repository=repo, clock=lambda: NOW,
                  new_id=lambda: "PAY0123456789abcdef0123456789abcdef")
    values.update(kw)
    return service.create_payment(**values)


def parse(xml: bytes, schema: str = "pain.001.001.09"):
    root = etree.fromstring(xml)
    return root, {"p": f"urn:iso:std:iso:20022:tech:xsd:{schema}"}


def test_a_batch_of_approved_invoices_gives_a_valid_pain_001(deps):
    batch = create(deps, ["inv-1", "inv-2"])
    assert batch.total == Decimal("1300.49")
    public = batch.to_public()
    assert public["total"] == "1300.49" and public["links"] == {"file": f"/v1/payments/{batch.id}/file"}
    assert [i["invoiceId"] for i in public["invoices"]] == ["inv-1", "inv-2"]
    assert public["debtorAccount"]["iban"] == "FR1420041010050500013M02606"  # normalised
    xml = service.payment_file("acc-1", batch.id, deps[1])
    root, ns = parse(xml)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=ns) == batch.id
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", namespaces=ns) == "2026-12-02T09:00:00"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "2"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) == "1300.49"
    block = root.find("p:CstmrCdtTrfInitn/p:PmtInf", ns)
    assert block.findtext("p:ReqdExctnDt/p:Dt", namespaces=ns) == "2026-12-04"
    assert block.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=ns) == "FR1420041010050500013M02606"
    assert block.findtext("p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=ns) == "PSSTFRPPPAR"
    txs = block.findall("p:CdtTrfTxInf", ns)
    assert [t.findtext("p:Amt/p:InstdAmt", namespaces=ns) for t in txs] == ["1200.50", "99.99"]
    assert [t.findtext("p:RmtInf/p:Ustrd", namespaces=ns) for t in txs] == ["F2026-inv-1", "F2026-inv-2"]
    assert [t.findtext("p:Cdtr/p:Nm", namespaces=ns) for t in txs] == [
        "Societe Generale d'Electricite & Fils", "Muller GmbH"]  # SEPA Latin characters
    assert txs[0].findtext("p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=ns) == "AGRIFRPP"
    assert txs[1].find("p:CdtrAgt", ns) is None  # no BIC given: none written (optional in SEPA)
    assert service.payment_file("acc-1", batch.id, deps[1]) == xml  # regenerated identically


def test_status_requests_set_211_with_the_amounts(deps):
    batch = create(deps, ["inv-1", "inv-2"])
    assert [(i, r.code, r.amount) for i, r in batch.status_requests()] == [
        ("inv-1", 211, Decimal("1200.50")), ("inv-2", 211, Decimal("99.99"))]


def test_pain_001_001_03_is_available(deps):
    batch = create(deps, ["inv-1"], schema="pain.001.001.03")
    root, ns = parse(sepa.build(batch), "pain.001.001.03")
    block = root.find("p:CstmrCdtTrfInitn/p:PmtInf", ns)
    assert block.findtext("p:ReqdExctnDt", namespaces=ns) == "2026-12-04"
    assert block.findtext("p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=ns) == "PSSTFRPPPAR"


def rules(exc) -> list[tuple[str | None, str | None]]:
    return [(d.field, d.rule) for d in exc.value.details]


@pytest.mark.parametrize(("invoice", "rule"), [
    (payable("x", history=(202, 203)), "PAY-STATUS"),
    (payable("x", history=(202, 205, 207)), "PAY-STATUS"),
    (payable("x", history=(202, 205, 210)), "PAY-STATUS"),
    (payable("x", history=(202, 205, 211)), "PAY-ALREADY-PAID"),
    (payable("x", iban=None), "PAY-NO-IBAN"),
    (payable("x", iban="FR7630006000011234567890188"), "PAY-IBAN"),
    (payable("x", iban="BR1800360305000010009795493C1"), "PAY-IBAN"),
    (payable("x", bic="AGRIFRPPX"), "PAY-BIC"),
    (payable("x", company_id="co-2"), "PAY-COMPANY"),
    (payable("x", currency="USD"), "PAY-CURRENCY"),
    (payable("x", amount_due=Decimal("0")), "PAY-AMOUNT"),
    (payable("x", amount_due=Decimal("-5")), "PAY-AMOUNT"),
    (payable("x", amount_due=Decimal("1.001")), "PAY-AMOUNT"),
    (payable("x", amount_due=None), "PAY-AMOUNT"),
    (payable("x", amount_due=Decimal("1000000000")), "PAY-AMOUNT"),
])
def test_what_cannot_be_paid_is_refused_with_its_rule(deps, invoice, rule):
    deps[0].add("acc-1", invoice)
    with pytest.raises(InvalidInputError) as exc:
        create(deps, ["inv-1", "x"])
    assert exc.value.http_status == 422
    assert rules(exc) == [("invoiceIds[1]", rule)]
    assert exc.value.details[0].message_fr
    assert not deps[1].items  # nothing stored


def test_every_problem_is_reported_at_once(deps):
    deps[0].add("acc-1", payable("bad", iban=None, currency="USD", history=(202,)))
    bad_debtor = DebtorAccount("FR00", " ", "AGRIFRPPX")
    with pytest.raises(InvalidInputError) as exc:
        create(deps, ["inv-1", "inv-1", "nope", "bad"], debtor=bad_debtor, execution_date=dt.date(2026, 12, 1),
               schema="pain.001.001.02")
    assert rules(exc) == [
        ("schema", "PAY-SCHEMA"), ("debtorAccount.iban", "PAY-IBAN"), ("debtorAccount.bic", "PAY-BIC"),
        ("debtorAccount.name", "PAY-NAME"), ("executionDate", "PAY-EXECUTION-DATE"),
        ("invoiceIds[1]", "PAY-DUPLICATE"), ("invoiceIds[2]", "PAY-NOT-FOUND"), ("invoiceIds[3]", "PAY-STATUS"),
        ("invoiceIds[3]", "PAY-NO-IBAN"), ("invoiceIds[3]", "PAY-CURRENCY")]
    assert exc.value.details[7].extra == {"invoiceId": "bad", "currentStatus": 202}


def test_another_accounts_invoice_is_not_found(deps):
    deps[0].add("acc-2", payable("other"))
    with pytest.raises(InvalidInputError) as exc:
        create(deps, ["other"])
    assert rules(exc) == [("invoiceIds[0]", "PAY-NOT-FOUND")]


def test_batch_size_bounds(deps):
    with pytest.raises(InvalidInputError) as exc:
        create(deps, [])
    assert rules(exc) == [("invoiceIds", "PAY-EMPTY")]
    with pytest.raises(InvalidInputError) as exc:
        create(deps, [f"i{n}" for n in range(501)])
    assert rules(exc)[0] == ("invoiceIds", "PAY-EMPTY")


def test_unknown_payment_is_404(deps):
    with pytest.raises(NotFoundError):
        service.get_payment("acc-1", "PAYnope", deps[1])
    batch = create(deps, ["inv-1"])
    with pytest.raises(NotFoundError):
        service.payment_file("acc-2", batch.id, deps[1])


@pytest.mark.parametrize(("number", "expected"), [
    ("F2026_0001", "F2026-0001"), ("A/B", "A/B"), ("/A//B/", "A/-B"), ("x" * 40, "x" * 35), ("___", "---"),
    ("", "NOTPROVIDED"),
])
def test_end_to_end_id_uses_sepa_characters(number, expected):
    assert sepa.end_to_end_id(number) == expected


def test_a_file_that_fails_its_xsd_is_never_returned(deps, monkeypatch):
    batch = create(deps, ["inv-1"])
    from einvoice.validation import xsd

    monkeypatch.setattr(xsd, "validate", lambda key, root: [("/Document", "broken on purpose")])
    with pytest.raises(sepa.PaymentFileError):
        sepa.build(batch)


def test_payable_from_a_parsed_invoice():
    from einvoice.invoicing.model import (
        Buyer,
        CreditTransfer,
        DocumentTotals,
        Invoice,
        Payee,
        PaymentInstructions,
        Seller,
    )

    invoice = Invoice.model_construct(
        number="F1", issue_date=dt.date(2026, 11, 2), currency="EUR",
        seller=Seller.model_construct(name="Vendeur SA"), buyer=Buyer.model_construct(name="Acheteur"),
        payee=None, totals=DocumentTotals(payable=Decimal("120.00")),
        payment_instructions=PaymentInstructions(means_code="58", credit_transfers=[
            CreditTransfer(account_id="FR7630006000011234567890189", bic="AGRIFRPP")]))
    got = service.payable_from_invoice(invoice, invoice_id="i1", company_id="co-1", history=[202, 205])
    assert (got.payee_name, got.iban, got.bic, got.amount_due, got.history) == (
        "Vendeur SA", "FR7630006000011234567890189", "AGRIFRPP", Decimal("120.00"), (202, 205))
    factored = invoice.model_copy(update={"payee": Payee(name="Factor SA"), "payment_instructions": None})
    got = service.payable_from_invoice(factored, invoice_id="i1", company_id="co-1", history=[],
                                       amount_due=Decimal("50"))
    assert (got.payee_name, got.iban, got.amount_due) == ("Factor SA", None, Decimal("50"))
