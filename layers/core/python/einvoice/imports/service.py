"""Bulk company imports (client CSV): API upload and S3 drop, processed in committed segments.

Flow (decision: *chunked continuation*, one small Step Functions loop, docs/decisions.md)::

    start_upload(tenant, body, header, enrol)  POST /v1/companies/imports -> RUNNING record + execution
    start_drops(event)                         S3 ObjectCreated imports/<accountId>/<name>.csv -> same
    run_task(task, time_left_ms)               chunk task: chunks until done or close to the Lambda timeout
    stop_task(task)                            state machine Catch: the import stops (FAILED, resumable)
    resume(tenant, import_id)                  POST .../imports/{id}/resume: a stopped import goes on
    get_import / report_link                   GET .../imports/{id} and .../imports/{id}/report

A chunk reads at most ``import_chunk_lines`` lines from the committed byte offset (one bounded
range read), checks the lines (pure), looks the identifiers up in the directory in bulk, and
commits them in *segments*: each segment's new companies (conditional creates), its report rows,
its counters and the record's new offset are written in one transaction. So:

* a line's outcome is exact: ``created`` (counted in ``imported``), ``existing`` (the company
  existed in the account, created by the API, another import or earlier: never overwritten, not
  counted) or ``rejected`` (with its errors; a line repeating a company this import created is a
  duplicate, rule COMPANY-03);
* parallel imports of one file create each company once, and their ``imported`` add up to the
  distinct valid companies (the conditional create decides, not a prior read);
* a stopped import (directory outage, Lambda failure) says exactly what it wrote, and ``resume``
  continues from the committed offset without redoing or double-counting anything.

Failures never carry a stack trace: the chunk task returns outcomes (the state machine backs off
on ``waitSeconds``) and records ``failure = {code, message}``; the trace goes to the logs only.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import unquote_plus

from einvoice.companies.model import Company, company_id, new_company, now_iso
from einvoice.companies.models import ENROLMENT_MASS_PENDING
from einvoice.companies.rules import check_directory
from einvoice.errors import (
    ConflictError,
    DomainError,
    ErrorDetail,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    TransientError,
    UpstreamUnavailableError,
)
from einvoice.imports import csv_format as fmt
from einvoice.imports.model import (
    CREATED,
    EXISTING,
    FAILED,
    REJECTED,
    REPORT_HEADER,
    RUNNING,
    SUCCEEDED,
    ImportRecord,
    Segment,
    SourceUnreadableError,
    report_rows,
)
from einvoice.imports.models import ChunkTask, ImportFailure, ImportLineError, ImportLinks, ImportOut, ReportLink
from einvoice.settings import Settings, get_settings
from einvoice.tenancy import Tenant

MAX_STORED_ERRORS = 100  # first errors kept in the record; every error is in the report object
MAX_BODY_BYTES = 50 * 1024 * 1024
AVG_LINE_BYTES = 64  # range read per chunk: lines * AVG_LINE_BYTES, within [MIN, MAX]_RANGE_BYTES
MIN_RANGE_BYTES = 64 * 1024  # > MAX_LINE_BYTES: a line that does not fit is an over-long line
MAX_RANGE_BYTES = 4 * 1024 * 1024
SKIP_READ_BYTES = 1024 * 1024  # reads while skipping an over-long line
SEGMENT_CREATES = 98  # + the record update + the report item = 100 actions per transaction
SEGMENT_LINES = 1000
SEGMENT_REPORT_BYTES = 200_000  # report item well under DynamoDB's 400 KB
MAX_OUTAGES = 5  # consecutive chunk attempts stopped by an outage before the import stops
RESERVE_MS = 15000  # the chunk task returns when its Lambda has less time left than this
REPORT_URL_SECONDS = 900


class ImportDeps:
    """The collaborators of the import use cases; anything not given is built on first use
    (AWS adapters from ``settings``)."""

    def __init__(self, *, settings: Settings | None = None, **given: Any) -> None:
        self.settings = settings or get_settings()
        for name, value in given.items():
            if name not in ("repository", "companies", "files", "workflow", "accounts", "directory", "events"):
                raise TypeError(f"unknown dependency {name}")
            if value is not None:
                self.__dict__[name] = value

    @cached_property
    def repository(self) -> Any:
        from einvoice.imports.dynamodb import DynamoImportRepository

        return DynamoImportRepository.from_settings(self.settings)

    @cached_property
    def companies(self) -> Any:
        from einvoice.companies.dynamodb import DynamoCompanyRepository

        return DynamoCompanyRepository.from_settings(self.settings)

    @cached_property
    def files(self) -> Any:
        from einvoice.imports.s3 import S3ImportFiles

        return S3ImportFiles.from_settings(self.settings)

    @cached_property
    def workflow(self) -> Any:
        from einvoice.imports.adapters import StepFunctionsWorkflow

        return StepFunctionsWorkflow.from_settings(self.settings)

    @cached_property
    def accounts(self) -> Any:
        from einvoice.imports.adapters import TenancyAccounts

        return TenancyAccounts.from_settings(self.settings)

    @cached_property
    def events(self) -> Any:
        from einvoice.transmission.adapters import EventBridgePublisher

        return EventBridgePublisher(self.settings.event_bus_name)

    @cached_property
    def directory(self) -> Any:
        from einvoice.directory.cache import get_directory

        return get_directory(self.settings)


# --- records <-> API ---------------------------------------------------------------------------------


def to_out(r: ImportRecord) -> ImportOut:
    return ImportOut(
        id=r.id,
        state=r.state,
        lines_read=r.lines_read,
        last_line=r.line,
        imported=r.imported,
        rejected=r.rejected,
        existing=r.existing,
        error_count=r.error_count,
        errors_truncated=r.error_count > len(r.errors),
        errors=[ImportLineError(line=e.line, field=e.field, reason=e.reason) for e in r.errors],
        enrol=r.enrol,
        to_enrol=r.to_enrol,
        resumes=r.resumes,
        failure=ImportFailure(code=r.failure_code, message=r.failure_message or "") if r.failure_code else None,
        links=ImportLinks(report=f"/v1/companies/imports/{r.id}/report" if r.report_key and r.done else None),
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def _task(r: ImportRecord, **over: Any) -> dict[str, Any]:
    return ChunkTask(account_id=r.account_id, import_id=r.id, done=r.done, **over).to_json()


def _new_record(
    *,
    account_id: str,
    import_id: str,
    bucket: str,
    key: str,
    size: int,
    head: bytes,
    header: bool | None,
    enrol: bool,
    source: str,
    summary_key: str | None = None,
) -> ImportRecord:
    d = fmt.detect_dialect(head, header)
    now = now_iso()
    return ImportRecord(
        account_id=account_id,
        id=import_id,
        state=RUNNING,
        bucket=bucket,
        key=key,
        size=size,
        encoding=d.encoding,
        delimiter=d.delimiter,
        has_header=d.has_header,
        enrol=enrol,
        offset=d.data_offset,
        line=d.data_line,
        created_at=now,
        updated_at=now,
        source=source,
        summary_key=summary_key,
        execution=import_id,  # one execution per import: a redelivered event starts nothing new
    )


# --- start ---------------------------------------------------------------------------------------------


def parse_flag(name: str, value: str | None, default: bool | None = None) -> bool | None:
    """Query flag ``true|false`` (also 1/0, yes/no); absent -> ``default``; anything else -> 422."""
    if value is None or value == "":
        return default
    v = _truthy(value)
    if v is None:
        raise InvalidInputError(f"{name} must be true or false", [ErrorDetail("must be true or false", field=name)])
    return v


def _truthy(v: str | None) -> bool | None:
    if v is None:
        return None
    v = v.strip().lower()
    if v in ("1", "true", "yes", "oui"):
        return True
    if v in ("0", "false", "no", "non"):
        return False
    return None


def start_upload(
    tenant: Tenant, body: bytes | str, header: str | None, enrol: str | None, *, deps: ImportDeps | None = None
) -> ImportOut:
    """``POST /v1/companies/imports?header=&enrol=`` (202): store the file, record the import, start it."""
    d = deps or ImportDeps()
    header_flag = parse_flag("header", header)
    enrol_flag = bool(parse_flag("enrol", enrol, False))
    account_id = tenant.account_pk[4:]
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
    if not data.strip():
        raise InvalidInputError(
            "The CSV file is empty", [ErrorDetail("empty file", field="body", message_fr="fichier vide")]
        )
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"The CSV file exceeds {MAX_BODY_BYTES} bytes")
    import_id = "imp_" + uuid.uuid4().hex[:24]
    key = f"uploads/{account_id}/{import_id}.body"  # not *.csv: must not trigger the drop function
    bucket = d.settings.drop_bucket
    d.files.put(bucket, key, data, "text/csv")
    record = _new_record(
        account_id=account_id,
        import_id=import_id,
        bucket=bucket,
        key=key,
        size=len(data),
        head=data[: fmt.HEAD_BYTES],
        header=header_flag,
        enrol=enrol_flag,
        source="upload",
    )
    d.repository.create(record)
    d.workflow.start(name=import_id, payload=_task(record))
    return to_out(record)


def parse_drop_key(key: str) -> tuple[str, str] | None:
    """``imports/<accountId>/<name>.csv`` (URL-encoded as in S3 events) -> (accountId, decoded key)."""
    decoded = unquote_plus(key)
    parts = decoded.split("/")
    if len(parts) < 3 or parts[0] != "imports" or not parts[1] or not decoded.lower().endswith(".csv"):
        return None
    return parts[1], decoded


def start_drop(bucket: str, key: str, *, deps: ImportDeps | None = None) -> dict[str, Any] | None:
    """S3 ``ObjectCreated`` on the drop bucket: import ``imports/<accountId>/<name>.csv``.

    Options come from the object's user metadata: ``x-amz-meta-header`` (true/false, default:
    detect) and ``x-amz-meta-enrol`` (true/false, default false). The import id is derived from
    the object (bucket, key, ETag), so a redelivered event finds the same import instead of
    starting a second one. A key outside the convention is ignored (``None``); an unknown account
    gets a FAILED summary next to the file and no import. Returns the chunk task input.
    """
    d = deps or ImportDeps()
    parsed = parse_drop_key(key)
    if parsed is None:
        return None
    account_id, decoded = parsed
    info = d.files.head(bucket, decoded)
    if info is None:
        return None
    import_id = "imp_" + hashlib.sha256(f"{bucket}/{decoded}/{info.etag}".encode()).hexdigest()[:24]
    summary_key = decoded + ".report.json"
    if not d.accounts.exists(account_id):
        now = now_iso()
        summary = {
            "id": import_id,
            "state": FAILED,
            "failure": {"code": "UnknownAccount", "message": f"no account {fmt.excerpt(account_id, 64)}"},
            "createdAt": now,
            "updatedAt": now,
        }
        d.files.put(bucket, summary_key, json.dumps(summary).encode(), "application/json")
        return None
    record = _new_record(
        account_id=account_id,
        import_id=import_id,
        bucket=bucket,
        key=decoded,
        size=info.size,
        head=d.files.read(bucket, decoded, 0, min(info.size, fmt.HEAD_BYTES)),
        header=_truthy(info.metadata.get("header")),
        enrol=bool(_truthy(info.metadata.get("enrol"))),
        source="drop",
        summary_key=summary_key,
    )
    stored = d.repository.create(record) or record
    if not stored.done:
        d.workflow.start(name=stored.execution or stored.id, payload=_task(stored))
    return _task(stored)


def start_drops(event: dict[str, Any], *, deps: ImportDeps | None = None) -> list[dict[str, Any]]:
    """S3 notification -> the chunk task inputs of the imports started (other keys skipped)."""
    d = deps or ImportDeps()
    out = []
    for rec in event.get("Records", []):
        s3 = rec.get("s3", {})
        task = start_drop(s3.get("bucket", {}).get("name", ""), s3.get("object", {}).get("key", ""), deps=d)
        if task is not None:
            out.append(task)
    return out


# --- read / resume / report ----------------------------------------------------------------------------


def _owned(tenant: Tenant, import_id: str, d: ImportDeps) -> ImportRecord:
    if not isinstance(import_id, str) or not import_id.startswith("imp_") or len(import_id) > 64:
        raise NotFoundError("No such import")
    rec = d.repository.get(tenant.account_pk[4:], import_id)
    if rec is None:
        raise NotFoundError("No such import")
    return rec


def get_import(tenant: Tenant, import_id: str, *, deps: ImportDeps | None = None) -> ImportOut:
    """``GET /v1/companies/imports/{id}``; 404 for an unknown id or another account's import."""
    return to_out(_owned(tenant, import_id, deps or ImportDeps()))


def resume(tenant: Tenant, import_id: str, *, deps: ImportDeps | None = None) -> ImportOut:
    """``POST /v1/companies/imports/{id}/resume`` (202): a stopped import (FAILED, or RUNNING with no
    live execution) continues from its committed offset. 409 when it is running or finished."""
    d = deps or ImportDeps()
    rec = _owned(tenant, import_id, d)
    if rec.state == SUCCEEDED:
        raise ConflictError("The import has finished; there is nothing to resume")
    if rec.state == RUNNING and rec.execution and d.workflow.status(rec.execution) == "RUNNING":
        raise ConflictError("The import is running")
    execution = f"{rec.id}-resume-{rec.resumes + 1}"
    reopened = d.repository.reopen(
        rec.account_id, rec.id, expected_state=rec.state, resumes=rec.resumes, execution=execution, now=now_iso()
    )
    if reopened is None:
        raise ConflictError("The import changed state meanwhile; read it again")
    d.workflow.start(name=execution, payload=_task(reopened))
    return to_out(reopened)


def report_link(tenant: Tenant, import_id: str, *, deps: ImportDeps | None = None) -> ReportLink:
    """``GET /v1/companies/imports/{id}/report``: where to download the per-line report (CSV)."""
    d = deps or ImportDeps()
    rec = _owned(tenant, import_id, d)
    if not rec.report_key or rec.state == RUNNING:
        raise ConflictError("The report is written when the import stops; it is running")
    url = d.files.presign(rec.bucket, rec.report_key, expires=REPORT_URL_SECONDS)
    return ReportLink(url=url, expires_in=REPORT_URL_SECONDS)


# --- the chunk task --------------------------------------------------------------------------------------


def _logger() -> Any:
    from einvoice.observability import logger

    return logger()


def run_task(
    event: dict[str, Any],
    time_left_ms: Callable[[], int] | None = None,
    *,
    deps: ImportDeps | None = None,
    reserve_ms: int = RESERVE_MS,
) -> dict[str, Any]:
    """State machine task: chunks until the import is done or the Lambda has less than ``reserve_ms``
    left; returns the next task input (``done``, ``waitSeconds`` back-off after an outage)."""
    d = deps or ImportDeps()
    task = ChunkTask.model_validate(event)
    rec = d.repository.get(task.account_id, task.import_id)
    if rec is None:
        return ChunkTask(account_id=task.account_id, import_id=task.import_id, done=True).to_json()
    outages = task.outages
    while not rec.done:
        try:
            rec = process_chunk(rec, d)
        except SourceUnreadableError as exc:
            rec = _stop_safely(rec, d, "SourceUnreadable", _short(exc))
        except (UpstreamUnavailableError, TransientError) as exc:
            outages += 1
            code = "DirectoryUnavailable" if isinstance(exc, UpstreamUnavailableError) else "Unavailable"
            _logger().warning("import chunk postponed", extra={"importId": rec.id, "code": code, "outages": outages})
            if outages < MAX_OUTAGES:
                return _task(rec, outages=outages, wait_seconds=min(5 * 2 ** (outages - 1), 300))
            rec = _stop_safely(rec, d, code, f"{_short(exc)}; stopped after {outages} attempts, resume to continue")
        except Exception:  # noqa: BLE001 - recorded as a code; the trace goes to the logs only
            _logger().exception("import chunk failed", extra={"importId": rec.id})
            rec = _stop_safely(rec, d, "InternalError", "an unexpected error stopped the import; resume to continue")
        else:
            outages = 0
            if not rec.done and time_left_ms is not None and time_left_ms() < reserve_ms:
                return _task(rec)
    return _task(rec)


def stop_task(event: dict[str, Any], *, deps: ImportDeps | None = None) -> dict[str, Any]:
    """State machine ``Catch`` (the chunk Lambda itself failed: timeout, crash): the import stops.
    Only the error *name* is passed in (never its cause, which may hold a trace)."""
    d = deps or ImportDeps()
    task = ChunkTask.model_validate(event)
    name = "".join(c for c in str(event.get("error") or "Error") if c.isalnum() or c in "._")[:64] or "Error"
    rec = d.repository.get(task.account_id, task.import_id)
    if rec is not None and not rec.done:
        rec = stop(rec, d, "TaskFailed", f"the import task stopped ({name}); resume to continue")
    return ChunkTask(account_id=task.account_id, import_id=task.import_id, done=True).to_json()


def _short(exc: Exception) -> str:
    text = exc.message if isinstance(exc, DomainError) else str(exc)
    return fmt.excerpt(text.splitlines()[0] if text else type(exc).__name__, 200)


def _stop_safely(rec: ImportRecord, d: ImportDeps, code: str, message: str) -> ImportRecord:
    try:
        return stop(rec, d, code, message)
    except Exception:  # noqa: BLE001 - the record stays RUNNING with no live execution: resumable
        _logger().exception("could not record the import's stop", extra={"importId": rec.id})
        rec.state = FAILED
        return rec


def stop(rec: ImportRecord, d: ImportDeps, code: str, message: str) -> ImportRecord:
    """RUNNING -> FAILED with ``{code, message}``; the report says exactly what was written."""
    return _finish(rec, d, FAILED, (code, message))


def _finish(rec: ImportRecord, d: ImportDeps, state: str, failure: tuple[str, str] | None = None) -> ImportRecord:
    report_key = f"reports/{rec.account_id}/{rec.id}/report"

    def parts() -> Iterator[bytes]:
        yield REPORT_HEADER.encode()
        for rows in d.repository.report_parts(rec.account_id, rec.id):
            yield rows.encode("utf-8")

    d.files.write_stream(
        rec.bucket, report_key, parts(), content_type="text/csv; charset=utf-8", filename=f"{rec.id}-report.csv"
    )
    closed = d.repository.close(rec.account_id, rec.id, state, now=now_iso(), report_key=report_key, failure=failure)
    if closed:  # this call ended the import: announce it once (webhook ``import.finished``)
        _announce(d, closed)
    closed = closed or d.repository.get(rec.account_id, rec.id) or rec
    if closed.summary_key:
        summary = json.dumps(to_out(closed).to_json(), ensure_ascii=False).encode("utf-8")
        d.files.put(closed.bucket, closed.summary_key, summary, "application/json")
    return closed


def _announce(d: ImportDeps, rec: ImportRecord) -> None:
    from einvoice.webhooks.fanout import announce

    out = to_out(rec).to_json()
    detail = {k: out.get(k) for k in ("id", "state", "linesRead", "imported", "rejected", "existing", "errorCount",
                                      "failure", "links")}
    announce(d.events, "einvoice.imports", "ImportFinished", {
        "eventId": f"{rec.id}:{rec.state}:{rec.resumes}", "accountId": rec.account_id, "importId": rec.id, **detail})


# --- one chunk ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    line: int
    end: int  # absolute offset after the line
    row: fmt.Row | None
    errors: list[fmt.LineError]


@dataclass
class _Outcome:
    line: int
    end: int
    kind: str
    company_id: str = ""
    company: Company | None = None  # to create
    errors: list[fmt.LineError] = field(default_factory=list)
    mass: bool = False
    dup_of: str | None = None  # company id this line repeats (rejected while that company is ours)


def _read_lines(rec: ImportRecord, d: ImportDeps, max_lines: int) -> tuple[list[_Line], int, int]:
    """Up to ``max_lines`` physical lines from the committed offset -> (non-blank lines, end offset, end line)."""
    start = rec.offset
    length = min(rec.size - start, max(MIN_RANGE_BYTES, min(MAX_RANGE_BYTES, max_lines * AVG_LINE_BYTES)))
    buf = d.files.read(rec.bucket, rec.key, start, length)
    if not buf:
        raise SourceUnreadableError("the file is shorter than when the import started")
    at_eof = start + len(buf) >= rec.size
    out: list[_Line] = []
    pos, line, count = 0, rec.line, 0
    while pos < len(buf) and count < max_lines:
        nl = buf.find(b"\n", pos)
        if nl >= 0:
            raw, nxt = buf[pos:nl], nl + 1
        elif at_eof:
            raw, nxt = buf[pos:], len(buf)
        elif len(buf) - pos > fmt.MAX_LINE_BYTES:  # an over-long line running past the range read
            end = _skip_line(rec, d, start + len(buf))
            line += 1
            out.append(_Line(line, end, None, [fmt.LineError(line, "line", fmt.TOO_LONG)]))
            return out, end, line
        else:
            break  # a partial line: the next chunk starts with it
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        line += 1
        count += 1
        read = fmt.read_line(raw, line, rec.encoding, rec.delimiter)
        if read is not None:
            out.append(_Line(line, start + nxt, read[0], read[1]))
        pos = nxt
    return out, start + pos, line


def _skip_line(rec: ImportRecord, d: ImportDeps, offset: int) -> int:
    """Offset after the next newline from ``offset`` (or the end of the file), in bounded reads."""
    while offset < rec.size:
        buf = d.files.read(rec.bucket, rec.key, offset, min(SKIP_READ_BYTES, rec.size - offset))
        nl = buf.find(b"\n")
        if nl >= 0:
            return offset + nl + 1
        offset += len(buf)
    return rec.size


def _dup_error(line: int, of_line: int | None) -> fmt.LineError:
    return fmt.LineError(line, "identifier", f"duplicate of line {of_line} (one company per identifier, COMPANY-03)")


def process_chunk(rec: ImportRecord, d: ImportDeps, max_lines: int | None = None) -> ImportRecord:
    """Read, check and commit the next chunk of ``rec`` (RUNNING); returns the record after it.
    Raises ``UpstreamUnavailableError`` (directory down) before anything of the chunk is written."""
    if rec.offset >= rec.size:
        return _finish(rec, d, SUCCEEDED)
    lines, end, end_line = _read_lines(rec, d, max_lines or d.settings.import_chunk_lines)
    rows = [ln.row for ln in lines if ln.row is not None]
    units, ests = d.directory.get_many(
        (r.identifier[:9] for r in rows), (r.identifier for r in rows if r.identifier_type == "SIRET")
    )
    candidates = {company_id(rec.account_id, r.identifier) for r in rows}
    known = d.companies.get_many(rec.account_id, list(candidates)) if candidates else {}

    now = now_iso()
    seen: dict[str, tuple[bool, int | None]] = {}  # company id -> (created by this import?, its line)
    pending: list[_Outcome] = []
    creates = size = 0
    for ln in lines:
        o = _classify(rec, ln, units, ests, known, seen, now)
        pending.append(o)
        creates += o.kind == CREATED
        size += 80 + sum(len(e.reason) + 20 for e in o.errors)
        if creates >= SEGMENT_CREATES or len(pending) >= SEGMENT_LINES or size >= SEGMENT_REPORT_BYTES:
            rec = _commit(rec, d, pending, o.end, o.line, seen)
            if rec.done or rec.offset != o.end:
                return rec
            pending, creates, size = [], 0, 0
    rec = _commit(rec, d, pending, end, end_line, seen)
    if not rec.done and rec.offset >= rec.size:
        return _finish(rec, d, SUCCEEDED)
    return rec


def _classify(
    rec: ImportRecord,
    ln: _Line,
    units: dict,
    ests: dict,
    known: dict[str, Company],
    seen: dict[str, tuple[bool, int | None]],
    now: str,
) -> _Outcome:
    if ln.row is None:
        return _Outcome(ln.line, ln.end, REJECTED, errors=ln.errors)
    r = ln.row
    unit = units.get(r.identifier[:9])
    est = ests.get(r.identifier) if r.identifier_type == "SIRET" else None
    v = check_directory(r.identifier_type, r.identifier, unit, est)
    if v:
        return _Outcome(ln.line, ln.end, REJECTED, errors=[fmt.LineError(ln.line, v.field, v.reason)])
    cid = company_id(rec.account_id, r.identifier)
    prior = seen.get(cid)
    if prior is None:
        found = known.get(cid)
        if found is not None:
            prior = seen[cid] = (found.import_id == rec.id, found.import_line)
    if prior is not None:
        if prior[0]:
            return _Outcome(ln.line, ln.end, REJECTED, errors=[_dup_error(ln.line, prior[1])], dup_of=cid)
        return _Outcome(ln.line, ln.end, EXISTING, company_id=cid)
    record = est if est is not None else unit
    mass = rec.enrol and record.vat_liable and r.purchase_invoices
    company = new_company(
        account_id=rec.account_id,
        identifier_type=r.identifier_type,
        identifier=r.identifier,
        employees=r.employees,
        purchase_invoices=r.purchase_invoices,
        purchase_payment=r.purchase_payment,
        sales_invoices=r.sales_invoices,
        duplicate_control=r.duplicate_control,
        record=record,
        now=now,
        import_id=rec.id,
        import_line=r.line,
        enrolment_status=ENROLMENT_MASS_PENDING if mass else None,
    )
    seen[cid] = (True, r.line)
    return _Outcome(ln.line, ln.end, CREATED, company_id=cid, company=company, mass=mass)


def _segment(rec: ImportRecord, pending: list[_Outcome], end: int, end_line: int) -> Segment:
    seg = Segment(start_offset=rec.offset, end_offset=end, end_line=end_line)
    rows: list[str] = []
    room = max(0, MAX_STORED_ERRORS - len(rec.errors))
    for o in pending:
        seg.lines_read += 1
        if o.kind == REJECTED:
            seg.rejected += 1
            seg.error_count += len(o.errors)
            seg.errors.extend(o.errors[: max(0, room - len(seg.errors))])
        elif o.kind == EXISTING:
            seg.existing += 1
        else:
            seg.creates.append(o.company)  # type: ignore[arg-type]
            seg.to_enrol += 1 if o.mass else 0
        rows.append(report_rows(o.line, o.kind, o.company_id, o.errors))
    seg.report = "".join(rows)
    return seg


def _commit(
    rec: ImportRecord,
    d: ImportDeps,
    pending: list[_Outcome],
    end: int,
    end_line: int,
    seen: dict[str, tuple[bool, int | None]],
) -> ImportRecord:
    """Commit ``pending`` lines up to ``end``; a create that lost a race becomes ``existing`` (or a
    duplicate of the line of this import that made it) and the segment is committed again."""
    for _ in range(len(pending) + 1):
        seg = _segment(rec, pending, end, end_line)
        if seg.start_offset == seg.end_offset:
            return rec
        now = now_iso()
        result = d.repository.commit(rec, seg, now=now)
        if result.committed:
            rec.apply(seg, now)
            return rec
        if result.stale:  # another attempt moved on: continue from what is stored
            return d.repository.get(rec.account_id, rec.id) or rec
        creates = [o for o in pending if o.kind == CREATED]
        for i, stored in result.conflicts.items():
            lost = creates[i]
            cid = lost.company_id
            stored = stored or d.companies.get(rec.account_id, cid, consistent=True)
            ours = stored is not None and stored.import_id == rec.id
            of_line = stored.import_line if stored is not None else None
            seen[cid] = (ours, of_line)
            for o in pending:
                if o is lost or o.dup_of == cid:
                    o.company, o.mass = None, False
                    if ours:
                        o.kind, o.errors, o.dup_of, o.company_id = REJECTED, [_dup_error(o.line, of_line)], cid, ""
                    else:
                        o.kind, o.errors, o.dup_of, o.company_id = EXISTING, [], None, cid
    raise TransientError("the import's writes kept conflicting with other writers")
