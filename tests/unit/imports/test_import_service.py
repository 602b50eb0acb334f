"""Import use cases against the in-memory adapters: exact per-line outcomes, parallel imports,
unreadable lines, the chunk loop, stop / resume, reports. (The DynamoDB / S3 / Step Functions
adapters run the same service in tests/functional/imports.)"""

from __future__ import annotations

import csv
import io
import threading

import pytest
from imports_testing import (
    ACTIVE,
    ACTIVE_SIRET,
    CLOSED,
    MANY,
    NOT_VAT,
    UNKNOWN,
    Fakes,
    MemoryDirectory,
    run_to_end,
    tenant,
)

from einvoice.errors import ConflictError, InvalidInputError, NotFoundError
from einvoice.imports import service
from einvoice.imports.models import ImportOut


def _csv(lines: list[str], header: bool = True) -> bytes:
    head = ["type;identifiant;effectif;achats;paiement;ventes;doublons"] if header else []
    return ("\r\n".join(head + lines) + "\r\n").encode()


def _import(fakes: Fakes, data: bytes, *, who: str = "acc-1", enrol: str | None = None, **kw) -> ImportOut:
    started = service.start_upload(tenant(who), data, None, enrol, deps=fakes.deps())
    name, task = fakes.workflow.started[-1]
    assert name == started.id and task == {
        "accountId": who,
        "importId": started.id,
        "done": False,
        "outages": 0,
        "waitSeconds": 0,
    }
    run_to_end(fakes, task, **kw)
    return service.get_import(tenant(who), started.id, deps=fakes.deps())


def _report(fakes: Fakes, out: ImportOut) -> list[dict]:
    rec = fakes.repository.get("acc-1", out.id)
    text = fakes.files.objects[(rec.bucket, rec.report_key)].decode()
    return list(csv.DictReader(io.StringIO(text)))


def _valid(ident: str, kind: str = "SIREN", opts: str = "1;0;1;0") -> str:
    return f"{kind};{ident};1-10;{opts}"


DIRTY = [
    _valid(ACTIVE[:3] + " " + ACTIVE[3:]),  # 2 created
    _valid(ACTIVE_SIRET, "SIRET", "1;1;0;0"),  # 3 created
    "",  # 4 blank: skipped, not counted
    _valid(NOT_VAT, opts="0;0;1;0"),  # 5 created
    f"SIRENE;{MANY[0]};1-10;1;0;1;0",  # 6 identifierType
    "SIREN;123;1-10;1;0;1;0",  # 7 identifier format
    f"SIREN;{MANY[0]};12-15;1;0;1;0",  # 8 employees
    f"SIREN;{MANY[0]};1-10;0;0;0;0",  # 9 COMPANY-01
    _valid(UNKNOWN),  # 10 unknown to the directory
    _valid(CLOSED),  # 11 closed
    _valid(ACTIVE),  # 12 duplicate of line 2
    f'SIREN;"{MANY[1]};1-10;1;0;1;0',  # 13 stray quote
    f"SIREN;{MANY[2]};1-10;1;0;1;0\rSIREN;{MANY[3]};1-10;1;0;1;0",  # 14 bare CR
    "\x00\x01binary\x7f;;;;;;",  # 15 binary garbage
    f"=cmd|' /C calc'!A0;{MANY[4]};1-10;1;0;1;0",  # 16 formula in a cell
    f"SIREN;{MANY[5]};{'9' * 500};1;0;1;0",  # 17 oversize cell
    _valid(MANY[6]),  # 18 created after all that
]
EXPECTED = [
    (6, "identifierType"),
    (7, "identifier"),
    (8, "employees"),
    (9, "purchaseInvoices"),
    (10, "identifier"),
    (11, "identifier"),
    (12, "identifier"),
    (13, "line"),
    (14, "line"),
    (15, "line"),
    (16, "identifierType"),
    (17, "employees"),
]


@pytest.mark.parametrize("chunk_lines", [5000, 3])
def test_every_line_has_an_exact_outcome_and_unreadable_lines_never_fail_the_import(chunk_lines):
    fakes = Fakes(chunk_lines=chunk_lines)
    out = _import(fakes, _csv(DIRTY), enrol="true")
    assert out.state == "SUCCEEDED" and out.failure is None
    assert [(e.line, e.field) for e in out.errors] == EXPECTED
    assert (out.lines_read, out.imported, out.rejected, out.existing, out.last_line) == (16, 4, 12, 0, 18)
    assert out.to_enrol == 3  # VAT-liable with purchase invoices: ACTIVE, ACTIVE_SIRET, MANY[6]
    reasons = {e.line: e.reason for e in out.errors}
    assert "duplicate of line 2" in reasons[12] and "found ''=cmd|' /C calc" in reasons[16]
    assert all(len(e.reason) < 120 for e in out.errors)
    rows = _report(fakes, out)
    assert {int(r["line"]) for r in rows} == set(range(2, 19)) - {4}
    created = {r["companyId"] for r in rows if r["outcome"] == "created"}
    assert created == {c.id for c in fakes.companies.items.values()} and len(created) == 4
    assert out.links.report == f"/v1/companies/imports/{out.id}/report"


def test_reimport_creates_nothing_and_never_overwrites_a_modified_company():
    fakes = Fakes()
    first = _import(fakes, _csv(DIRTY))
    company = next(c for c in fakes.companies.items.values() if c.identifier == ACTIVE)
    company.employees, company.updated_at = "250-+", "2026-12-02T10:00:00.000Z"  # modified in between
    again = _import(fakes, _csv(DIRTY))
    assert (again.imported, again.existing, again.rejected) == (0, 5, 11)  # line 12 repeats an existing one
    stored = fakes.companies.get("acc-1", company.id)
    assert (stored.employees, stored.import_id) == ("250-+", first.id)
    assert len(fakes.companies.writes) == 4


def test_parallel_imports_of_one_file_count_each_company_once():
    fakes = Fakes(chunk_lines=40)
    lines = [_valid(s) for s in MANY[:280]] + [_valid(s) for s in MANY[:10]] + ["SIREN;123;1-10;1;0;1;0"] * 10
    data = _csv(lines, header=False)
    assert len(lines) == 300
    outs: list[ImportOut] = []
    barrier = threading.Barrier(4)

    def one() -> None:
        barrier.wait()
        outs.append(_import(fakes, data))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(o.state == "SUCCEEDED" for o in outs)
    assert sum(o.imported for o in outs) == 280
    assert len(fakes.companies.writes) == len(set(fakes.companies.writes)) == 280
    for o in outs:  # per import: created + existing + duplicates + invalid = every line
        assert o.imported + o.existing + o.rejected == 300
    by_import = {o.id: o.imported for o in outs}
    owners = [c.import_id for c in fakes.companies.items.values()]
    assert {i: owners.count(i) for i in by_import} == by_import


def test_a_company_created_between_the_check_and_the_commit_is_existing_not_overwritten():
    fakes = Fakes()

    racer = fakes.companies
    original = racer.get_many

    def get_many_then_race(account_id, ids, *, consistent=False):
        found = original(account_id, ids, consistent=consistent)
        from einvoice.companies.model import new_company

        winner = new_company(
            account_id=account_id,
            identifier_type="SIREN",
            identifier=MANY[1],
            employees="51-250",
            purchase_invoices=True,
            purchase_payment=False,
            sales_invoices=True,
            duplicate_control=False,
            record=fakes.directory.units[MANY[1]],
            now="t0",
        )
        racer.create(winner)  # the API creates it right after the import's check
        return found

    racer.get_many = get_many_then_race
    out = _import(fakes, _csv([_valid(MANY[0]), _valid(MANY[1]), _valid(MANY[1]), _valid(MANY[2])], header=False))
    assert (out.imported, out.existing, out.rejected) == (2, 2, 0)  # the repeat of an existing one is existing
    assert (
        fakes.companies.get("acc-1", next(c.id for c in racer.items.values() if c.identifier == MANY[1])).employees
        == "51-250"
    )
    outcomes = [r["outcome"] for r in _report(fakes, out)]
    assert outcomes == ["created", "existing", "existing", "created"]


def test_first_errors_in_the_record_all_errors_in_the_report():
    fakes = Fakes(chunk_lines=70)
    out = _import(fakes, _csv(["SIREN;123;1-10;1;0;1;0"] * 250 + [_valid(MANY[0])], header=False))
    assert (out.rejected, out.error_count, len(out.errors), out.errors_truncated) == (250, 250, 100, True)
    assert [e.line for e in out.errors] == list(range(1, 101))
    rows = _report(fakes, out)
    assert len(rows) == 251 and rows[-1]["outcome"] == "created"


def test_report_cells_are_formula_neutralised():
    fakes = Fakes()
    out = _import(fakes, _csv([_valid(MANY[0]), "@SUM(1+1);x;=1+2;+1;-1;1;0"], header=False))
    row = _report(fakes, out)[1]
    assert row["outcome"] == "rejected" and not row["reason"].startswith(("=", "+", "-", "@"))
    text = fakes.files.objects[(fakes.settings.drop_bucket, f"reports/acc-1/{out.id}/report")].decode()
    for cell in (c for line in text.splitlines() for c in next(csv.reader([line]))):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_over_long_line_running_past_the_range_read_is_one_line_error():
    fakes = Fakes()
    data = _csv([_valid(MANY[0]), "SIREN;" + "x" * 200_000, _valid(MANY[1])], header=False)
    out = _import(fakes, data)
    assert (out.imported, out.rejected) == (2, 1)
    assert [(e.line, e.field, e.reason) for e in out.errors] == [(2, "line", "line longer than 2048 bytes")]
    assert fakes.files.largest_read <= service.MAX_RANGE_BYTES


def test_chunk_loop_returns_when_the_lambda_runs_out_of_time_and_goes_on():
    fakes = Fakes(chunk_lines=25)
    calls = {"n": 0}

    def time_left():  # plenty for the first chunk of each invocation, then nearly nothing
        calls["n"] += 1
        return 1000

    out = _import(fakes, _csv([_valid(s) for s in MANY[:100]], header=False), time_left=time_left)
    assert out.state == "SUCCEEDED" and out.imported == 100
    assert calls["n"] == 3  # one check after each of the first 3 chunks; the 4th reaches the end and closes


def test_directory_outage_backs_off_then_stops_with_exact_counts_and_resume_finishes():
    directory = MemoryDirectory(fail_after=2)  # chunks 1 and 2 pass, then the directory is down
    fakes = Fakes(chunk_lines=50, directory=directory)
    data = _csv([_valid(s) for s in MANY[:150]] + ["SIREN;123;1-10;1;0;1;0"] * 30, header=False)
    started = service.start_upload(tenant(), data, "false", None, deps=fakes.deps())
    task = fakes.workflow.started[-1][1]
    waits = []
    for _ in range(service.MAX_OUTAGES):
        task = service.run_task(task, deps=fakes.deps())
        waits.append(task["waitSeconds"])
    assert task["done"] and waits == [5, 10, 20, 40, 0]
    out = service.get_import(tenant(), started.id, deps=fakes.deps())
    assert out.state == "FAILED" and out.failure.code == "DirectoryUnavailable"
    assert "Traceback" not in out.failure.message and "resume" in out.failure.message
    assert (out.lines_read, out.last_line, out.imported) == (100, 100, 100) == (100, 100, len(fakes.companies.items))
    assert len(_report(fakes, out)) == 100  # exactly what was written

    directory.fail_after = None  # the directory is back
    resumed = service.resume(tenant(), started.id, deps=fakes.deps())
    assert resumed.state == "RUNNING" and resumed.resumes == 1 and resumed.failure is None
    assert fakes.workflow.started[-1][0] == f"{started.id}-resume-1"
    with pytest.raises(ConflictError):  # its execution is RUNNING
        service.resume(tenant(), started.id, deps=fakes.deps())
    run_to_end(fakes, fakes.workflow.started[-1][1])
    out = service.get_import(tenant(), started.id, deps=fakes.deps())
    assert (out.state, out.lines_read, out.imported, out.rejected, out.resumes) == ("SUCCEEDED", 180, 150, 30, 1)
    assert len(fakes.companies.writes) == len(set(fakes.companies.writes)) == 150
    assert len(_report(fakes, out)) == 180
    with pytest.raises(ConflictError):
        service.resume(tenant(), started.id, deps=fakes.deps())


def test_unexpected_error_stops_the_import_with_a_code_and_no_trace():
    fakes = Fakes(chunk_lines=10)

    def boom(*a, **kw):
        raise RuntimeError('Traceback (most recent call last):\n  File "x.py", line 1')

    out = _import(fakes, _csv([_valid(s) for s in MANY[:10]], header=False))
    fakes.companies.get_many = boom
    started = service.start_upload(
        tenant(), _csv([_valid(s) for s in MANY[10:30]], header=False), None, None, deps=fakes.deps()
    )
    run_to_end(fakes, fakes.workflow.started[-1][1])
    out = service.get_import(tenant(), started.id, deps=fakes.deps())
    assert out.state == "FAILED" and out.failure.code == "InternalError"
    stored = repr(fakes.repository.records) + repr(fakes.files.objects)
    assert "Traceback" not in stored and 'File "' not in stored


def test_stop_task_records_only_the_error_name():
    fakes = Fakes()
    started = service.start_upload(tenant(), _csv([_valid(MANY[0])]), None, None, deps=fakes.deps())
    out = service.stop_task(
        {"accountId": "acc-1", "importId": started.id, "error": "States.Timeout"}, deps=fakes.deps()
    )
    assert out["done"]
    got = service.get_import(tenant(), started.id, deps=fakes.deps())
    assert (got.state, got.failure.code) == ("FAILED", "TaskFailed")
    assert got.failure.message == "the import task stopped (States.Timeout); resume to continue"


def test_a_running_import_with_a_dead_execution_can_be_resumed_and_report_waits_for_the_stop():
    fakes = Fakes()
    started = service.start_upload(tenant(), _csv([_valid(MANY[0])]), None, None, deps=fakes.deps())
    with pytest.raises(ConflictError):
        service.report_link(tenant(), started.id, deps=fakes.deps())
    with pytest.raises(ConflictError):
        service.resume(tenant(), started.id, deps=fakes.deps())
    fakes.workflow.statuses[started.id] = "ABORTED"
    assert service.resume(tenant(), started.id, deps=fakes.deps()).resumes == 1
    run_to_end(fakes, fakes.workflow.started[-1][1])
    link = service.report_link(tenant(), started.id, deps=fakes.deps())
    assert link.url.endswith(f"reports/acc-1/{started.id}/report?expires=900") and link.expires_in == 900


def test_isolation_and_input_errors():
    fakes = Fakes()
    started = service.start_upload(tenant(), _csv([_valid(MANY[0])]), None, None, deps=fakes.deps())
    for call in (service.get_import, service.resume, service.report_link):
        with pytest.raises(NotFoundError):
            call(tenant("acc-2"), started.id, deps=fakes.deps())
        with pytest.raises(NotFoundError):
            call(tenant(), "imp_nope", deps=fakes.deps())
    with pytest.raises(InvalidInputError) as exc:
        service.start_upload(tenant(), b"  \r\n", None, None, deps=fakes.deps())
    assert exc.value.details[0].field == "body"
    with pytest.raises(InvalidInputError) as exc:
        service.start_upload(tenant(), b"x", "maybe", None, deps=fakes.deps())
    assert exc.value.details[0].field == "header"


def test_drop_imports_once_per_object_and_writes_a_summary_next_to_it():
    fakes = Fakes()
    fakes.files.put(
        "drop", "imports/acc-1/lot 1.csv", _csv([_valid(MANY[0]), "SIREN;123;1-10;1;0;1;0"]), metadata={"enrol": "true"}
    )
    event = {"Records": [{"s3": {"bucket": {"name": "drop"}, "object": {"key": "imports/acc-1/lot+1.csv"}}}]}
    first = service.start_drops(event, deps=fakes.deps())
    assert service.start_drops(event, deps=fakes.deps()) == first  # redelivered: same import, no new execution
    assert len(fakes.workflow.started) == 1
    run_to_end(fakes, first[0])
    import json

    summary = json.loads(fakes.files.objects[("drop", "imports/acc-1/lot 1.csv.report.json")])
    assert (summary["state"], summary["imported"], summary["rejected"], summary["toEnrol"]) == ("SUCCEEDED", 1, 1, 1)
    assert summary["links"]["report"].endswith("/report")
    fakes.files.put("drop", "imports/acc-9/x.csv", b"SIREN;1")
    ignored = {
        "Records": [
            {"s3": {"bucket": {"name": "drop"}, "object": {"key": k}}}
            for k in ("imports/acc-9/x.csv", "elsewhere/acc-1/x.csv", "imports/acc-1/x.csv.report.json")
        ]
    }
    assert service.start_drops(ignored, deps=fakes.deps()) == []
    failed = json.loads(fakes.files.objects[("drop", "imports/acc-9/x.csv.report.json")])
    assert failed["failure"]["code"] == "UnknownAccount"


def test_a_file_that_shrank_stops_the_import_as_unreadable():
    fakes = Fakes(chunk_lines=5)
    started = service.start_upload(
        tenant(), _csv([_valid(s) for s in MANY[:20]], header=False), None, None, deps=fakes.deps()
    )
    task = service.run_task(fakes.workflow.started[-1][1], lambda: 0, deps=fakes.deps())
    rec = fakes.repository.get("acc-1", started.id)
    fakes.files.put(rec.bucket, rec.key, b"SIREN;1\n")
    run_to_end(fakes, task)
    out = service.get_import(tenant(), started.id, deps=fakes.deps())
    assert (out.state, out.failure.code, out.imported) == ("FAILED", "SourceUnreadable", 5)


def test_the_end_of_an_import_is_announced_once_on_the_bus():
    fakes = Fakes()
    out = _import(fakes, _csv([_valid(MANY[0]), "SIREN;123;1-10;1;0;1;0"]))
    (event,) = fakes.events.events
    assert (event["type"], event["source"]) == ("ImportFinished", "einvoice.imports")
    detail = event["detail"]
    assert (detail["accountId"], detail["importId"], detail["state"]) == ("acc-1", out.id, "SUCCEEDED")
    assert (detail["imported"], detail["rejected"]) == (out.imported, out.rejected) == (1, 1)
