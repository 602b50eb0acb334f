"""The invoice repository contract, run on the DynamoDB adapter (moto) and on the in-memory fake alike."""

import pytest

from einvoice.invoicing.records import DONE, DRAFT, ISSUING, Attempt, InvoiceRecord, RecordUpdate, StatusEvent


@pytest.fixture(params=["dynamodb", "memory"])
def repo(request):
    if request.param == "memory":
        from einvoice.invoicing.memory import MemoryInvoiceRepository

        yield MemoryInvoiceRepository()
        return
    from einvoice.adapters.aws.clients import table
    from einvoice.invoicing.dynamodb import DynamoInvoiceRepository
    from local.testing import local_aws

    with local_aws() as booted:
        yield DynamoInvoiceRepository(table(booted.settings.data_table))


def record(invoice_id="i1", company="c1", created="2026-12-01T10:00:00.000Z", fingerprint="f"):
    return InvoiceRecord(id=invoice_id, account_id="acc", company_id=company, direction="sent", state=DRAFT,
                         number=f"N-{invoice_id}", issue_date="2026-11-30", type_code="380", profile="en16931",
                         duplicate_key=f"S#N-{invoice_id}#2026", fingerprint=fingerprint, created_at=created,
                         invoice={"number": f"N-{invoice_id}", "totals": {"payable": "1.00"}})


def test_create_is_once_and_get_reads_the_invoice_back(repo):
    stored, created = repo.create(record())
    assert created and stored.id == "i1"
    again, created = repo.create(record(fingerprint="other"))
    assert not created and again.fingerprint == "f"
    got = repo.get("acc", "i1")
    assert got.invoice == {"number": "N-i1", "totals": {"payable": "1.00"}} and got.state == DRAFT
    assert repo.get("acc", "i1", with_invoice=False).invoice is None
    assert repo.get("other-account", "i1") is None


def test_statuses_and_attempts_are_appended_once_and_terminal_statuses_close_the_record(repo):
    repo.create(record())
    rec, started = repo.start_transmission("acc", "i1", transmission_id="tx_1", now="t1")
    assert started and rec.state == ISSUING and rec.execution_seq == 1
    assert repo.start_transmission("acc", "i1", transmission_id="tx_2", now="t2")[1] is False
    deposited = RecordUpdate(status=StatusEvent("200", "t3", "0238:PA-THIS"), fields={"route": {"delivery": "peer"}},
                             require_state=(ISSUING,), now="t3")
    assert repo.apply("acc", "i1", deposited) is True
    assert repo.apply("acc", "i1", deposited) is False  # a retried task: nothing twice
    attempt = RecordUpdate(attempt=Attempt(1, "t4", "unavailable", "0238:PA-0042", "PeerHttp503"),
                           fields={"next_attempt_at": "t9"}, require_state=(ISSUING,), now="t4")
    assert repo.apply("acc", "i1", attempt) and not repo.apply("acc", "i1", attempt)
    assert repo.claim_execution("acc", "i1", expected_seq=1, now="t5")
    assert not repo.claim_execution("acc", "i1", expected_seq=1, now="t5")
    issued = RecordUpdate(status=StatusEvent("201", "t6", "0238:PA-THIS"), require_state=(ISSUING,), now="t6")
    assert repo.apply("acc", "i1", issued)
    late = RecordUpdate(status=StatusEvent("221", "t7", "0238:PA-THIS", reason="ROUTAGE_ERR"),
                        require_state=(ISSUING,), now="t7")
    assert repo.apply("acc", "i1", late) is False  # no 221 after a 201
    rec = repo.get("acc", "i1", with_invoice=False)
    assert [s.code for s in rec.status_history] == ["200", "201"] and rec.status_code == "201"
    assert rec.state == DONE and rec.next_attempt_at is None and rec.execution_seq == 2
    assert [a.code for a in rec.attempts] == ["PeerHttp503"] and rec.route == {"delivery": "peer"}


def test_duplicate_keys_belong_to_the_first_claimant(repo):
    assert repo.duplicate_owner("acc", "c1", "S#N#2026") is None
    assert repo.claim_duplicate_key("acc", "c1", "S#N#2026", "i1") == "i1"
    assert repo.claim_duplicate_key("acc", "c1", "S#N#2026", "i1") == "i1"
    assert repo.claim_duplicate_key("acc", "c1", "S#N#2026", "i2") == "i1"
    assert repo.duplicate_owner("acc", "c1", "S#N#2026") == "i1"


def test_list_by_company_and_status_newest_first_with_pages(repo):
    for n in range(5):
        repo.create(record(f"i{n}", company="c1" if n < 4 else "c2", created=f"2026-12-01T10:00:0{n}.000Z"))
    repo.start_transmission("acc", "i1", transmission_id="tx", now="t")
    repo.apply("acc", "i1", RecordUpdate(status=StatusEvent("213", "t", "p", reason="DOUBLON"), now="t"))
    page, token = repo.list("acc", direction="sent", company_id="c1", limit=2)
    assert [r.id for r in page] == ["i3", "i2"] and token
    rest, token = repo.list("acc", direction="sent", company_id="c1", limit=2, token=token)
    assert [r.id for r in rest] == ["i1", "i0"]
    assert [r.id for r in repo.list("acc", direction="sent", status="213")[0]] == ["i1"]
    assert repo.list("acc", direction="received")[0] == []
    assert {r.id for r in repo.list("acc", direction="sent", limit=10)[0]} == {f"i{n}" for n in range(5)}
