"""The reception port's minimal internal adapter: an invoice whose buyer is served by this platform
is recorded for the buyer's account(s) (direction ``received``, status 202 Reçue) instead of being
sent over HTTP. The reception issue builds the full reception flow (203, notifications...) on it.

Idempotent: the received record's id is derived from the transmission and the buyer's account.
The buyer sees the sending platform and the transmission id, never the seller's account.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from einvoice.invoicing.records import (
    DONE,
    RECEIVED,
    RECEIVED_DIRECTION,
    SOURCE_PLATFORM,
    InvoiceRecord,
    StatusEvent,
    iso,
    utcnow,
)


class InternalReception:
    def __init__(self, repository: Any, companies: Any, platform_id: str, clock: Any = utcnow) -> None:
        self.repository = repository
        self.companies = companies
        self.platform_id = platform_id
        self.clock = clock

    def receive(self, *, sender: InvoiceRecord, document: dict[str, Any], transmission_id: str,
                from_platform: str) -> dict[str, str] | None:
        if not sender.buyer_siren:
            return None
        targets = self.companies.serving(sender.buyer_siren)
        if not targets:
            return None
        received = []
        for account_id, company in targets:
            invoice_id = hashlib.sha256(f"{transmission_id}|{account_id}".encode()).hexdigest()[:24]
            now = iso(self.clock())
            record = InvoiceRecord(
                id=invoice_id, account_id=account_id, company_id=company.company_id,
                direction=RECEIVED_DIRECTION, state=DONE, number=sender.number, issue_date=sender.issue_date,
                type_code=sender.type_code, profile=sender.profile, duplicate_key=sender.duplicate_key,
                fingerprint=sender.fingerprint, created_at=now, updated_at=now, source=SOURCE_PLATFORM,
                invoice=copy.deepcopy(sender.invoice), seller_siren=sender.seller_siren,
                buyer_siren=sender.buyer_siren, buyer_address=sender.buyer_address,
                status_code=RECEIVED, status_history=[StatusEvent(RECEIVED, now, self.platform_id)],
                transmission_id=transmission_id, document=dict(document), archive=copy.deepcopy(sender.archive),
                counterpart={"platform": from_platform, "transmissionId": transmission_id},
                peer_record={"accountId": sender.account_id, "invoiceId": sender.id},
            )
            stored, _created = self.repository.create(record)
            received.append({"accountId": account_id, "invoiceId": stored.id})
        return received[0]
