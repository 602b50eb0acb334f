"""The reception port's internal adapter: an invoice whose buyer is served by this platform goes through
this platform's reception (``einvoice.reception``: the same workflow as an invoice from another platform)
instead of being sent over HTTP.

``receive`` starts the reception of the transmitted document (a member of the issuer's sealed archive
container) and answers at once with the buyer's record id; the reception records 202/203 (or 213) for
the buyer and the same statuses on the issuer's record. Idempotent: the reception id and the received
record's id derive from the transmission. The buyer sees the sending platform, never the seller's account.
"""

from __future__ import annotations

from typing import Any, Callable

from einvoice.invoicing.records import InvoiceRecord


def reception_id_for(transmission_id: str) -> str:
    return "rx_" + transmission_id.removeprefix("tx_")


class InternalReception:
    """``companies`` tells whether an account of this platform serves the buyer; ``start`` starts the
    reception workflow (``einvoice.reception.service.start_reception`` unless given: tests)."""

    def __init__(self, companies: Any, start: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.companies = companies
        self._start = start

    def start(self, envelope: dict[str, Any]) -> None:
        if self._start is None:
            from einvoice.reception.service import start_reception

            self._start = start_reception
        self._start(envelope)

    def receive(self, *, sender: InvoiceRecord, document: dict[str, Any], transmission_id: str,
                from_platform: str) -> dict[str, str] | None:
        from einvoice.reception.service import received_invoice_id

        if not sender.buyer_siren or not sender.archive or not document.get("name"):
            return None
        targets = self.companies.companies_for(sender.buyer_siren)
        if not targets:
            return None
        rid = reception_id_for(transmission_id)
        self.start({
            "receptionId": rid,
            "source": {"kind": "internal", "accountId": sender.account_id, "invoiceId": sender.id,
                       "transmissionId": transmission_id},
            "input": {"archiveKey": sender.archive["key"], "versionId": sender.archive.get("versionId"),
                      "member": document["name"], "syntax": document.get("syntax") or "Factur-X",
                      "contentType": document.get("contentType") or "application/pdf"},
        })
        account_id = targets[0][0]
        return {"accountId": account_id, "invoiceId": received_invoice_id(rid, account_id)}
