"""In-memory adapters of the webhook ports (unit tests), with the same conditional semantics."""

from __future__ import annotations

import threading
from dataclasses import replace

from einvoice.webhooks.model import DEAD, PENDING, Delivery, Subscription
from einvoice.webhooks.ports import SendResult


class MemorySubscriptions:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Subscription] = {}

    def create(self, subscription: Subscription) -> None:
        key = (subscription.account_id, subscription.id)
        if key in self.items:
            raise ValueError("exists")
        self.items[key] = subscription

    def get(self, account_id: str, subscription_id: str) -> Subscription | None:
        return self.items.get((account_id, subscription_id))

    def list(self, account_id: str) -> list[Subscription]:
        return sorted((s for (a, _), s in self.items.items() if a == account_id), key=lambda s: s.id)

    def delete(self, account_id: str, subscription_id: str) -> bool:
        return self.items.pop((account_id, subscription_id), None) is not None


class MemoryDeliveries:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Delivery] = {}
        self._lock = threading.Lock()

    def create(self, delivery: Delivery) -> None:
        with self._lock:
            key = (delivery.account_id, delivery.id)
            if key in self.items:
                raise ValueError("exists")
            self.items[key] = delivery

    def get(self, account_id: str, delivery_id: str) -> Delivery | None:
        return self.items.get((account_id, delivery_id))

    def due(self, now: str, limit: int) -> list[Delivery]:
        due = [d for d in self.items.values() if d.status == PENDING and (d.next_attempt_at or "") <= now]
        return sorted(due, key=lambda d: (d.next_attempt_at or "", d.id))[:limit]

    def claim(self, delivery: Delivery, *, lease_until: str) -> bool:
        with self._lock:
            current = self.items.get((delivery.account_id, delivery.id))
            if current is None or current.status != PENDING or current.attempts != delivery.attempts \
                    or current.next_attempt_at != delivery.next_attempt_at:
                return False
            self.items[(delivery.account_id, delivery.id)] = replace(current, next_attempt_at=lease_until)
            return True

    def save(self, delivery: Delivery, *, expected_attempts: int) -> bool:
        with self._lock:
            current = self.items.get((delivery.account_id, delivery.id))
            if current is None or current.attempts != expected_attempts:
                return False
            self.items[(delivery.account_id, delivery.id)] = delivery
            return True

    def dead(self, account_id: str, limit: int) -> list[Delivery]:
        dead = [d for (a, _), d in self.items.items() if a == account_id and d.status == DEAD]
        return sorted(dead, key=lambda d: (d.dead_at or "", d.id))[:limit]


class FakeSender:
    """Records every POST; an URL answers ``statuses[url]`` (default 200), or fails with no response when
    it is in ``down``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes, dict[str, str]]] = []
        self.accepted: list[tuple[str, bytes, dict[str, str]]] = []  # the calls answered 2xx
        self.statuses: dict[str, int] = {}
        self.down: set[str] = set()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        self.calls.append((url, body, dict(headers)))
        if url in self.down:
            return SendResult(None, "connection refused")
        status = self.statuses.get(url, 200)
        if 200 <= status < 300:
            self.accepted.append((url, body, dict(headers)))
        return SendResult(status, None if 200 <= status < 300 else f"HTTP {status}")
