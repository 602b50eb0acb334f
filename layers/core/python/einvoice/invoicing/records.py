"""Invoice records: a draft, an issued (sent) or a received invoice, with its lifecycle statuses.

Domain side only (no storage): ``ports.InvoiceRepository`` stores them (``dynamodb.py`` on AWS,
``memory.py`` in unit tests). Status codes are the French lifecycle codes (MDT-105,
``docs/fr-reform.md`` §5.1) with their French labels; every status change is an ``StatusEvent``
appended once (its ``key`` is unique per record, so a retried task never records it twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

# Lifecycle status codes used by the transmission (PA-E) and the minimal internal reception.
DEPOSITED = "200"  # Déposée: validated and archived by the issuing platform
ISSUED = "201"  # Émise: the buyer's platform acknowledged it
RECEIVED = "202"  # Reçue: received by the buyer's platform (direction "received")
REJECTED = "213"  # Rejetée: refused by the checks (reason required)
ROUTING_ERROR = "221"  # Erreur de routage: routing failed for good (reason ROUTAGE_ERR)
INADMISSIBLE = "501"  # Irrecevable: the receiving platform refused the file (reasons IRR_*)

LABELS: dict[str, str] = {
    DEPOSITED: "Déposée",
    ISSUED: "Émise",
    RECEIVED: "Reçue",
    "203": "Mise à disposition",
    REJECTED: "Rejetée",
    ROUTING_ERROR: "Erreur de routage",
    INADMISSIBLE: "Irrecevable",
}

# Reason codes (BR-FR-CDV-CL-09) used here.
NON_TRANSMISE = "NON_TRANSMISE"  # 200: the buyer has no platform in the directory
ROUTAGE_ERR = "ROUTAGE_ERR"  # 221
DOUBLON = "DOUBLON"  # 213: duplicate (same seller, number and year)
REASONS_213 = ("MONTANTTOTAL_ERR", "CALCUL_ERR", DOUBLON, "DEST_INC", "ADR_ERR", "REJ_SEMAN", "REJ_UNI",
               "REJ_COH", "REJ_ADR", "REJ_CONT_B2G", "REJ_REF_PJ", "REJ_ASS_PJ")

# Record states (the API's ``state``): where the record is in its own life, independent of the code.
DRAFT = "DRAFT"  # stored, not issued
ISSUING = "ISSUING"  # a transmission is running (or waiting for a redelivery)
DONE = "DONE"  # the transmission ended (201, 213, 221, 501, 200 NON_TRANSMISE) or the invoice was received

SENT = "sent"
RECEIVED_DIRECTION = "received"
DIRECTIONS = (SENT, RECEIVED_DIRECTION)

SOURCE_JSON = "json"
SOURCE_FILE = "file"
SOURCE_PLATFORM = "platform"  # received from a platform (internal delivery)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def label(code: str | None) -> str | None:
    """The French label of a status code (transmission statuses here, the others from the lifecycle catalogue)."""
    if not code:
        return None
    if code in LABELS:
        return LABELS[code]
    from einvoice.lifecycle.statuses import CATALOGUE

    status = CATALOGUE.get(int(code)) if code.isdigit() else None
    return status.label_text if status else None


def is_terminal(code: str | None, reason: str | None) -> bool:
    """True when a transmission status ends the transmission."""
    return code in (ISSUED, REJECTED, ROUTING_ERROR, INADMISSIBLE, RECEIVED) or (
        code == DEPOSITED and reason == NON_TRANSMISE)


@dataclass(frozen=True)
class StatusEvent:
    code: str
    at: str
    source: str  # the platform that set it ("0238:PA-THIS", a peer's id)
    reason: str | None = None
    message: str | None = None
    # Lifecycle actions (204-212, 220): a status that may repeat gets its own id ("207-3": code and
    # position in the timeline of the record it was first set on), so each occurrence is recorded once.
    id: str | None = None
    actor: str | None = None  # buyer | seller (who set a processing status)
    comment: str | None = None  # free text to the other party (CDAR note)
    amount: str | None = None  # 206 approved, 211 paid, 212 received (decimal as text)
    received: tuple[dict[str, str], ...] = ()  # 212: [{amount, rate}] per VAT rate

    @property
    def key(self) -> str:
        """Transmission statuses are recorded at most once per record; an action once per ``id``."""
        return f"S#{self.id}" if self.id else f"S#{self.code}"

    def to_public(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "label": label(self.code), "at": self.at, "reason": self.reason,
                               "source": self.source}
        for name, value in (("message", self.message), ("id", self.id), ("actor", self.actor),
                            ("comment", self.comment), ("amount", self.amount)):
            if value:
                out[name] = value
        if self.received:
            out["received"] = [dict(r) for r in self.received]
        return out

    def to_item(self) -> dict[str, Any]:
        values = {"code": self.code, "at": self.at, "source": self.source, "reason": self.reason,
                  "message": self.message, "id": self.id, "actor": self.actor, "comment": self.comment,
                  "amount": self.amount, "received": [dict(r) for r in self.received] or None}
        return {k: v for k, v in values.items() if v is not None}

    @classmethod
    def from_item(cls, d: dict[str, Any]) -> "StatusEvent":
        return cls(code=str(d["code"]), at=str(d["at"]), source=str(d.get("source", "")),
                   reason=d.get("reason"), message=d.get("message"), id=d.get("id"), actor=d.get("actor"),
                   comment=d.get("comment"), amount=str(d["amount"]) if d.get("amount") is not None else None,
                   received=tuple({k: str(v) for k, v in r.items()} for r in d.get("received") or ()))


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt (or redelivery scheduling) of a transmission, as the history shows it."""

    n: int
    at: str
    outcome: str  # delivered | duplicate | unavailable | refused | deferred | internal | no_platform
    platform: str | None = None
    code: str | None = None  # short error code (never a stack trace)
    message: str | None = None
    duration_ms: int | None = None

    @property
    def key(self) -> str:
        return f"A#{self.n}"

    def to_public(self) -> dict[str, Any]:
        out = {"attempt": self.n, "at": self.at, "outcome": self.outcome, "platform": self.platform,
               "code": self.code, "message": self.message, "durationMs": self.duration_ms}
        return {k: v for k, v in out.items() if v is not None}

    def to_item(self) -> dict[str, Any]:
        return self.to_public()

    @classmethod
    def from_item(cls, d: dict[str, Any]) -> "Attempt":
        return cls(n=int(d["attempt"]), at=str(d["at"]), outcome=str(d["outcome"]), platform=d.get("platform"),
                   code=d.get("code"), message=d.get("message"),
                   duration_ms=int(d["durationMs"]) if d.get("durationMs") is not None else None)


@dataclass
class InvoiceRecord:
    id: str
    account_id: str
    company_id: str
    direction: str
    state: str
    number: str
    issue_date: str
    type_code: str
    profile: str
    duplicate_key: str
    fingerprint: str
    created_at: str
    source: str = SOURCE_JSON
    updated_at: str | None = None
    invoice: dict[str, Any] | None = None  # the EN 16931 model as JSON (loaded with the record when asked)
    status_code: str | None = None
    status_reason: str | None = None
    status_history: list[StatusEvent] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    transmission_id: str | None = None
    execution_seq: int = 0  # number of workflow executions started for the transmission
    next_attempt_at: str | None = None  # a redelivery is scheduled for then
    seller_siren: str | None = None
    buyer_siren: str | None = None
    buyer_address: str | None = None  # BT-49 value (scheme 0225)
    input: dict[str, Any] | None = None  # deposited file: {key, sha256, size, contentType, syntax}
    rejection: dict[str, Any] | None = None  # {reasons: [...], rules: [{rule, message}]}
    route: dict[str, Any] | None = None  # {platformId, mesh, delivery, syntax}
    document: dict[str, Any] | None = None  # the transmitted document inside the archive {name, syntax, sha256}
    archive: dict[str, Any] | None = None  # manifest summary {key, sha256, versionId, retainUntil, objects, seal}
    flux1: dict[str, Any] | None = None  # {key, sha256, profile, checks}
    counterpart: dict[str, Any] | None = None  # received: {platform, transmissionId}; sent: {platform, ...}
    # internal delivery only: the other side's record {accountId, invoiceId} (never shown: the other tenant's ids)
    peer_record: dict[str, Any] | None = None
    flux6: dict[str, Any] | None = None  # mandatory statuses for the PPF: {eventId or code: {status, key...}}
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> dict[str, Any] | None:
        return {"code": self.status_code, "label": label(self.status_code)} if self.status_code else None

    def has_status(self, code: str) -> bool:
        return any(s.code == code for s in self.status_history)


@dataclass
class RecordUpdate:
    """One conditional change of a record: append a status and/or an attempt, set fields.

    Applied all or nothing, and only once: when the status (or attempt) key is already in the
    record, nothing changes and the repository answers False. ``require_state`` refuses the update
    unless the record is in one of those states (e.g. no 221 after a 201); ``history_length`` refuses it
    when another status was recorded since the caller checked the timeline.
    """

    status: StatusEvent | None = None
    attempt: Attempt | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # record attribute name -> value (None removes it)
    require_state: tuple[str, ...] = ()
    now: str | None = None
    # optimistic concurrency of lifecycle actions: apply only while the timeline has this many statuses
    history_length: int | None = None
