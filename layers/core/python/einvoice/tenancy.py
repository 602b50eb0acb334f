"""Tenancy model: partner (white-label reseller) -> account (subscriber) -> companies.

An API key belongs to a partner or to an account. Every tenant-owned item lives under the
account's partition (``ACC#<accountId>``), so reads and writes are scoped by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Tenant:
    """Who is calling, resolved from the API key."""

    partner_id: str
    account_id: str | None  # None for a partner-level key
    api_key_id: str
    scope: str = "account"  # "account" | "partner"
    secondary_account_ids: tuple[str, ...] = field(default_factory=tuple)
    partner_name: str = ""
    account_name: str = ""

    @property
    def account_pk(self) -> str:
        from einvoice.errors import ForbiddenError

        if not self.account_id:
            raise ForbiddenError("This operation needs an account-level API key")
        return f"ACC#{self.account_id}"
