"""Ports of the imports domain. Adapters: ``dynamodb.py`` (records), ``s3.py`` (files),
``adapters.py`` (Step Functions, tenancy); in-memory fakes in ``memory.py``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from einvoice.imports.model import CommitResult, ImportRecord, Segment


class ImportRepository(Protocol):
    def create(self, record: ImportRecord) -> ImportRecord | None:
        """Store a new record unless one with its id exists: None when created, else the stored one."""
        ...

    def get(self, account_id: str, import_id: str) -> ImportRecord | None:
        """Strongly consistent read."""
        ...

    def commit(self, record: ImportRecord, segment: Segment, *, now: str) -> CommitResult:
        """Atomically: create ``segment.creates`` (each only if absent), store its report rows, add its
        counters and errors and move the record from ``segment.start_offset`` to ``segment.end_offset``
        -- only if the record is RUNNING at ``segment.start_offset``. All or nothing."""
        ...

    def report_parts(self, account_id: str, import_id: str) -> Iterator[str]:
        """The committed report rows, in file order."""
        ...

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
        """RUNNING -> ``state`` (with the failure code and message); None when it was not RUNNING."""
        ...

    def reopen(
        self, account_id: str, import_id: str, *, expected_state: str, resumes: int, execution: str, now: str
    ) -> ImportRecord | None:
        """``expected_state`` (and ``resumes`` unchanged) -> RUNNING with ``resumes + 1``, failure cleared."""
        ...


@dataclass
class FileInfo:
    size: int
    etag: str
    metadata: dict[str, str] = field(default_factory=dict)


class ImportFiles(Protocol):
    def put(self, bucket: str, key: str, data: bytes, content_type: str) -> None: ...

    def head(self, bucket: str, key: str) -> FileInfo | None: ...

    def read(self, bucket: str, key: str, start: int, length: int) -> bytes:
        """Bytes ``[start, start + length)`` (fewer at the end of the object)."""
        ...

    def write_stream(self, bucket: str, key: str, parts: Iterable[bytes], *, content_type: str, filename: str) -> None:
        """One object from ``parts``, in bounded memory (multipart upload for large reports)."""
        ...

    def presign(self, bucket: str, key: str, *, expires: int) -> str: ...


class Workflow(Protocol):
    """The import state machine."""

    def start(self, *, name: str, payload: dict[str, Any]) -> None:
        """Start an execution; starting an existing name again is a no-op."""
        ...

    def status(self, name: str) -> str | None:
        """RUNNING / SUCCEEDED / FAILED / TIMED_OUT / ABORTED, or None when unknown."""
        ...


class Accounts(Protocol):
    def exists(self, account_id: str) -> bool: ...
