"""In-memory ``InvoiceRepository`` (unit tests): the same conditional semantics as the DynamoDB adapter."""

from __future__ import annotations

import copy
import threading
from dataclasses import replace

from einvoice.invoicing.records import DONE, DRAFT, ISSUING, InvoiceRecord, RecordUpdate, is_terminal


class MemoryInvoiceRepository:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], InvoiceRecord] = {}
        self.duplicates: dict[tuple[str, str, str], str] = {}
        self.writes = 0
        self._lock = threading.RLock()

    def create(self, record: InvoiceRecord) -> tuple[InvoiceRecord, bool]:
        with self._lock:
            key = (record.account_id, record.id)
            if key in self.items:
                return copy.deepcopy(self.items[key]), False
            self.items[key] = copy.deepcopy(record)
            self.writes += 1
            return copy.deepcopy(record), True

    def get(self, account_id: str, invoice_id: str, *, with_invoice: bool = True) -> InvoiceRecord | None:
        with self._lock:
            found = self.items.get((account_id, invoice_id))
            if found is None:
                return None
            out = copy.deepcopy(found)
            return out if with_invoice else replace(out, invoice=None)

    def list(self, account_id: str, *, direction: str, company_id: str | None = None, status: str | None = None,
             limit: int = 50, token: str | None = None) -> tuple[list[InvoiceRecord], str | None]:
        with self._lock:
            rows = [r for (acc, _), r in self.items.items() if acc == account_id and r.direction == direction
                    and (company_id is None or r.company_id == company_id)
                    and (status is None or r.status_code == status)]
        rows.sort(key=lambda r: (r.company_id, r.created_at, r.id), reverse=True)
        start = int(token or 0)
        page = rows[start:start + limit]
        more = str(start + limit) if start + limit < len(rows) else None
        return [replace(copy.deepcopy(r), invoice=None) for r in page], more

    def find_by_reference(self, seller_siren: str, number: str, issue_date: str) -> list[InvoiceRecord]:
        with self._lock:
            return [replace(copy.deepcopy(r), invoice=None) for r in self.items.values()
                    if r.seller_siren == seller_siren and r.number == number and r.issue_date == issue_date
                    and (r.direction != "sent" or r.transmission_id)]

    def start_transmission(self, account_id: str, invoice_id: str, *, transmission_id: str,
                           now: str) -> tuple[InvoiceRecord | None, bool]:
        with self._lock:
            r = self.items.get((account_id, invoice_id))
            if r is None:
                return None, False
            if r.transmission_id or r.state != DRAFT:
                return copy.deepcopy(r), False
            r.transmission_id, r.state, r.execution_seq, r.updated_at = transmission_id, ISSUING, 1, now
            self.writes += 1
            return copy.deepcopy(r), True

    def apply(self, account_id: str, invoice_id: str, update: RecordUpdate) -> bool:
        with self._lock:
            r = self.items.get((account_id, invoice_id))
            if r is None:
                return False
            if update.require_state and r.state not in update.require_state:
                return False
            if update.status is not None and any(s.key == update.status.key for s in r.status_history):
                return False
            if update.history_length is not None and len(r.status_history) != update.history_length:
                return False
            if update.attempt is not None and any(a.n == update.attempt.n for a in r.attempts):
                return False
            if update.status is not None:
                r.status_history.append(update.status)
                r.status_code, r.status_reason = update.status.code, update.status.reason
                if is_terminal(update.status.code, update.status.reason):
                    r.state = DONE
                    r.next_attempt_at = None
            if update.attempt is not None:
                r.attempts.append(update.attempt)
            for name, value in update.fields.items():
                setattr(r, name, copy.deepcopy(value))
            r.updated_at = update.now or r.updated_at
            self.writes += 1
            return True

    def claim_execution(self, account_id: str, invoice_id: str, *, expected_seq: int, now: str) -> bool:
        with self._lock:
            r = self.items.get((account_id, invoice_id))
            if r is None or r.state != ISSUING or r.execution_seq != expected_seq:
                return False
            r.execution_seq, r.next_attempt_at, r.updated_at = expected_seq + 1, None, now
            self.writes += 1
            return True

    def claim_duplicate_key(self, account_id: str, company_id: str, duplicate_key: str, invoice_id: str) -> str:
        with self._lock:
            return self.duplicates.setdefault((account_id, company_id, duplicate_key), invoice_id)

    def duplicate_owner(self, account_id: str, company_id: str, duplicate_key: str) -> str | None:
        return self.duplicates.get((account_id, company_id, duplicate_key))
