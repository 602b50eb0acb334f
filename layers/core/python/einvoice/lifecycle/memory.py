"""In-memory adapters of the lifecycle ports (unit tests)."""

from __future__ import annotations

from einvoice.lifecycle.ports import PpfItem


class MemoryPpfQueue:
    def __init__(self) -> None:
        self.items: list[PpfItem] = []

    def enqueue(self, item: PpfItem) -> dict[str, str] | None:
        self.items = [i for i in self.items if (i.invoice_id, i.status, i.event_id) !=
                      (item.invoice_id, item.status, item.event_id)] + [item]
        return {"key": f"memory/{item.invoice_id}/{item.status}/{item.event_id or ''}"}

    def discard(self, item: PpfItem) -> None:
        self.items = [i for i in self.items if i is not item and
                      (i.invoice_id, i.status, i.event_id) != (item.invoice_id, item.status, item.event_id)]
