"""Deposit of ready invoice files: checks at entry, 213 records kept, duplicate control, idempotency."""

import re

import pytest

from einvoice.errors import BadRequestError, InvalidInputError
from einvoice.invoicing import calc
from einvoice.invoicing.service import render_invoice
from einvoice.transmission import service
from einvoice.transmission.service import InvoiceRejectedError
from tests.unit.invoicing.model_samples import sample_body, sample_invoice
from tests.unit.transmission.transmission_testing import ACCOUNT, COMPANY, PEER, line


@pytest.fixture(scope="module")
def facturx():
    return render_invoice(calc.compute(sample_invoice()), "facturx", "en16931")


@pytest.fixture(scope="module")
def cii():
    return render_invoice(calc.compute(sample_invoice()), "cii", "en16931")


def _deposit(world, data, **kw):
    return service.deposit_file(world.tenant, COMPANY, data, deps=world.deps, **kw)


def test_a_valid_file_is_stored_then_issued_in_one_call(world, facturx):
    world.directory.add(line(PEER))
    status, record = _deposit(world, facturx)
    assert status == 201 and record.state == "DRAFT" and record.source == "file"
    assert record.input["syntax"] == "facturx" and record.number == "F2026-0001"
    again_status, again = _deposit(world, facturx, issue=True)  # same bytes: same record, now issued
    assert again.id == record.id and again_status == 202 and again.transmission_id
    world.run_started()
    rec = world.record(record.id)
    assert [s.code for s in rec.status_history] == ["200", "201"]
    # the deposited Factur-X was in the buyer's syntax: it is the original, sealed, that was sent
    from einvoice.transmission import archiving

    manifest, files = archiving.read_container(world.archive.get(rec.archive["key"]))
    assert files["original.pdf"] == facturx
    assert files["invoice.pdf"].startswith(facturx[:-64]) and len(files["invoice.pdf"]) > len(facturx)


def test_an_invalid_file_is_kept_as_213_with_its_rule_ids(world, cii):
    broken = re.sub(rb"<ram:GrandTotalAmount>[^<]+<", b"<ram:GrandTotalAmount>999.99<", cii)
    with pytest.raises(InvoiceRejectedError) as err:
        _deposit(world, broken)
    assert err.value.http_status == 422 and err.value.code == "InvoiceRejected"
    rules = {d.rule for d in err.value.details}
    assert "BR-CO-15" in rules and "213" in rules
    invoice_id = err.value.details[-1].extra["invoiceId"]
    rec = world.record(invoice_id)
    assert rec.status_code == "213" and rec.state == "DONE"
    assert rec.rejection["reasons"] == ["MONTANTTOTAL_ERR"] and rec.status_reason == "MONTANTTOTAL_ERR"
    listed, _ = world.repo.list(ACCOUNT, direction="sent", status="213")
    assert [r.id for r in listed] == [invoice_id]
    with pytest.raises(InvoiceRejectedError):  # the same file again: the same answer, nothing new
        _deposit(world, broken, issue=True)
    assert len(world.repo.items) == 1 and not world.workflow.started
    assert [e["detail"]["status"]["code"] for e in world.events.events] == ["213"]


def test_a_repeated_invoice_is_rejected_as_doublon_by_the_flow(world, facturx):
    world.directory.add(line(PEER))
    body = sample_body()
    body["notes"].append({"subjectCode": "AAI", "text": "Seconde version"})
    from einvoice.invoicing.model import Invoice

    other = render_invoice(calc.compute(Invoice.model_validate(body)), "facturx", "en16931")
    _, first = _deposit(world, facturx)
    _, second = _deposit(world, other)
    assert first.id != second.id and first.duplicate_key == second.duplicate_key
    service.issue_invoice(world.tenant, first.id, deps=world.deps)
    service.issue_invoice(world.tenant, second.id, deps=world.deps)
    world.run_started()
    assert world.codes(first.id) == ["200", "201"]
    rec = world.record(second.id)
    assert [(s.code, s.reason) for s in rec.status_history] == [("213", "DOUBLON")]
    assert rec.rejection["duplicateOf"] == first.id
    # once the first is deposited, a third deposit of the same number is refused at entry, and kept
    body["notes"].append({"subjectCode": "AAI", "text": "Troisième version"})
    third = render_invoice(calc.compute(Invoice.model_validate(body)), "facturx", "en16931")
    with pytest.raises(InvoiceRejectedError) as err:
        _deposit(world, third)
    assert err.value.details[-1].extra["reasons"] == ["DOUBLON"]


def test_a_file_of_another_seller_is_refused_and_not_kept(world):
    body = sample_body()
    body["seller"]["siren"], body["buyer"]["siren"] = body["buyer"]["siren"], body["seller"]["siren"]
    from einvoice.invoicing.model import Invoice

    data = render_invoice(calc.compute(Invoice.model_validate(body)), "cii", "en16931")
    with pytest.raises(InvalidInputError) as err:
        _deposit(world, data)
    assert [d.field for d in err.value.details] == ["invoice.seller.siren"]
    assert not world.repo.items


def test_an_unreadable_file_is_a_400(world):
    with pytest.raises(BadRequestError):
        _deposit(world, b"%PDF-1.7 not really")
    with pytest.raises(BadRequestError):
        _deposit(world, b"")
    assert not world.repo.items
