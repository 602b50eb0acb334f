"""Lifecycle and payment benchmark: what issuing a status and building a payment file cost.

Usage: .venv/bin/python bench/lifecycle_bench.py [--repeat N]

Prints the one-time cost (CDAR XSD load, BR-FR-CDV compile) and warm medians / p99 per operation:
build + serialise a PA<->PA status message, validate it (XSD + BR-FR-CDV), the whole ``issue_status``
of a mandatory status (two messages validated), parse an incoming message, a 100-invoice pain.001
file (sepaxml + XSD), and the actions on invoice records (in-memory stores, so only the platform's own
work is timed): a buyer's status mirrored onto the seller's record (``set_status``: model, transition,
CDAR validated, record, event, mirror) and a payment of 10 invoices (file + ten 211). Inputs are
generated (no corpus needed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "layers/core/python"), str(REPO)]


def timed(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    from einvoice.lifecycle import builder, cdar_validation, cdar_xml, service
    from einvoice.lifecycle.memory import MemoryPpfQueue
    from einvoice.lifecycle.statuses import Actor
    from einvoice.lifecycle.transitions import ReceivedAmount, StatusRequest
    from einvoice.payments import sepa
    from einvoice.payments.model import DebtorAccount, PaymentBatch, PaymentLine

    t0 = time.perf_counter()
    warm = cdar_validation.warm_up()
    print(f"one-time: {', '.join(f'{k} {v:.0f} ms' for k, v in warm.items())} "
          f"(total with imports {(time.perf_counter() - t0) * 1000:.0f} ms)")

    invoice = builder.InvoiceRef("F202600042", dt.date(2026, 11, 2), builder.Company("100000009", "VENDEUR", "100000009"),
                                 builder.Company("200000008", "ACHETEUR", "200000008"))
    utc = dt.timezone.utc
    event = builder.StatusEvent(invoice, StatusRequest(212, received=(ReceivedAmount(Decimal("1200"), Decimal("20")),)),
                                Actor.SELLER, dt.datetime(2026, 11, 3, 9, 30, tzinfo=utc),
                                dt.datetime(2026, 11, 2, 15, 10, tzinfo=utc))
    xml = cdar_xml.to_xml(builder.peer_copy(event))
    platform = builder.Platform("0042", "PA einvoice")
    rows = [
        ("build + serialise one CDAR", lambda: cdar_xml.to_xml(builder.peer_copy(event))),
        ("validate one CDAR (XSD + BR-FR-CDV)", lambda: cdar_validation.validate(xml)),
        ("parse one CDAR", lambda: cdar_xml.parse(xml)),
        ("issue_status 212 with PPF copy (2 validated)",
         lambda: service.issue_status([202, 203], event, account_id="a", invoice_id="i", platform=platform,
                                      ppf_queue=MemoryPpfQueue(), vat_on_receipt=True)),
    ]
    lines = tuple(PaymentLine(f"inv-{n}", f"F{n}", f"Fournisseur {n}", "FR7630006000011234567890189", "AGRIFRPP",
                              Decimal("100.10") + n, f"F{n}") for n in range(100))
    batch = PaymentBatch("PAY0123456789abcdef0123456789abcdef", "a", "c",
                         DebtorAccount("FR1420041010050500013M02606", "Acheteur", None), dt.date(2026, 12, 4),
                         "2026-12-02T09:00:00.000Z", lines)
    rows.append(("pain.001 of 100 invoices (sepaxml + XSD)", lambda: sepa.build(batch)))
    rows += record_actions()
    for name, fn in rows:
        fn()
        p50, p99 = timed(fn, args.repeat if "pain" not in name and "10" not in name else max(10, args.repeat // 10))
        print(f"{name:48s} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
    return 0


def record_actions() -> list:
    """``set_status`` and a payment on two linked records (seller / buyer of this platform), in memory."""
    import copy
    import itertools

    from einvoice.invoicing import calc
    from einvoice.invoicing.memory import MemoryInvoiceRepository
    from einvoice.invoicing.model import Invoice
    from einvoice.invoicing.records import StatusEvent
    from einvoice.invoicing.service import new_record
    from einvoice.lifecycle.actions import StatusAction, set_status
    from einvoice.lifecycle.memory import MemoryPpfQueue
    from einvoice.payments import api as payments_api
    from einvoice.payments.memory import MemoryPaymentRepository
    from einvoice.payments.models import PaymentCreate
    from einvoice.settings import Settings
    from einvoice.tenancy import Tenant
    from einvoice.transmission import memory
    from einvoice.transmission.adapters import CompanyOptions
    from einvoice.transmission.service import TransmissionDeps
    from tests.unit.invoicing.model_samples import sample_body

    repo = MemoryInvoiceRepository()
    companies = memory.MemoryCompanies()
    companies.add("buyer", CompanyOptions("co_b", "552100554", "Acheteur", False, True, False, True))
    deps = TransmissionDeps(repository=repo, companies=companies, registry=memory.MemoryRegistry(), reception=object(),
                            flux6=MemoryPpfQueue(), events=memory.MemoryEvents(), status_queue=memory.MemoryQueue(),
                            settings=Settings())
    at = "2026-12-02T09:00:00.000Z"
    ids = []
    for n in range(10):
        body = sample_body()
        body["number"] = f"F2026-{n:04d}"
        invoice = calc.compute(Invoice.model_validate(body))
        sent = new_record(invoice_id=f"s{n}", account_id="seller", company_id="co_s", invoice=invoice,
                          profile="en16931", fingerprint="f", source="json", now=at)
        received = new_record(invoice_id=f"r{n}", account_id="buyer", company_id="co_b", invoice=invoice,
                              profile="en16931", fingerprint="f", source="platform", direction="received", now=at)
        sent.status_history = [StatusEvent("200", at, "0238:PA-THIS"), StatusEvent("201", at, "0238:PA-THIS"),
                               StatusEvent("202", at, "0238:PA-THIS")]
        received.status_history = [StatusEvent("202", at, "0238:PA-THIS"), StatusEvent("205", at, "0238:PA-THIS",
                                                                                      id="205-2")]
        sent.peer_record, received.peer_record = {"accountId": "buyer", "invoiceId": f"r{n}"}, {
            "accountId": "seller", "invoiceId": f"s{n}"}
        repo.create(sent)
        repo.create(received)
        ids.append(f"r{n}")
    pristine = copy.deepcopy(repo.items)

    def reset() -> None:
        for key, record in pristine.items():
            repo.items[key].status_history = list(record.status_history)

    codes = itertools.cycle((207, 205))

    def one_status() -> None:
        reset()
        code = next(codes)
        set_status("buyer", "r0", StatusAction(code, reason="PU_ERR" if code == 207 else None), deps=deps)

    counter = itertools.count()

    def pay_ten() -> None:
        reset()
        body = PaymentCreate.model_validate({"companyId": "co_b", "invoiceIds": ids, "executionDate": "2099-01-04",
                                             "debtorAccount": {"iban": "FR7630004000031234567890143", "name": "A"},
                                             "schema": "pain.001.001.09"})
        body.debtor_account.name = f"A{next(counter)}"  # a new batch each time
        payments_api.create(Tenant(partner_id="p", account_id="buyer", api_key_id="k"), body, deps=deps,
                            payments=MemoryPaymentRepository())

    return [("set_status 207/205 on a record, mirrored", one_status),
            ("payment of 10 invoices (pain.001 + ten 211)", pay_ten)]


if __name__ == "__main__":
    raise SystemExit(main())
