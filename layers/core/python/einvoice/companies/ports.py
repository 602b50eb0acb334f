"""Ports of the companies domain (adapters: ``dynamodb.py`` on the data table, ``memory.py`` for tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from einvoice.companies.model import Company


@dataclass
class QueryPage:
    """One page of an account's companies in identifier order (``after``: resume point, None at the end)."""

    items: list[Company]
    after: tuple[str, str] | None  # (identifier, company id) of the last item examined
    scanned: int = 0
    detail: list[str] = field(default_factory=list)


class CompanyRepository(Protocol):
    def create(self, company: Company) -> Company | None:
        """Create unless a company with this id exists (atomic): None when created, else the existing one."""
        ...

    def get(self, account_id: str, company_id: str, *, consistent: bool = False) -> Company | None: ...

    def get_many(self, account_id: str, company_ids: Sequence[str], *, consistent: bool = False) -> dict[str, Company]:
        """The existing ones among ``company_ids`` (missing ids are absent)."""
        ...

    def find_in(self, account_ids: Sequence[str], company_id: str, *, consistent: bool = False) -> Company | None:
        """The company ``company_id`` in the first of ``account_ids`` that has it."""
        ...

    def update_options(self, company: Company, *, expected_updated_at: str) -> Company | None:
        """Write employees/options/updatedAt of ``company`` if its stored ``updatedAt`` is still
        ``expected_updated_at``; None when it changed (or the company is gone)."""
        ...

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
        """Set (or clear, ``status=None``) the enrolment progress; None for an unknown company."""
        ...

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
        """One storage page of the account's companies whose identifier starts with (or equals) ``prefix``
        and whose normalised name contains every word, from ``after``. ``limit`` caps the companies
        *examined* (DynamoDB ``Limit``); a page may also end early (1 MB)."""
        ...

    def for_siren(self, siren: str) -> list[Company]:
        """Platform-wide: every account's company for a SIREN or one of its SIRETs."""
        ...
