"""Ports of the webhooks domain (adapters: ``memory``, ``dynamodb``, ``http``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from einvoice.webhooks.model import Delivery, Subscription


class SubscriptionStore(Protocol):
    def create(self, subscription: Subscription) -> None: ...
    def get(self, account_id: str, subscription_id: str) -> Subscription | None: ...
    def list(self, account_id: str) -> list[Subscription]: ...
    def delete(self, account_id: str, subscription_id: str) -> bool: ...


class DeliveryStore(Protocol):
    def create(self, delivery: Delivery) -> None: ...
    def get(self, account_id: str, delivery_id: str) -> Delivery | None: ...
    def due(self, now: str, limit: int) -> list[Delivery]:
        """PENDING deliveries whose next attempt is at or before ``now`` (all accounts), oldest first."""
        ...
    def claim(self, delivery: Delivery, *, lease_until: str) -> bool:
        """Atomically push ``next_attempt_at`` to ``lease_until`` if the delivery is still PENDING with the
        same attempt count (so one sender only attempts it); False if another sender got it."""
        ...
    def save(self, delivery: Delivery, *, expected_attempts: int) -> bool:
        """Store the delivery if its stored attempt count is still ``expected_attempts``."""
        ...
    def dead(self, account_id: str, limit: int) -> list[Delivery]:
        """The account's dead-letter list, oldest first."""
        ...


@dataclass(frozen=True)
class SendResult:
    status: int | None  # HTTP status, None when no response
    error: str | None = None  # why, when not 2xx


class HttpSender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult: ...
