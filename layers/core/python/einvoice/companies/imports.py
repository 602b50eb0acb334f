"""Bulk company import (client CSV): API upload and S3 drop, processed in chunks.

Flow (decision: *chunked continuation*, one small Step Functions loop -- or a Lambda re-invoking
itself -- drives ``process_import_chunk`` until ``done``)::

    start_import(tenant, body, header, enrol)   -> ImportOut (RUNNING); body stored in the drop
                                                   bucket under uploads/<accountId>/<importId>.body
    import_from_s3(bucket, key)                 -> continuation (S3 event, key imports/<accountId>/...csv)
    process_import_chunk(account, import, offset, line) -> continuation {"offset", "line", "done", ...}
    get_import(tenant, import_id)               -> ImportOut

Why chunks rather than a Distributed Map: the file is one S3 object read by byte ranges from a
committed offset, so a chunk needs no splitting step, keeps per-line physical numbering trivial,
and the state (offset, counters, first errors) lives in the import item; each chunk reads
``max_lines`` lines (default 5,000: a few seconds), far from the Lambda timeout.

Per chunk: parse/validate lines (pure); look the identifiers up in the directory in bulk
(BatchGetItem, 100 keys per call); check which companies already exist (BatchGetItem on the
deterministic company keys); write the new companies with BatchWriteItem (25 per call, so
~40 write requests per 1,000 lines); then commit the offset and counters on the import item with
a condition on the previous offset (a chunk retried after a commit is a no-op, and a chunk
retried before its commit recounts its own writes as imported: items carry ``importId`` and
``importLine``).

Counters: ``linesRead`` (non-blank data lines), ``imported`` (new companies), ``existing``
(the company already existed before this import: re-importing a file creates nothing and
reports every line here), ``rejected`` (lines with at least one error; a line repeating an
identifier of an earlier line of the same file is rejected, rule COMPANY-03), ``errorCount``
(all error entries) and ``errors`` (the first ``MAX_STORED_ERRORS``; ``errorsTruncated``).
``state``: RUNNING, then SUCCEEDED when the whole file was read, FAILED only when the import
could not run (unreadable source, unknown account, retries exhausted: ``fail_import``).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from einvoice.adapters.aws.clients import CONDITIONAL_CHECK_FAILED, error_code
from einvoice.companies import csv_import as fmt
from einvoice.companies import store
from einvoice.companies.models import ENROLMENT_MASS_PENDING, ImportOut
from einvoice.companies.rules import check_directory
from einvoice.directory.port import DirectoryPort
from einvoice.errors import ErrorDetail, InvalidInputError, NotFoundError, PayloadTooLargeError
from einvoice.settings import Settings, get_settings
from einvoice.tenancy import Tenant

DEFAULT_CHUNK_LINES = 5000
MAX_STORED_ERRORS = 1000
MAX_BODY_BYTES = 50 * 1024 * 1024
AVG_LINE_BYTES = 64  # first range read per chunk: max_lines * AVG_LINE_BYTES (grown when needed)
MAX_RANGE_BYTES = 4 * 1024 * 1024  # largest range read by one chunk (bounded memory)

RUNNING, SUCCEEDED, FAILED = "RUNNING", "SUCCEEDED", "FAILED"


def _s3(settings: Settings) -> Any:
    from einvoice.adapters.aws.clients import client

    return client("s3", settings)


def _ddb(settings: Settings) -> Any:
    return store.data_client(settings)


def _directory(directory: DirectoryPort | None, settings: Settings) -> DirectoryPort:
    if directory is not None:
        return directory
    from einvoice.directory.cache import get_directory

    return get_directory(settings)


def _import_key(account_id: str, import_id: str) -> dict:
    return {"pk": {"S": store.account_pk(account_id)}, "sk": {"S": "IMPORT#" + import_id}}


# --- record <-> ImportOut ---------------------------------------------------------------------------


def _n(item: dict, name: str) -> int:
    v = item.get(name)
    return int(v["N"]) if v else 0


def _to_out(item: dict) -> ImportOut:
    errors = [
        {"line": int(e["M"]["line"]["N"]), "field": e["M"]["field"]["S"], "reason": e["M"]["reason"]["S"]}
        for e in item.get("errors", {}).get("L", [])
    ]
    count = _n(item, "errorCount")
    return ImportOut(
        id=item["id"]["S"],
        state=item["state"]["S"],
        lines_read=_n(item, "linesRead"),
        imported=_n(item, "imported"),
        rejected=_n(item, "rejected"),
        existing=_n(item, "existing"),
        error_count=count,
        errors_truncated=count > len(errors),
        errors=errors,
        enrol=item.get("enrol", {}).get("BOOL", False),
        to_enrol=_n(item, "toEnrol"),
        created_at=item["createdAt"]["S"],
        updated_at=item["updatedAt"]["S"],
        failure=item.get("failure", {}).get("S"),
    )


def _continuation(item: dict) -> dict:
    state = item["state"]["S"]
    return {
        "accountId": item["accountId"]["S"],
        "importId": item["id"]["S"],
        "offset": _n(item, "offset"),
        "line": _n(item, "line"),
        "done": state != RUNNING,
        "state": state,
        "enrol": item.get("enrol", {}).get("BOOL", False),
    }


# --- start ------------------------------------------------------------------------------------------


def _create_record(
    s: Settings,
    *,
    account_id: str,
    import_id: str,
    bucket: str,
    key: str,
    size: int,
    head: bytes,
    header: bool | None,
    enrol: bool,
    report_key: str | None,
    conditional: bool = False,
) -> dict:
    d = fmt.detect_dialect(head, header)
    now = store.now_iso()
    item = {
        **_import_key(account_id, import_id),
        "type": {"S": "IMPORT"},
        "id": {"S": import_id},
        "accountId": {"S": account_id},
        "state": {"S": RUNNING},
        "bucket": {"S": bucket},
        "key": {"S": key},
        "size": {"N": str(size)},
        "encoding": {"S": d.encoding},
        "delimiter": {"S": d.delimiter},
        "hasHeader": {"BOOL": d.has_header},
        "enrol": {"BOOL": bool(enrol)},
        "offset": {"N": str(d.data_offset)},
        "line": {"N": str(d.data_line)},
        "linesRead": {"N": "0"},
        "imported": {"N": "0"},
        "rejected": {"N": "0"},
        "existing": {"N": "0"},
        "errorCount": {"N": "0"},
        "storedErrors": {"N": "0"},
        "toEnrol": {"N": "0"},
        "errors": {"L": []},
        "createdAt": {"S": now},
        "updatedAt": {"S": now},
    }
    if report_key:
        item["reportKey"] = {"S": report_key}
    kwargs: dict[str, Any] = {"TableName": s.data_table, "Item": item}
    if conditional:
        kwargs["ConditionExpression"] = "attribute_not_exists(pk)"
    _ddb(s).put_item(**kwargs)
    return item


def start_import(
    tenant: Tenant,
    body: bytes | str,
    header: bool | None = None,
    enrol: bool = False,
    *,
    settings: Settings | None = None,
) -> ImportOut:
    """``POST /v1/companies/imports?header=&enrol=`` (202): store the file, create the RUNNING record.

    The caller (handler) then starts the import state machine with ``continuation_of(out)``
    (or calls ``run_import`` locally). ``header=None`` detects a header line.
    """
    s = settings or get_settings()
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
    _s3(s).put_object(Bucket=s.drop_bucket, Key=key, Body=data, ContentType="text/csv")
    item = _create_record(
        s,
        account_id=account_id,
        import_id=import_id,
        bucket=s.drop_bucket,
        key=key,
        size=len(data),
        head=data[:65536],
        header=header,
        enrol=enrol,
        report_key=None,
    )
    return _to_out(item)


def continuation_of(out: ImportOut, account_id: str) -> dict:
    """State machine input for a started import."""
    return {"accountId": account_id, "importId": out.id, "offset": None, "line": None, "done": out.state != RUNNING}


def get_import(tenant: Tenant, import_id: str, *, settings: Settings | None = None) -> ImportOut:
    """``GET /v1/companies/imports/{id}``; 404 for an unknown id or another account's import."""
    s = settings or get_settings()
    if not isinstance(import_id, str) or not import_id.startswith("imp_") or len(import_id) > 64:
        raise NotFoundError("No such import")
    out = _ddb(s).get_item(TableName=s.data_table, Key=_import_key(tenant.account_pk[4:], import_id))
    if "Item" not in out:
        raise NotFoundError("No such import")
    return _to_out(out["Item"])


# --- S3 drop ----------------------------------------------------------------------------------------


def parse_drop_key(key: str) -> tuple[str, str] | None:
    """``imports/<accountId>/<name>.csv`` (URL-encoded as in S3 events) -> (accountId, decoded key)."""
    decoded = unquote_plus(key)
    parts = decoded.split("/")
    if len(parts) < 3 or parts[0] != "imports" or not parts[1] or not decoded.lower().endswith(".csv"):
        return None
    return parts[1], decoded


def _truthy(v: str | None) -> bool | None:
    if v is None:
        return None
    v = v.strip().lower()
    if v in ("1", "true", "yes", "oui"):
        return True
    if v in ("0", "false", "no", "non"):
        return False
    return None


def _account_exists(account_id: str, s: Settings) -> bool:
    from einvoice.adapters.aws.clients import client

    out = client("dynamodb", s).get_item(
        TableName=s.tenancy_table, Key={"pk": {"S": f"ACCOUNT#{account_id}"}, "sk": {"S": "ACCOUNT"}}
    )
    return "Item" in out


def import_from_s3(bucket: str, key: str, *, settings: Settings | None = None) -> dict | None:
    """S3 ``ObjectCreated`` on the drop bucket: start the import of ``imports/<accountId>/<name>.csv``.

    Options come from the object's user metadata: ``x-amz-meta-header`` (true/false, default:
    detect) and ``x-amz-meta-enrol`` (true/false, default false). The import id is derived from
    the object (bucket, key, ETag), so a redelivered event resumes the same import instead of
    starting a second one. A key outside the convention is ignored (``None``); an unknown account
    gets a FAILED report object and no import. Returns the continuation for the state machine.
    """
    s = settings or get_settings()
    parsed = parse_drop_key(key)
    if parsed is None:
        return None
    account_id, decoded = parsed
    s3 = _s3(s)
    head = s3.head_object(Bucket=bucket, Key=decoded)
    etag = head.get("ETag", "").strip('"')
    meta = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
    import_id = "imp_" + hashlib.sha256(f"{bucket}/{decoded}/{etag}".encode()).hexdigest()[:24]
    report_key = decoded + ".report.json"
    if not _account_exists(account_id, s):
        now = store.now_iso()
        report = {
            "id": import_id,
            "state": FAILED,
            "linesRead": 0,
            "imported": 0,
            "rejected": 0,
            "errors": [],
            "failure": f"unknown account {account_id}",
            "createdAt": now,
            "updatedAt": now,
        }
        s3.put_object(Bucket=bucket, Key=report_key, Body=json.dumps(report).encode(), ContentType="application/json")
        return None
    size = int(head.get("ContentLength", 0))
    first = s3.get_object(Bucket=bucket, Key=decoded, Range="bytes=0-65535")["Body"].read() if size else b""
    try:
        item = _create_record(
            s,
            account_id=account_id,
            import_id=import_id,
            bucket=bucket,
            key=decoded,
            size=size,
            head=first,
            header=_truthy(meta.get("header")),
            enrol=bool(_truthy(meta.get("enrol"))),
            report_key=report_key,
            conditional=True,
        )
    except Exception as exc:
        if error_code(exc) != CONDITIONAL_CHECK_FAILED:
            raise
        item = _ddb(s).get_item(TableName=s.data_table, Key=_import_key(account_id, import_id), ConsistentRead=True)[
            "Item"
        ]
    return _continuation(item)


# --- chunk processing -------------------------------------------------------------------------------


def _read_range(s3: Any, bucket: str, key: str, start: int, length: int, size: int) -> bytes:
    end = min(size, start + length) - 1
    return s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end}")["Body"].read()


def process_import_chunk(
    account_id: str,
    import_id: str,
    offset: int | None = None,
    line: int | None = None,
    *,
    max_lines: int = DEFAULT_CHUNK_LINES,
    settings: Settings | None = None,
    directory: DirectoryPort | None = None,
    stats: dict | None = None,
) -> dict:
    """Validate and write up to ``max_lines`` physical lines from ``offset``; return the continuation.

    ``offset``/``line`` default to the committed position. Raises ``UpstreamUnavailableError``
    when the directory is down (the chunk commits nothing; retry it) and ``NotFoundError`` for
    an unknown import. ``stats`` (optional dict) accumulates ``validateSeconds``, ``writeRequests``.
    """
    s = settings or get_settings()
    ddb = _ddb(s)
    rec = ddb.get_item(
        TableName=s.data_table,
        Key=_import_key(account_id, import_id),
        ConsistentRead=True,
        ProjectionExpression="#i, accountId, #st, #b, #k, #sz, #enc, #d, #o, #l, storedErrors, enrol, reportKey",
        ExpressionAttributeNames={
            "#i": "id",
            "#st": "state",
            "#b": "bucket",
            "#k": "key",
            "#sz": "size",
            "#enc": "encoding",
            "#d": "delimiter",
            "#o": "offset",
            "#l": "line",
        },
    ).get("Item")
    if rec is None:
        raise NotFoundError("No such import")
    committed = _n(rec, "offset")
    if rec["state"]["S"] != RUNNING or (offset is not None and offset != committed):
        return _continuation(rec)  # already done, or this chunk was committed by an earlier attempt
    offset, line = committed, _n(rec, "line")
    size = _n(rec, "size")
    if offset >= size:
        return _close(s, rec["accountId"]["S"], rec["id"]["S"], SUCCEEDED)

    # Read whole lines from offset (at most max_lines of them).
    s3 = _s3(s)
    length = max(4096, max_lines * AVG_LINE_BYTES)
    while True:
        buf = _read_range(s3, rec["bucket"]["S"], rec["key"]["S"], offset, length, size)
        at_eof = offset + len(buf) >= size
        lines_in_buf = buf.count(b"\n")
        if at_eof or lines_in_buf >= max_lines:
            break
        if length >= MAX_RANGE_BYTES or (lines_in_buf and length >= max_lines * AVG_LINE_BYTES * 8):
            break
        length *= 2
    usable = len(buf) if at_eof else buf.rfind(b"\n") + 1
    if usable == 0:  # one line longer than the largest range read: not a company CSV
        return fail_import(account_id, import_id, f"line {line + 1} is longer than {len(buf)} bytes", settings=s)

    encoding, delimiter = rec["encoding"]["S"], rec["delimiter"]["S"]
    enrol = rec.get("enrol", {}).get("BOOL", False)
    t0 = time.process_time()
    rows: list[fmt.Row] = []
    errors: list[fmt.LineError] = []
    rejected_lines = 0
    lines_read = 0
    consumed = 0
    last_line = line
    for count, (lineno, raw, nxt) in enumerate(fmt.iter_lines(buf, 0, line, usable), 1):
        consumed, last_line = nxt, lineno
        text = fmt.decode_line(raw, encoding)
        if text.strip() and not fmt._is_blank(text, delimiter):
            lines_read += 1
            row, errs = fmt.parse_line(text, lineno, delimiter)
            if row is not None:
                rows.append(row)
            else:
                rejected_lines += 1
                errors.extend(errs)
        if count >= max_lines:
            break
    validate_seconds = time.process_time() - t0

    # Directory rules, looked up in bulk.
    d = _directory(directory, s)
    units, ests = d.get_many(
        (r.identifier[:9] for r in rows), (r.identifier for r in rows if r.identifier_type == "SIRET")
    )
    accepted: list[tuple[fmt.Row, Any]] = []
    for r in rows:
        unit = units.get(r.identifier[:9])
        est = ests.get(r.identifier) if r.identifier_type == "SIRET" else None
        v = check_directory(r.identifier_type, r.identifier, unit, est)
        if v:
            errors.append(fmt.LineError(r.line, v.field, v.reason))
            rejected_lines += 1
        else:
            accepted.append((r, est if est is not None else unit))

    # Which companies exist already (deterministic keys)?
    existing_items: dict[str, dict] = {}
    cids = list(dict.fromkeys(store.company_id(account_id, r.identifier) for r, _ in accepted))
    keys = [store.key(account_id, cid) for cid in cids]
    for i in range(0, len(keys), 100):
        request = {s.data_table: {"Keys": keys[i : i + 100], "ProjectionExpression": "id, importId, importLine"}}
        while request:
            out = ddb.batch_get_item(RequestItems=request)
            for it in out.get("Responses", {}).get(s.data_table, []):
                existing_items[it["id"]["S"]] = it
            request = out.get("UnprocessedKeys") or {}
            if request:
                time.sleep(0.05)

    # Same outcome whether a repeated identifier falls in the same chunk or a later one: a line
    # repeating a company this import created is a duplicate (rejected, COMPANY-03); a line whose
    # company existed before the import is "existing" however often the file repeats it.
    from einvoice.directory.loader import BatchWriter

    writer = BatchWriter(ddb, s.data_table)
    now = store.now_iso()
    imported = existing = to_enrol = 0
    seen: dict[str, tuple[bool, int]] = {}  # company id -> (created by this import?, its line)
    for r, record in accepted:
        cid = store.company_id(account_id, r.identifier)
        prior = seen.get(cid)
        if prior is None:
            found = existing_items.get(cid)
            if found is not None:
                if found.get("importId", {}).get("S") == import_id:
                    prior = (True, _n(found, "importLine"))
                    if prior[1] == r.line:  # written by an earlier attempt of this very chunk
                        seen[cid] = prior
                        imported += 1
                        if enrol and record.vat_liable and r.purchase_invoices:
                            to_enrol += 1
                        continue
                else:
                    prior = (False, 0)
                seen[cid] = prior
        if prior is not None:
            if prior[0]:
                errors.append(
                    fmt.LineError(r.line, "identifier", f"duplicate of line {prior[1]} (one company per identifier)")
                )
                rejected_lines += 1
            else:
                existing += 1
            continue
        seen[cid] = (True, r.line)
        mass = enrol and record.vat_liable and r.purchase_invoices
        to_enrol += 1 if mass else 0
        writer.put(
            store.build_item(
                account_id=account_id,
                identifier_type=r.identifier_type,
                identifier=r.identifier,
                employees=r.employees,
                purchase_invoices=r.purchase_invoices,
                purchase_payment=r.purchase_payment,
                sales_invoices=r.sales_invoices,
                duplicate_control=r.duplicate_control,
                name=record.name,
                vat_liable=record.vat_liable,
                status=record.status,
                reception_platform=record.reception_platform,
                now=now,
                import_id=import_id,
                import_line=r.line,
                enrolment_status=ENROLMENT_MASS_PENDING if mass else None,
            )
        )
        imported += 1
    writer.flush()
    if stats is not None:
        stats["validateSeconds"] = stats.get("validateSeconds", 0.0) + validate_seconds
        stats["validatedLines"] = stats.get("validatedLines", 0) + lines_read
        stats["writeRequests"] = stats.get("writeRequests", 0) + writer.requests + 1

    errors.sort(key=lambda e: e.line)
    room = max(0, MAX_STORED_ERRORS - _n(rec, "storedErrors"))
    stored = errors[:room]
    new_offset = offset + consumed
    new_line = last_line
    done = new_offset >= size
    names = {"#o": "offset", "#l": "line", "#st": "state"}
    values: dict[str, Any] = {
        ":old": {"N": str(offset)},
        ":running": {"S": RUNNING},
        ":no": {"N": str(new_offset)},
        ":nl": {"N": str(new_line)},
        ":now": {"S": store.now_iso()},
        ":lr": {"N": str(lines_read)},
        ":im": {"N": str(imported)},
        ":rj": {"N": str(rejected_lines)},
        ":ex": {"N": str(existing)},
        ":ec": {"N": str(len(errors))},
        ":se": {"N": str(len(stored))},
        ":te": {"N": str(to_enrol)},
    }
    sets = ["#o = :no", "#l = :nl", "updatedAt = :now"]
    if stored:
        sets.append("errors = list_append(errors, :errs)")
        values[":errs"] = {
            "L": [
                {"M": {"line": {"N": str(e.line)}, "field": {"S": e.field}, "reason": {"S": e.reason}}} for e in stored
            ]
        }
    if done:
        sets += ["#st = :done", "finishedAt = :now"]
        values[":done"] = {"S": SUCCEEDED}
    try:
        out = ddb.update_item(
            TableName=s.data_table,
            Key=_import_key(account_id, import_id),
            UpdateExpression="SET "
            + ", ".join(sets)
            + " ADD linesRead :lr, imported :im, rejected :rj, existing :ex, errorCount :ec, storedErrors :se, toEnrol :te",
            ConditionExpression="#o = :old AND #st = :running",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except Exception as exc:
        if error_code(exc) != CONDITIONAL_CHECK_FAILED:
            raise
        cur = ddb.get_item(TableName=s.data_table, Key=_import_key(account_id, import_id), ConsistentRead=True)["Item"]
        return _continuation(cur)
    item = out["Attributes"]
    if done:
        _write_report(s, item)
    return _continuation(item)


def _write_report(s: Settings, item: dict) -> None:
    report_key = item.get("reportKey", {}).get("S")
    if not report_key:
        return
    body = json.dumps(_to_out(item).to_json(), ensure_ascii=False).encode("utf-8")
    _s3(s).put_object(Bucket=item["bucket"]["S"], Key=report_key, Body=body, ContentType="application/json")


def fail_import(account_id: str, import_id: str, reason: str, *, settings: Settings | None = None) -> dict:
    """Mark a RUNNING import FAILED (state machine ``Catch``: retries exhausted, unreadable source)."""
    return _close(settings or get_settings(), account_id, import_id, FAILED, failure=reason[:1000])


def _close(s: Settings, account_id: str, import_id: str, state: str, *, failure: str | None = None) -> dict:
    """RUNNING -> ``state`` (once: a retry finds it closed and reuses the record), then the report."""
    ddb = _ddb(s)
    values = {":state": {"S": state}, ":running": {"S": RUNNING}, ":now": {"S": store.now_iso()}}
    update = "SET #st = :state, finishedAt = :now, updatedAt = :now"
    if failure is not None:
        update += ", failure = :r"
        values[":r"] = {"S": failure}
    try:
        item = ddb.update_item(
            TableName=s.data_table,
            Key=_import_key(account_id, import_id),
            UpdateExpression=update,
            ConditionExpression="#st = :running",
            ExpressionAttributeNames={"#st": "state"},
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )["Attributes"]
    except Exception as exc:
        if error_code(exc) != CONDITIONAL_CHECK_FAILED:
            raise
        item = ddb.get_item(TableName=s.data_table, Key=_import_key(account_id, import_id), ConsistentRead=True)["Item"]
    _write_report(s, item)
    return _continuation(item)


def run_import(
    account_id: str,
    import_id: str,
    *,
    max_lines: int = DEFAULT_CHUNK_LINES,
    settings: Settings | None = None,
    directory: DirectoryPort | None = None,
    time_left_ms: Callable[[], int] | None = None,
    reserve_ms: int = 15000,
    stats: dict | None = None,
) -> dict:
    """Drive chunks until done (local platform, tests, benchmarks) or until the Lambda's remaining
    time (``context.get_remaining_time_in_millis``) drops under ``reserve_ms``: then return the
    continuation for the caller to re-invoke itself / loop in the state machine."""
    cont = process_import_chunk(
        account_id, import_id, max_lines=max_lines, settings=settings, directory=directory, stats=stats
    )
    while not cont["done"]:
        if time_left_ms is not None and time_left_ms() < reserve_ms:
            return cont
        cont = process_import_chunk(
            account_id,
            import_id,
            cont["offset"],
            cont["line"],
            max_lines=max_lines,
            settings=settings,
            directory=directory,
            stats=stats,
        )
    return cont


# --- one-line handler helpers -------------------------------------------------------------------------


def parse_flag(name: str, value: str | None, default: bool | None = None) -> bool | None:
    """Query flag ``true|false`` (also 1/0, yes/no); absent -> ``default``; anything else -> 422."""
    if value is None or value == "":
        return default
    v = _truthy(value)
    if v is None:
        raise InvalidInputError(f"{name} must be true or false", [ErrorDetail("must be true or false", field=name)])
    return v


def chunk_task(event: dict) -> dict:
    """Step Functions task payload (a continuation) -> the next continuation."""
    return process_import_chunk(event["accountId"], event["importId"], event.get("offset"), event.get("line"))


def fail_task(event: dict) -> dict:
    """Step Functions ``Catch`` payload (continuation + ``error``) -> FAILED import."""
    err = event.get("error") or {}
    reason = str(err.get("Cause") or err.get("Error") or "the import failed")
    return fail_import(event["accountId"], event["importId"], reason)


def s3_event(event: dict) -> list[dict]:
    """S3 notification -> continuations of the imports to start (keys outside the convention skipped)."""
    out = []
    for rec in event.get("Records", []):
        s3 = rec.get("s3", {})
        cont = import_from_s3(s3.get("bucket", {}).get("name", ""), s3.get("object", {}).get("key", ""))
        if cont is not None and not cont["done"]:
            out.append(cont)
    return out
