"""Load a directory extract (CSV) into the directory table.

Format (``../shared/fixtures/README.md``), ``;``-separated (``,`` also detected), UTF-8 (BOM
tolerated; Windows-1252 fallback), header line::

    siren;siret;name;establishment;city;vat_liable;status;reception_platform

Items (see ``einvoice.directory.table``), for each group of consecutive rows of one SIREN:
* one legal unit ``UL`` (name, VAT-liable, status ``active`` when any establishment is active,
  reception platform of the first row that designates one);
* one ``SIRET#`` item per row;
* ``LINE#<siren>`` when the legal unit designates a platform, and ``LINE#<siren>_<siret>`` for an
  establishment designating a *different* platform than its legal unit.

Idempotent: items are a pure function of the rows and ``PutRequest`` replaces an item with the
same key, so loading a file twice leaves the table unchanged. Extracts list a SIREN's rows
together (as the fixture does); if a SIREN's rows are split, the legal unit reflects its last group.
Streaming: one SIREN group and one 25-item batch in memory at a time.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from einvoice.directory.models import ACTIVE, CLOSED, DirectoryLine, Establishment, LegalUnit
from einvoice.directory.table import establishment_item, legal_unit_item, line_item
from einvoice.settings import Settings, get_settings

COLUMNS = ("siren", "siret", "name", "establishment", "city", "vat_liable", "status", "reception_platform")
_TRUE = {"1", "true", "yes", "oui", "o", "y"}


@dataclass
class LoadReport:
    rows: int = 0
    legal_units: int = 0
    establishments: int = 0
    lines: int = 0
    items: int = 0
    requests: int = 0
    rejected: int = 0
    errors: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "legalUnits": self.legal_units,
            "establishments": self.establishments,
            "lines": self.lines,
            "items": self.items,
            "writeRequests": self.requests,
            "rejected": self.rejected,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
        }


def _text_stream(source: str | os.PathLike | bytes | IO[bytes]) -> IO[str]:
    if isinstance(source, (bytes, bytearray)):
        raw: IO[bytes] = io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        raw = open(source, "rb")  # noqa: SIM115 - closed with the wrapper
    else:
        raw = source
    head = raw.read(65536)
    raw.seek(0)
    if head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            head.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError as exc:
            # a multi-byte sequence cut at the 64 KiB boundary is still UTF-8
            encoding = "utf-8" if exc.start >= len(head) - 3 else "cp1252"
    return io.TextIOWrapper(raw, encoding=encoding, newline="", errors="replace")


def iter_rows(source: str | os.PathLike | bytes | IO[bytes], report: LoadReport | None = None) -> Iterator[dict]:
    """Rows of an extract as dicts (validated for shape; bad rows counted in ``report``)."""
    from einvoice.identifiers import validate_siren, validate_siret

    report = report or LoadReport()
    text = _text_stream(source)
    try:
        first = text.readline()
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        header = [h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter), [])]
        if header and header[0] == "siren":
            columns = header
            lineno = 1
            rest: Iterator[str] = text
        else:  # no header line: the standard column order
            columns = list(COLUMNS)
            lineno = 0
            rest = _chain_first(first, text)
        reader = csv.reader(rest, delimiter=delimiter)
        for values in reader:
            lineno += 1
            if not values or all(not v.strip() for v in values):
                continue
            row = {c: (values[i].strip() if i < len(values) else "") for i, c in enumerate(columns)}
            siren, siret = row.get("siren", "").replace(" ", ""), row.get("siret", "").replace(" ", "")
            reason = validate_siren(siren)
            if reason is None and siret:
                reason = validate_siret(siret)
                if reason is None and not siret.startswith(siren):
                    reason = "the SIRET does not start with the SIREN"
            if reason is None and not row.get("name"):
                reason = "empty name"
            if reason:
                report.rejected += 1
                if len(report.errors) < 100:
                    report.errors.append({"line": lineno, "reason": reason})
                continue
            row["siren"], row["siret"] = siren, siret
            report.rows += 1
            yield row
    finally:
        text.close()


def _chain_first(first: str, rest: IO[str]) -> Iterator[str]:
    yield first
    yield from rest


def _group_items(rows: list[dict]) -> list[dict]:
    siren = rows[0]["siren"]
    vat = rows[0].get("vat_liable", "1").lower() in _TRUE
    status = ACTIVE if any(r.get("status", ACTIVE).lower() == ACTIVE for r in rows) else CLOSED
    platform = next((r["reception_platform"] for r in rows if r.get("reception_platform")), None)
    unit = LegalUnit(siren=siren, name=rows[0]["name"], vat_liable=vat, status=status, reception_platform=platform)
    items = [legal_unit_item(unit)]
    if platform:
        items.append(line_item(DirectoryLine(siren=siren, platform_id=platform)))
    for r in rows:
        if not r["siret"]:
            continue
        est_platform = r.get("reception_platform") or None
        est = Establishment(
            siret=r["siret"],
            siren=siren,
            name=r["name"],
            establishment=r.get("establishment", ""),
            city=r.get("city", ""),
            vat_liable=r.get("vat_liable", "1").lower() in _TRUE,
            status=CLOSED if r.get("status", ACTIVE).lower() == CLOSED else ACTIVE,
            reception_platform=est_platform,
        )
        items.append(establishment_item(est))
        if est_platform and est_platform != platform:
            items.append(line_item(DirectoryLine(siren=siren, siret=r["siret"], platform_id=est_platform)))
    return items


class BatchWriter:
    """BatchWriteItem in requests of 25 (deduplicated keys, UnprocessedItems retried)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table_name = table_name
        self.pending: dict[tuple[str, str], dict] = {}
        self.requests = 0
        self.items = 0

    def put(self, item: dict) -> None:
        key = (item["pk"]["S"], item["sk"]["S"])
        if key in self.pending:
            self.pending[key] = item
            return
        if len(self.pending) >= 25:
            self.flush()
        self.pending[key] = item

    def flush(self) -> None:
        if not self.pending:
            return
        writes = [{"PutRequest": {"Item": it}} for it in self.pending.values()]
        self.items += len(writes)
        self.pending = {}
        request = {self.table_name: writes}
        attempt = 0
        while request:
            self.requests += 1
            out = self.client.batch_write_item(RequestItems=request)
            request = out.get("UnprocessedItems") or {}
            if request:
                attempt += 1
                if attempt > 10:
                    raise RuntimeError("DynamoDB keeps throttling the batch writes")
                time.sleep(min(0.05 * 2**attempt, 2.0))


def load_csv(
    source: str | os.PathLike | bytes | IO[bytes],
    table: str | None = None,
    *,
    settings: Settings | None = None,
    client: Any = None,
) -> LoadReport:
    """Load an extract into the directory table (default: ``Settings.directory_table``)."""
    s = settings or get_settings()
    if client is None:
        from einvoice.adapters.aws.clients import client as make_client

        client = make_client("dynamodb", s)
    report = LoadReport()
    writer = BatchWriter(client, table or s.directory_table)
    started = time.perf_counter()
    group: list[dict] = []

    def emit(rows: list[dict]) -> None:
        for item in _group_items(rows):
            sk = item["sk"]["S"]
            if sk == "UL":
                report.legal_units += 1
            elif sk.startswith("SIRET#"):
                report.establishments += 1
            else:
                report.lines += 1
            writer.put(item)

    for row in iter_rows(source, report):
        if group and group[0]["siren"] != row["siren"]:
            emit(group)
            group = []
        group.append(row)
    if group:
        emit(group)
    writer.flush()
    report.items = writer.items
    report.requests = writer.requests
    report.seconds = time.perf_counter() - started
    return report
