"""Import records, segments and per-line outcomes (domain; storage in ``dynamodb.py`` / ``memory.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from einvoice.companies.model import Company
from einvoice.imports.csv_format import LineError, neutralise

RUNNING, SUCCEEDED, FAILED = "RUNNING", "SUCCEEDED", "FAILED"

# Per-line outcomes in the report.
CREATED, EXISTING, REJECTED = "created", "existing", "rejected"
REPORT_HEADER = "line,outcome,companyId,field,reason\r\n"


class SourceUnreadableError(Exception):
    """The imported file is gone or no longer the file the import started on."""


@dataclass
class ImportRecord:
    """One CSV import: where the file is, how far it was read (committed), and what it did."""

    account_id: str
    id: str
    state: str
    bucket: str
    key: str
    size: int
    encoding: str
    delimiter: str
    has_header: bool
    enrol: bool
    offset: int  # byte offset of the next line to read (committed)
    line: int  # physical line number of the last line read (committed)
    created_at: str
    updated_at: str
    source: str = "upload"  # "upload" (API) | "drop" (S3)
    lines_read: int = 0
    imported: int = 0
    rejected: int = 0
    existing: int = 0
    error_count: int = 0
    to_enrol: int = 0
    errors: list[LineError] = field(default_factory=list)  # the first MAX_STORED_ERRORS
    finished_at: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    report_key: str | None = None  # per-line report object (drop bucket), written when the import stops
    summary_key: str | None = None  # drop imports: JSON summary next to the dropped file
    execution: str | None = None  # name of the state machine execution driving the import
    resumes: int = 0

    @property
    def done(self) -> bool:
        return self.state != RUNNING

    def apply(self, seg: Segment, now: str) -> None:
        """The record after ``seg`` was committed (what the repository stored)."""
        self.offset, self.line, self.updated_at = seg.end_offset, seg.end_line, now
        self.lines_read += seg.lines_read
        self.imported += seg.imported
        self.rejected += seg.rejected
        self.existing += seg.existing
        self.error_count += seg.error_count
        self.to_enrol += seg.to_enrol
        self.errors.extend(seg.errors)


@dataclass
class Segment:
    """Consecutive lines committed at once: the companies they create, their report rows and the
    counters, written atomically with the record's new offset (never half-written)."""

    start_offset: int
    end_offset: int
    end_line: int
    lines_read: int = 0
    rejected: int = 0
    existing: int = 0
    error_count: int = 0
    to_enrol: int = 0
    errors: list[LineError] = field(default_factory=list)  # to append to the record's first errors
    creates: list[Company] = field(default_factory=list)
    report: str = ""  # CSV rows of the segment's lines

    @property
    def imported(self) -> int:
        return len(self.creates)


@dataclass
class CommitResult:
    """``committed``; else ``stale`` (another attempt moved the offset or the import is no longer
    RUNNING: nothing written) or ``conflicts`` (the companies of these ``creates`` indexes exist
    now, with the stored company when known: nothing written)."""

    committed: bool = False
    stale: bool = False
    conflicts: dict[int, Company | None] = field(default_factory=dict)


def csv_cell(value: str) -> str:
    """One report cell: formula-neutralised, quoted when needed (RFC 4180)."""
    value = neutralise(value)
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def report_rows(line: int, outcome: str, company_id: str = "", errors: list[LineError] | None = None) -> str:
    if not errors:
        return f"{line},{outcome},{company_id},,\r\n"
    return "".join(f"{line},{outcome},{company_id},{csv_cell(e.field)},{csv_cell(e.reason)}\r\n" for e in errors)
