"""The CDAR D22B message (UN/CEFACT CrossDomainAcknowledgementAndResponse) as the French CDV uses it.

Plain frozen dataclasses, one per XML aggregate, with the French data ids (MDT-x) in comments.
The model covers every element the XP Z12-014 examples and the BR-FR-CDV rules use; other
elements of the D22B schema are not read (the parser ignores them, the generator never writes them).
Date-times of format 204 (``AAAAMMJJHHMMSS``, no zone: the status setter's local time) are naive
``datetime``; format 102 dates are ``date``; amounts and percentages are ``Decimal`` as written.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Identifier:
    value: str
    scheme: str | None = None  # schemeID: 0002 SIREN, 0009 SIRET, 0238 platform, 0225 electronic address


@dataclass(frozen=True)
class Party:
    """TradeParty: sender (MDG-9), issuer (MDT-38..40), recipients (MDT-57..73), invoice issuer (MDT-129)."""

    role: str | None = None  # WK platform, DFH PPF, SE seller, BY buyer, AB, DL, SR, PE, PR, II, IV
    global_ids: tuple[Identifier, ...] = ()
    name: str | None = None
    uri: Identifier | None = None  # URIUniversalCommunication/URIID: the party's electronic address


@dataclass(frozen=True)
class Note:
    content: str
    subject_code: str | None = None


@dataclass(frozen=True)
class Characteristic:
    """SpecifiedDocumentCharacteristic (MDT-205..224): an amount received (MEN), paid (MPA), a wrong
    value (DIV) and the expected one (DVA)..."""

    type_code: str  # MDT-207
    id: str | None = None  # e.g. the BT concerned
    value_changed: bool | None = None
    name: str | None = None
    location: str | None = None  # XPath of the data concerned
    value: str | None = None
    amount: Decimal | None = None  # MDT-215
    currency: str | None = None
    value_date: _dt.date | None = None
    percent: Decimal | None = None  # MDT-224


@dataclass(frozen=True)
class DocumentStatus:
    """SpecifiedDocumentStatus: reason (MDT-113/114), requested action (MDT-121/122), sequence (MDT-124-2)."""

    reason_code: str | None = None
    reason: str | None = None
    process_condition_code: str | None = None  # MDT-115: a status a reason applies to
    requested_action_code: str | None = None
    requested_action: str | None = None
    sequence: int | None = None
    notes: tuple[Note, ...] = ()
    characteristics: tuple[Characteristic, ...] = ()


@dataclass(frozen=True)
class ReferencedDocument:
    """The invoice the status is about (MDG-35...)."""

    invoice_id: str | None  # MDT-87: BT-1
    process_condition_code: str | None  # MDT-105: the status
    process_condition: str | None = None  # MDT-106: its label
    status_code: str | None = None  # MDT-88: UN/CEFACT status
    type_code: str | None = None  # MDT-91: BT-3
    receipt_datetime: _dt.datetime | None = None  # MDT-95
    reference_type_code: str | None = None  # MDT-97 (PPF copies)
    issue_date: _dt.date | None = None  # MDT-100: BT-2
    issuer: Party | None = None  # MDT-129..132: the seller
    recipients: tuple[Party, ...] = ()  # MDT-156..158
    statuses: tuple[DocumentStatus, ...] = ()

    @property
    def status(self) -> int | None:
        code = (self.process_condition_code or "").strip()
        return int(code) if code.isdigit() else None


@dataclass(frozen=True)
class Acknowledgement:
    type_code: str | None  # MDT-77: 305 transmission, 23 processing
    issue_datetime: _dt.datetime | None  # MDT-78: when the status was set
    documents: tuple[ReferencedDocument, ...] = ()
    multiple_references: bool | None = None  # MDT-74


@dataclass(frozen=True)
class CdarMessage:
    guideline: str | None  # MDT-3
    id: str | None  # MDT-4
    issue_datetime: _dt.datetime | None  # MDT-8: message creation
    acknowledgements: tuple[Acknowledgement, ...] = ()
    business_process: str | None = None  # MDT-2
    name: str | None = None  # MDT-5
    sender: Party | None = None  # MDG-9
    issuer: Party | None = None  # MDT-38..40
    recipients: tuple[Party, ...] = field(default_factory=tuple)  # MDT-57..73

    @property
    def document(self) -> ReferencedDocument | None:
        """The (first) invoice the message is about."""
        for ack in self.acknowledgements:
            for doc in ack.documents:
                return doc
        return None

    @property
    def status(self) -> int | None:
        doc = self.document
        return doc.status if doc else None
