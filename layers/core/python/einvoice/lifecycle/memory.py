"""In-memory adapters of the lifecycle ports (unit tests)."""

from __future__ import annotations

from einvoice.lifecycle.ports import PpfItem


class MemoryPpfQueue:
    def __init__(self) -> None:
        self.items: list[PpfItem] = []

    def enqueue(self, item: PpfItem) -> None:
        self.items.append(item)
