"""In-memory adapters of the imports ports (unit tests). Same conditional semantics as DynamoDB:
a segment commit is all-or-nothing under the companies' lock, so threads behave as they would
against DynamoDB transactions."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any

from einvoice.companies.memory import MemoryCompanyRepository
from einvoice.imports.model import RUNNING, CommitResult, ImportRecord, Segment, SourceUnreadableError
from einvoice.imports.ports import FileInfo


class MemoryImportRepository:
    def __init__(self, companies: MemoryCompanyRepository) -> None:
        self.companies = companies
        self.lock = companies.lock  # one lock: commits are atomic with the company creates
        self.records: dict[tuple[str, str], ImportRecord] = {}
        self.reports: dict[tuple[str, str], dict[int, str]] = {}
        self.commits = 0

    def create(self, record: ImportRecord) -> ImportRecord | None:
        with self.lock:
            k = (record.account_id, record.id)
            if k in self.records:
                return copy.deepcopy(self.records[k])
            self.records[k] = copy.deepcopy(record)
            return None

    def get(self, account_id: str, import_id: str) -> ImportRecord | None:
        with self.lock:
            found = self.records.get((account_id, import_id))
            return copy.deepcopy(found) if found else None

    def commit(self, record: ImportRecord, segment: Segment, *, now: str) -> CommitResult:
        with self.lock:
            k = (record.account_id, record.id)
            cur = self.records.get(k)
            if cur is None or cur.state != RUNNING or cur.offset != segment.start_offset:
                return CommitResult(stale=True)
            conflicts = {
                i: self.companies.get(c.account_id, c.id)
                for i, c in enumerate(segment.creates)
                if self.companies.get(c.account_id, c.id) is not None
            }
            if conflicts:
                return CommitResult(conflicts=conflicts)
            for c in segment.creates:
                self.companies.create(c)
            if segment.report:
                self.reports.setdefault(k, {})[segment.start_offset] = segment.report
            cur.apply(segment, now)
            self.commits += 1
            return CommitResult(committed=True)

    def report_parts(self, account_id: str, import_id: str) -> Iterator[str]:
        with self.lock:
            parts = sorted(self.reports.get((account_id, import_id), {}).items())
        for _, rows in parts:
            yield rows

    def close(
        self,
        account_id: str,
        import_id: str,
        state: str,
        *,
        now: str,
        report_key: str | None,
        failure: tuple[str, str] | None = None,
    ) -> ImportRecord | None:
        with self.lock:
            cur = self.records.get((account_id, import_id))
            if cur is None or cur.state != RUNNING:
                return None
            cur.state, cur.finished_at, cur.updated_at = state, now, now
            cur.report_key = report_key or cur.report_key
            if failure is not None:
                cur.failure_code, cur.failure_message = failure
            return copy.deepcopy(cur)

    def reopen(
        self, account_id: str, import_id: str, *, expected_state: str, resumes: int, execution: str, now: str
    ) -> ImportRecord | None:
        with self.lock:
            cur = self.records.get((account_id, import_id))
            if cur is None or cur.state != expected_state or cur.resumes != resumes:
                return None
            cur.state, cur.resumes, cur.execution, cur.updated_at = RUNNING, resumes + 1, execution, now
            cur.failure_code = cur.failure_message = cur.finished_at = None
            return copy.deepcopy(cur)


class MemoryFiles:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.metadata: dict[tuple[str, str], dict[str, str]] = {}
        self.reads = 0
        self.largest_read = 0

    def put(self, bucket: str, key: str, data: bytes, content_type: str = "", metadata: dict | None = None) -> None:
        self.objects[(bucket, key)] = bytes(data)
        self.metadata[(bucket, key)] = dict(metadata or {})

    def head(self, bucket: str, key: str) -> FileInfo | None:
        data = self.objects.get((bucket, key))
        if data is None:
            return None
        import hashlib

        return FileInfo(len(data), hashlib.md5(data).hexdigest(), self.metadata.get((bucket, key), {}))  # noqa: S324

    def read(self, bucket: str, key: str, start: int, length: int) -> bytes:
        self.reads += 1
        self.largest_read = max(self.largest_read, length)
        data = self.objects.get((bucket, key))
        if data is None:
            raise SourceUnreadableError("the file is no longer in the bucket")
        return data[start : start + max(0, length)]

    def write_stream(self, bucket: str, key: str, parts: Iterable[bytes], *, content_type: str, filename: str) -> None:
        self.objects[(bucket, key)] = b"".join(parts)

    def presign(self, bucket: str, key: str, *, expires: int) -> str:
        return f"memory://{bucket}/{key}?expires={expires}"


class MemoryWorkflow:
    """Records the executions started; ``statuses`` can be set by tests."""

    def __init__(self) -> None:
        self.started: list[tuple[str, dict[str, Any]]] = []
        self.statuses: dict[str, str] = {}

    def start(self, *, name: str, payload: dict[str, Any]) -> None:
        if name not in self.statuses:
            self.started.append((name, payload))
            self.statuses[name] = "RUNNING"

    def status(self, name: str) -> str | None:
        return self.statuses.get(name)


class MemoryAccounts:
    def __init__(self, *account_ids: str) -> None:
        self.ids = set(account_ids)

    def exists(self, account_id: str) -> bool:
        return account_id in self.ids
