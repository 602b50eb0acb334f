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


class PpfQueue(Protocol):
    """Where mandatory statuses wait for the PPF connection (200, 210, 213; 212 when VAT is due on receipt)."""

    def enqueue(self, item: PpfItem) -> None: ...
