"""Paying received invoices through the invoice records (fakes): checks, the pain.001 file, 211 on both sides."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from einvoice.errors import InvalidInputError
from einvoice.lifecycle.actions import StatusAction, set_status
from einvoice.payments import api
from einvoice.payments.memory import MemoryPaymentRepository
from einvoice.payments.models import PaymentCreate
from einvoice.tenancy import Tenant
from einvoice.transmission.adapters import CompanyOptions
from tests.unit.reception.reception_testing import make_reception_world
from tests.unit.transmission.transmission_testing import (
    ACCOUNT,
    BUYER_ACCOUNT,
    BUYER_SIREN,
    THIS,
    line,
)

BUYER = Tenant(partner_id="p", account_id=BUYER_ACCOUNT, api_key_id="k")
DEBTOR = {"iban": "FR76 3000 4000 0312 3456 7890 143", "bic": "BNPAFRPP", "name": "Acheteur SARL"}


@pytest.fixture(scope="module")
def seal_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("seal"))


@pytest.fixture
def world(seal_dir):
    w = make_reception_world(seal_dir)
    w.directory.add(line(THIS))
    w.companies.add(BUYER_ACCOUNT, CompanyOptions("co_buyer", BUYER_SIREN, "Acheteur", False, True, False, True))
    w.payments = MemoryPaymentRepository()
    return w


def _received(world, number="F2026-0001"):
    from tests.unit.invoicing.model_samples import sample_body

    body = sample_body()
    body["number"] = body["paymentInstructions"]["remittanceInformation"] = number
    sent = world.issue(body)["id"]
    world.run_started()
    world.run_receptions()  # the buyer side: the reception's workflow (202, 203)
    received = next(r for r in world.repo.list(BUYER_ACCOUNT, direction="received")[0] if r.number == number)
    return sent, received.id


def _pay(world, ids, **changes):
    body = {"companyId": "co_buyer", "invoiceIds": ids, "debtorAccount": DEBTOR, "executionDate": "2026-12-04",
            **changes}
    return api.create(BUYER, PaymentCreate.model_validate(body), deps=world.deps, payments=world.payments,
                      clock=world.clock)


def _approve(world, invoice_id):
    set_status(BUYER_ACCOUNT, invoice_id, StatusAction(205), deps=world.deps)


def test_paying_approved_invoices_sets_211_on_both_sides_and_gives_a_valid_pain001(world):
    from einvoice.validation import xsd

    sent, received = _received(world)
    _approve(world, received)
    out = _pay(world, [received])
    (paid,) = out["invoices"]
    assert out["total"] == paid["amount"] == "325.15"  # the invoice's amount due (BT-115)
    assert out["links"] == {"file": f"/v1/payments/{out['id']}/file"}
    assert paid["iban"] == "FR7630006000011234567890189" and paid["payee"] == "Vendeur SAS"
    for account, invoice_id in ((BUYER_ACCOUNT, received), (ACCOUNT, sent)):
        last = world.repo.get(account, invoice_id).status_history[-1]
        assert (last.code, last.amount, last.id) == ("211", "325.15", f"211-{out['id']}")
    data, name = api.file(BUYER, out["id"], payments=world.payments)
    root = etree.fromstring(data)
    assert not xsd.validate("pain.001.001.09", root) and name == f"{out['id']}.xml"
    assert root.findtext(".//{*}ReqdExctnDt/{*}Dt") == "2026-12-04"
    # the same request again: the same batch, nothing paid or recorded twice
    assert _pay(world, [received])["id"] == out["id"]
    assert [s.code for s in world.repo.get(BUYER_ACCOUNT, received).status_history].count("211") == 1


def test_a_partial_approval_pays_the_approved_amount(world):
    from decimal import Decimal

    _sent, received = _received(world)
    set_status(BUYER_ACCOUNT, received, StatusAction(206, reason="QTE_ERR", amount=Decimal("300.00")), deps=world.deps)
    assert _pay(world, [received])["total"] == "300.00"


def test_one_422_lists_every_invoice_that_cannot_be_paid(world):
    _sent, approved = _received(world, "F2026-0001")
    _approve(world, approved)
    _sent2, disputed = _received(world, "F2026-0002")
    _approve(world, disputed)
    set_status(BUYER_ACCOUNT, disputed, StatusAction(207, reason="PU_ERR"), deps=world.deps)
    with pytest.raises(InvalidInputError) as err:
        _pay(world, [approved, disputed, "nope"])
    rules = {(d.field, d.rule) for d in err.value.details}
    assert rules == {("invoiceIds[1]", "PAY-STATUS"), ("invoiceIds[2]", "PAY-NOT-FOUND")}
    assert not world.payments.items
    assert [s.code for s in world.repo.get(BUYER_ACCOUNT, approved).status_history] == ["202", "203", "205"]


def test_the_company_needs_the_purchase_payment_option(world):
    world.companies.add(BUYER_ACCOUNT, CompanyOptions("co_buyer", BUYER_SIREN, "Acheteur", False, True, False, False))
    _sent, received = _received(world)
    _approve(world, received)
    with pytest.raises(InvalidInputError) as err:
        _pay(world, [received])
    assert err.value.details[0].rule == "COMPANY_NO_PURCHASE_PAYMENT"


def test_a_bad_debtor_iban_and_a_past_date_are_named(world):
    _sent, received = _received(world)
    _approve(world, received)
    with pytest.raises(InvalidInputError) as err:
        _pay(world, [received], debtorAccount={**DEBTOR, "iban": "FR7630004000031234567890000"},
             executionDate=(dt.date(2026, 12, 1)).isoformat())
    assert {d.rule for d in err.value.details} == {"PAY-IBAN", "PAY-EXECUTION-DATE"}


def test_the_payment_is_announced_on_the_bus(world):
    _sent, received = _received(world)
    _approve(world, received)
    out = _pay(world, [received])
    (event,) = [e for e in world.events.events if e["type"] == "PaymentCreated"]
    assert event["source"] == "einvoice.payments" and event["detail"]["paymentId"] == out["id"]
    assert event["detail"]["invoices"] == [{"invoiceId": received, "number": "F2026-0001", "amount": "325.15"}]
