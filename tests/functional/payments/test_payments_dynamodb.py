"""The payment repository on the data table (moto): round trip, conditional create, tenant isolation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from einvoice.payments import sepa
from einvoice.payments.dynamodb import DynamoPaymentRepository
from einvoice.payments.model import DebtorAccount, PaymentBatch, PaymentLine


def test_batch_round_trips_and_regenerates_the_same_file(aws):
    from einvoice.adapters.aws.clients import table

    repo = DynamoPaymentRepository(table(aws.settings.data_table))
    batch = PaymentBatch(
        id="PAY0123456789abcdef0123456789abcdef", account_id="acc-1", company_id="co-1",
        debtor=DebtorAccount("FR1420041010050500013M02606", "Menuiserie Dupont", None),
        execution_date=dt.date(2026, 12, 4), created_at="2026-12-02T09:00:00.000Z",
        lines=(PaymentLine("inv-1", "F1", "Vendeur", "FR7630006000011234567890189", "AGRIFRPP", Decimal("1200.50"),
                           "F1"),
               PaymentLine("inv-2", "F2", "Autre", "DE89370400440532013000", None, Decimal("0.10"), "F2")))
    repo.create(batch)
    got = repo.get("acc-1", batch.id)
    assert got == batch
    assert sepa.build(got) == sepa.build(batch)
    assert repo.get("acc-2", batch.id) is None
    with pytest.raises(ValueError):
        repo.create(batch)
