"""Small status events for the CDAR tests (a UC1-like invoice between two companies)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from einvoice.lifecycle.builder import Company, InvoiceRef, Platform, StatusEvent
from einvoice.lifecycle.statuses import Actor
from einvoice.lifecycle.transitions import ReceivedAmount, StatusRequest

SELLER = Company("100000009", "VENDEUR", "100000009_STATUTS")
BUYER = Company("200000008", "ACHETEUR", "200000008")
INVOICE = InvoiceRef("F202600042", dt.date(2026, 11, 2), SELLER, BUYER)
THIS_PLATFORM = Platform("0042", "PA einvoice")
UTC = dt.timezone.utc

#: One valid request per status this platform sets, with the actor that sets it.
REQUESTS: dict[int, tuple[Actor, StatusRequest]] = {
    200: (Actor.SELLER_PLATFORM, StatusRequest(200)),
    201: (Actor.SELLER_PLATFORM, StatusRequest(201)),
    202: (Actor.BUYER_PLATFORM, StatusRequest(202)),
    203: (Actor.BUYER_PLATFORM, StatusRequest(203)),
    204: (Actor.BUYER, StatusRequest(204)),
    205: (Actor.BUYER, StatusRequest(205, comment="Bon pour paiement")),
    206: (Actor.BUYER, StatusRequest(206, reason_code="QTE_ERR", amount=Decimal("900.00"))),
    207: (Actor.BUYER, StatusRequest(207, reason_code="TX_TVA_ERR", requested_action="NIN",
                                     comment="Taux de 10 % attendu")),
    208: (Actor.BUYER, StatusRequest(208, reason_code="JUSTIF_ABS")),
    209: (Actor.SELLER, StatusRequest(209)),
    210: (Actor.BUYER, StatusRequest(210, reason_code="DOUBLON")),
    211: (Actor.BUYER, StatusRequest(211, amount=Decimal("1200.00"))),
    212: (Actor.SELLER, StatusRequest(212, received=(ReceivedAmount(Decimal("1000.00"), Decimal("20")),
                                                    ReceivedAmount(Decimal("200.00"), Decimal("5.5"))))),
    213: (Actor.BUYER_PLATFORM, StatusRequest(213, reason_code="DOUBLON", comment="Déjà reçue")),
    220: (Actor.SELLER, StatusRequest(220)),
    221: (Actor.BUYER_PLATFORM, StatusRequest(221, reason_code="ROUTAGE_ERR")),
    501: (Actor.BUYER_PLATFORM, StatusRequest(501, reason_code="IRR_SYNTAX")),
}


def event(code: int, **changes) -> StatusEvent:
    actor, request = REQUESTS[code]
    values = dict(
        invoice=INVOICE,
        request=request,
        actor=actor,
        set_at=dt.datetime(2026, 11, 3, 9, 30, tzinfo=UTC),
        received_at=dt.datetime(2026, 11, 2, 15, 10, tzinfo=UTC),
        payment_date=dt.date(2026, 11, 30) if code == 211 else None,
    )
    values.update(changes)
    return StatusEvent(**values)
