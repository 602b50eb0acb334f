"""In-memory fakes of the accounts ports (unit tests)."""

from __future__ import annotations

import copy
import itertools
from typing import Any


class MemoryTenancyRepository:
    def __init__(self) -> None:
        self.partners: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, dict[str, Any]] = {}
        self.hashes: dict[str, dict[str, Any]] = {}

    @staticmethod
    def _put_new(store: dict[str, dict[str, Any]], key: str, record: dict[str, Any]) -> bool:
        if key in store:
            return False
        store[key] = copy.deepcopy(record)
        return True

    def get_partner(self, partner_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.partners.get(partner_id))

    def put_partner(self, partner_id: str, record: dict[str, Any]) -> bool:
        return self._put_new(self.partners, partner_id, record)

    def get_account(self, account_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.accounts.get(account_id))

    def put_account(self, account_id: str, record: dict[str, Any]) -> bool:
        return self._put_new(self.accounts, account_id, record)

    def partner_accounts(self, partner_id: str) -> list[dict[str, Any]]:
        return [{"id": k, **copy.deepcopy(v)} for k, v in sorted(self.accounts.items()) if v["partnerId"] == partner_id]

    def get_key(self, api_key_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.keys.get(api_key_id))

    def get_key_by_hash(self, value_hash: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.hashes.get(value_hash))

    def put_key(self, api_key_id: str, value_hash: str, record: dict[str, Any]) -> None:
        if value_hash in self.hashes:
            raise ValueError("key value already stored")
        self.keys[api_key_id] = copy.deepcopy(record)
        self.hashes[value_hash] = copy.deepcopy(record)


class MemoryKeyRegistry:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.created: dict[str, str] = {}

    def create_key(self, name: str, value: str) -> str:
        key_id = f"key{next(self._ids):04d}"
        self.created[key_id] = name
        return key_id
