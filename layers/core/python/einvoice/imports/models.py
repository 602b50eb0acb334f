"""Import API shapes (camelCase) and the state machine task payloads."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Camel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class ImportLineError(_Camel):
    line: int = Field(description="Physical line number in the file (header and blank lines count)")
    field: str = Field(description="JSON name of the failing field, or 'line' when the line cannot be read")
    reason: str


class ImportFailure(_Camel):
    code: str = Field(description="Why the import stopped, e.g. DirectoryUnavailable, InternalError")
    message: str


class ImportLinks(_Camel):
    report: str | None = Field(None, description="Per-line report (CSV), once the import has stopped")


class ImportOut(_Camel):
    id: str
    state: Literal["RUNNING", "SUCCEEDED", "FAILED"]
    lines_read: int = Field(alias="linesRead", description="Non-blank data lines read so far")
    last_line: int = Field(0, alias="lastLine", description="Physical line number of the last line read")
    imported: int = Field(description="Companies this import created")
    rejected: int = Field(description="Lines with at least one error")
    existing: int = Field(0, description="Lines whose company already existed in the account (not counted)")
    error_count: int = Field(0, alias="errorCount")
    errors_truncated: bool = Field(False, alias="errorsTruncated")
    errors: list[ImportLineError] = Field(default_factory=list, description="The first errors; all in the report")
    enrol: bool = False
    to_enrol: int = Field(0, alias="toEnrol", description="Companies selected for the mass enrolment")
    resumes: int = Field(0, description="How many times the import was resumed")
    failure: ImportFailure | None = None
    links: ImportLinks = Field(default_factory=ImportLinks)
    created_at: str = Field(alias="createdAt")
    updated_at: str = Field(alias="updatedAt")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class ReportLink(_Camel):
    url: str = Field(description="Pre-signed download URL of the per-line report (CSV)")
    expires_in: int = Field(alias="expiresIn", description="Seconds the URL stays valid")


class ChunkTask(_Camel):
    """Input and output of the chunk task (``statemachines/company-import.asl.json``)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    account_id: str = Field(alias="accountId")
    import_id: str = Field(alias="importId")
    done: bool = False
    outages: int = Field(0, description="Consecutive chunk attempts stopped by an unavailable dependency")
    wait_seconds: int = Field(0, alias="waitSeconds", description="Back-off before the next attempt")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
