"""In-memory ``CompanyRepository`` (unit tests): same conditional semantics as the DynamoDB adapter,
atomic under a lock, so concurrent callers behave as they do against DynamoDB."""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import replace

from einvoice.companies.model import Company, normalize_name
from einvoice.companies.ports import QueryPage


class MemoryCompanyRepository:
    def __init__(self, page_items: int = 1000) -> None:
        self.items: dict[tuple[str, str], Company] = {}
        self.lock = threading.RLock()
        self.page_items = page_items  # stands for DynamoDB's 1 MB page
        self.writes: list[tuple[str, str]] = []  # (account id, company id) of every successful create

    def create(self, company: Company) -> Company | None:
        with self.lock:
            k = (company.account_id, company.id)
            if k in self.items:
                return copy.copy(self.items[k])
            self.items[k] = copy.copy(company)
            self.writes.append(k)
            return None

    def get(self, account_id: str, company_id: str, *, consistent: bool = False) -> Company | None:
        with self.lock:
            found = self.items.get((account_id, company_id))
            return copy.copy(found) if found else None

    def get_many(self, account_id: str, company_ids: Sequence[str], *, consistent: bool = False) -> dict[str, Company]:
        with self.lock:
            return {
                cid: copy.copy(self.items[(account_id, cid)]) for cid in company_ids if (account_id, cid) in self.items
            }

    def find_in(self, account_ids: Sequence[str], company_id: str, *, consistent: bool = False) -> Company | None:
        return next((c for a in account_ids if (c := self.get(a, company_id)) is not None), None)

    def update_options(self, company: Company, *, expected_updated_at: str) -> Company | None:
        with self.lock:
            k = (company.account_id, company.id)
            cur = self.items.get(k)
            if cur is None or cur.updated_at != expected_updated_at:
                return None
            self.items[k] = replace(
                cur,
                employees=company.employees,
                purchase_invoices=company.purchase_invoices,
                purchase_payment=company.purchase_payment,
                sales_invoices=company.sales_invoices,
                duplicate_control=company.duplicate_control,
                preferred_format=company.preferred_format,
                updated_at=company.updated_at,
            )
            return copy.copy(self.items[k])

    def set_enrolment(
        self,
        account_id: str,
        company_id: str,
        *,
        status: str | None,
        enrolment_id: str | None,
        certificate_url: str | None,
        now: str,
    ) -> Company | None:
        with self.lock:
            cur = self.items.get((account_id, company_id))
            if cur is None:
                return None
            keep = status is not None
            cur.enrolment_status = status
            cur.enrolment_id = enrolment_id or (cur.enrolment_id if keep else None)
            cur.certificate_url = certificate_url or (cur.certificate_url if keep else None)
            cur.updated_at = now
            return copy.copy(cur)

    def query_page(
        self,
        account_id: str,
        *,
        prefix: str | None,
        exact: bool,
        words: Sequence[str],
        after: tuple[str, str] | None,
        limit: int | None,
    ) -> QueryPage:
        with self.lock:
            rows = sorted(
                (c for (a, _), c in self.items.items() if a == account_id),
                key=lambda c: (c.identifier, c.id),
            )
        if prefix:
            rows = [c for c in rows if (c.identifier == prefix if exact else c.identifier.startswith(prefix))]
        if after is not None:
            rows = [c for c in rows if (c.identifier, c.id) > after]
        budget = min(limit or self.page_items, self.page_items)
        examined, rest = rows[:budget], rows[budget:]
        items = [copy.copy(c) for c in examined if all(w in (normalize_name(c.name) or "-") for w in words)]
        last = (examined[-1].identifier, examined[-1].id) if rest and examined else None
        return QueryPage(items, last, len(examined))

    def for_siren(self, siren: str) -> list[Company]:
        with self.lock:
            return [copy.copy(c) for c in self.items.values() if c.siren == siren[:9]]
