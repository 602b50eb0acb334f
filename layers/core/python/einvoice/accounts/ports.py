"""Ports of the accounts (tenancy) area: where partners, accounts and API keys are stored, and
where API keys are enforced. Adapters: ``dynamodb.py`` (tenancy table), ``memory.py`` (fakes)."""

from __future__ import annotations

from typing import Any, Protocol


class TenancyRepository(Protocol):
    """Partners, accounts and API key records (``einvoice.resources``: the tenancy table).

    Records are plain dicts with the attribute names of the table (``name``, ``partnerId``,
    ``parentAccountId``, ``apiKeyId``, ``accountId``, ``scope``, ``enabled``, ``branding`` ...).
    ``put_*`` methods are create-if-absent: they return False (and write nothing) when the record exists.
    """

    def get_partner(self, partner_id: str) -> dict[str, Any] | None: ...
    def put_partner(self, partner_id: str, record: dict[str, Any]) -> bool: ...
    def get_account(self, account_id: str) -> dict[str, Any] | None: ...
    def put_account(self, account_id: str, record: dict[str, Any]) -> bool: ...
    def partner_accounts(self, partner_id: str) -> list[dict[str, Any]]:
        """Every account of a partner (each record carries ``id``)."""
        ...
    def get_key(self, api_key_id: str) -> dict[str, Any] | None: ...
    def get_key_by_hash(self, value_hash: str) -> dict[str, Any] | None: ...
    def put_key(self, api_key_id: str, value_hash: str, record: dict[str, Any]) -> None:
        """Store a key under its id and under the hash of its value (both or neither)."""
        ...


class KeyRegistry(Protocol):
    """Where API keys are enforced (API Gateway usage plans in AWS; moto's control plane locally)."""

    def create_key(self, name: str, value: str) -> str: ...
