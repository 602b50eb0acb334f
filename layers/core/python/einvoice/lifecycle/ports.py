"""Ports of the lifecycle domain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PpfItem:
    """A mandatory status for the PPF (Flux 6): the validated CDAR of the PPF copy and its keys."""

    account_id: str
    invoice_id: str
    status: int
    message_id: str
    xml: bytes
    number: str = ""  # BT-1, for the object name
    event_id: str | None = None  # the status event on the record (an action may repeat a code)


class PpfQueue(Protocol):
    """Where mandatory statuses wait for the PPF connection (200, 210, 213; 212 when VAT is due on receipt)."""

    def enqueue(self, item: PpfItem) -> dict[str, str] | None:
        """Queue the item (idempotent per item); ``{key, sha256}`` where it went, when the adapter says."""
        ...

    def discard(self, item: PpfItem) -> None:
        """Withdraw an item whose status could not be recorded after all (still in the outbox)."""
        ...
