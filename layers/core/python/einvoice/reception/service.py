"""The reception use cases and the tasks of ``statemachines/reception.asl.json`` (Express).

Execution input (the *envelope*, also what ``start_reception`` takes)::

    {"receptionId": "rx_...",  "flowId": "<Flow API flow, when it came that way>",
     "source": {"kind": "platform", "platformId": "0238:PA-0042", "flowId", "trackingId"}
             | {"kind": "internal", "accountId", "invoiceId", "transmissionId"}   (one of our issuers)
             | {"kind": "ocr", "accountId", "companyId", "reference", "documents"},
     "input": {"key", "sha256", "size", "syntax", "contentType"}          (staged file, drop bucket)
            | {"archiveKey", "versionId", "member", "syntax", "contentType"}  (a member of an archive container)}

``receive`` (task ``Receive``) records the invoice for every account whose company is the buyer
(the OCR's company for an OCR hand-off): 213 (rule ids; DOUBLON under duplicate control) or, archived
and sealed, 202 Reçue then 203 Mise à disposition when the company has the purchase-invoices option.
A buyer no account serves is refused with **213 DEST_INC** (decision log). ``answer`` (task ``Answer``)
sends those statuses to the issuer: CDAR D22B messages validated (XSD + BR-FR-CDV) and posted to the
issuing platform's Flow API, or recorded on the issuer's own record when the issuer is one of ours.
Both tasks are idempotent on the reception id (record ids derive from it; statuses are appended once).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from einvoice.errors import DomainError, TransientError
from einvoice.invoicing.records import (
    DONE,
    ISSUING,
    RECEIVED,
    RECEIVED_DIRECTION,
    REJECTED,
    Attempt,
    InvoiceRecord,
    RecordUpdate,
    StatusEvent,
)
from einvoice.transmission.errors import TransmissionError
from einvoice.transmission.service import (
    TransmissionDeps,
    duplicate_rejection,
    rejection_from_report,
    status_event,
)

MADE_AVAILABLE = "203"
SOURCES = ("platform", "internal", "ocr")
FORMAT_OF_SYNTAX = {"Factur-X": "facturx", "CII": "cii", "UBL": "ubl"}


class IssuerNotReadyError(TransientError):
    """The issuer's own record has not recorded its 201 yet (internal delivery): retried by the machine."""


@dataclass
class ReceptionDeps(TransmissionDeps):
    """The transmission's collaborators plus the flow records and the reception workflow (the PPF queue is the transmission's Flux 6 outbox)."""

    flows: Any = None
    reception_workflow: Any = None

    def get_flows(self) -> Any:
        if self.flows is None:
            from einvoice.adapters.aws.clients import table
            from einvoice.flows.store import DynamoFlowStore

            self.flows = DynamoFlowStore(table(self.settings.data_table, self.settings))
        return self.flows

    def get_reception_workflow(self) -> Any:
        if self.reception_workflow is None:
            from einvoice.enrolment.adapters import StepFunctionsWorkflow

            self.reception_workflow = StepFunctionsWorkflow(self.settings.reception_state_machine_arn)
        return self.reception_workflow


_default: ReceptionDeps | None = None


def default_deps() -> ReceptionDeps:
    global _default
    if _default is None:
        _default = ReceptionDeps()
    return _default


def reset_default_deps() -> None:
    global _default
    _default = None


def received_invoice_id(reception_id: str, account_id: str) -> str:
    return hashlib.sha256(f"{reception_id}|{account_id}".encode()).hexdigest()[:24]


def start_reception(envelope: dict[str, Any], deps: ReceptionDeps | None = None) -> str:
    """Start the reception workflow of one invoice (the execution is named after the reception id)."""
    deps = deps or default_deps()
    source = envelope.get("source") or {}
    if not str(envelope.get("receptionId", "")).startswith("rx_") or source.get("kind") not in SOURCES:
        raise ValueError("a reception envelope needs a receptionId rx_... and a source kind")
    return deps.get_reception_workflow().start(name=envelope["receptionId"][:80],
                                               payload={"flowId": None, **envelope})


# ---- Receive -------------------------------------------------------------------------------------------
def _load_input(deps: ReceptionDeps, event: dict[str, Any]) -> bytes:
    from einvoice.transmission import archiving

    inp = event.get("input") or {}
    if inp.get("archiveKey"):  # a member of a sealed container (internal delivery), or an archived object (OCR)
        data = deps.get_archive().get(inp["archiveKey"], inp.get("versionId"))
        return archiving.member(data, inp["member"]) if inp.get("member") else data
    if inp.get("key"):
        return deps.get_staging().get(inp["key"])
    raise TransmissionError("BadPayload", "the reception input names no file")


def _buyer_siren(invoice: Any) -> str | None:
    from einvoice.identifiers import normalize_identifier
    from einvoice.transmission.addressing import parse_address

    siren = normalize_identifier(invoice.buyer.siren or "")[:9]
    if len(siren) == 9 and siren.isdigit():
        return siren
    address = invoice.buyer.electronic_address
    parsed = parse_address(f"{address.scheme}:{address.value}") if address else None
    return parsed.siren if parsed else None


def _targets(deps: ReceptionDeps, event: dict[str, Any], invoice: Any) -> list[tuple[str, Any]]:
    source = event["source"]
    if source["kind"] == "ocr":
        company = deps.companies.get(source["accountId"], source["companyId"])
        return [(source["accountId"], company)] if company else []
    siren = _buyer_siren(invoice)
    return deps.companies.companies_for(siren) if siren else []


def _party(p: Any) -> dict[str, Any]:
    from einvoice.identifiers import normalize_identifier

    address = p.electronic_address
    siren = normalize_identifier(p.siren or "")[:9]
    return {"siren": siren, "name": p.name or siren,
            "address": address.value if address and address.scheme == "0225" else (siren or None)}


def invoice_ref(invoice: Any) -> dict[str, Any]:
    """What a CDAR names of the invoice (MDT-87/91/100, the seller and the buyer). A BT-3 outside the
    French list (a reason to reject the invoice) cannot go into the CDAR (BR-FR-04 on MDT-91): 380 then."""
    from einvoice.invoicing.model import ALLOWED_TYPE_CODES

    type_code = invoice.type_code if invoice.type_code in ALLOWED_TYPE_CODES else "380"
    return {"number": invoice.number, "issueDate": invoice.issue_date.isoformat(), "typeCode": type_code,
            "seller": _party(invoice.seller), "buyer": _party(invoice.buyer)}


def _acknowledge(deps: ReceptionDeps, event: dict[str, Any], status: str, details: list[dict[str, Any]],
                 result: dict[str, Any], recipient: str | None = None) -> None:
    flow_id = event.get("flowId")
    if flow_id:
        deps.get_flows().acknowledge(flow_id, status=status, details=details, result=result, now=deps.now(),
                                     recipient=recipient)


def receive(event: dict[str, Any], deps: ReceptionDeps | None = None) -> dict[str, Any]:
    """Task ``Receive``: ``{outcome: received | rejected | unreadable, invoices, ref, answer}``."""
    from einvoice.invoicing.service import parse_document
    from einvoice.validation import validate

    deps = deps or default_deps()
    rid = str(event.get("receptionId") or "")
    if not rid.startswith("rx_") or (event.get("source") or {}).get("kind") not in SOURCES:
        raise TransmissionError("BadPayload", "the reception payload lacks its id or source")
    data = _load_input(deps, event)
    try:
        invoice = parse_document(data)
    except DomainError as exc:
        invoice, unreadable = None, exc.message
    except Exception as exc:  # noqa: BLE001 - any parse failure is the sender's document
        invoice, unreadable = None, f"unreadable invoice ({type(exc).__name__})"
    if invoice is None:
        _acknowledge(deps, event, "Error", [{"level": "Error", "item": "file", "reasonCode": "InvalidSchema",
                                             "reasonMessage": unreadable[:300]}], {"outcome": "unreadable"})
        return {"outcome": "unreadable", "invoices": []}
    report = validate(data, french_rules_severity=deps.settings.french_rules_severity)
    ref = invoice_ref(invoice)
    targets = _targets(deps, event, invoice)
    if not targets:
        status = {"code": REJECTED, "at": deps.now(), "reason": "DEST_INC",
                  "message": f"no company of this platform is the buyer {ref['buyer']['siren'] or '(no SIREN)'}"}
        _acknowledge(deps, event, "Ok", [{"level": "Warning", "item": "buyer", "reasonCode": "DEST_INC",
                                          "reasonMessage": status["message"]}], {"outcome": "rejected"})
        return {"outcome": "rejected", "invoices": [], "ref": ref, "receivedAt": deps.now(),
                "answer": {"statuses": [status]}}
    results = [_receive_for(deps, event, data, report, invoice, account_id, company)
               for account_id, company in targets]
    first = results[0]
    details = [] if first["outcome"] == "received" else [
        {"level": "Warning", "item": "invoice", "reasonCode": s.get("reason") or "REJ_SEMAN",
         "reasonMessage": s.get("message") or "rejected"} for s in first["statuses"]]
    _acknowledge(deps, event, "Ok", details, {"outcome": first["outcome"], "invoices": [
        {"accountId": r["accountId"], "invoiceId": r["invoiceId"]} for r in results]},
        recipient=f"account:{first['accountId']}")
    return {"outcome": first["outcome"], "ref": ref, "receivedAt": first["receivedAt"],
            "invoices": [{"accountId": r["accountId"], "invoiceId": r["invoiceId"]} for r in results],
            "answer": {"statuses": first["statuses"]}}


def _receive_for(deps: ReceptionDeps, event: dict[str, Any], data: bytes, report: Any, invoice: Any,
                 account_id: str, company: Any) -> dict[str, Any]:
    from einvoice.invoicing.service import new_record
    from einvoice.transmission import archiving
    from einvoice.transmission.tasks import archive_invoice, archived_sha

    rid, source = event["receptionId"], event["source"]
    invoice_id = received_invoice_id(rid, account_id)
    existing = deps.repository.get(account_id, invoice_id, with_invoice=False)
    if existing is not None:  # a retried task: the record was written by the first attempt
        return _outcome(existing)
    now = deps.now()
    platform = deps.settings.platform_id
    record = new_record(invoice_id=invoice_id, account_id=account_id, company_id=company.company_id,
                        invoice=invoice, profile="en16931", fingerprint=hashlib.sha256(data).hexdigest(),
                        source="OCR" if source["kind"] == "ocr" else "platform", direction=RECEIVED_DIRECTION,
                        now=now)
    record.state, record.transmission_id = DONE, rid
    record.counterpart = {k: v for k, v in {
        "platform": source.get("platformId") or (platform if source["kind"] == "internal" else None),
        "flowId": source.get("flowId"), "trackingId": source.get("trackingId"),
        "transmissionId": source.get("transmissionId"), "delivery": source["kind"]}.items() if v}
    if source["kind"] == "internal":  # the issuer is one of ours: the parties' statuses mirror both ways
        record.peer_record = {"accountId": source["accountId"], "invoiceId": source["invoiceId"]}
    if source["kind"] == "ocr":
        record.extra = {"reference": source.get("reference"), "documents": source.get("documents") or {}}
    rejection = None
    if not report.valid:
        rejection = rejection_from_report(report)
    elif company.duplicate_control:
        owner = deps.repository.claim_duplicate_key(account_id, company.company_id, record.duplicate_key, invoice_id)
        if owner != invoice_id:
            rejection = duplicate_rejection(owner)
    if rejection is not None:
        rules = ", ".join(r["rule"] for r in rejection["rules"][:20])
        events = [StatusEvent(REJECTED, now, platform, reason=rejection["reasons"][0],
                              message=f"{len(rejection['rules'])} rule(s) failed: {rules}"[:500])]
        record.rejection = rejection
    else:
        inp = event.get("input") or {}
        syntax = inp.get("syntax") or "Factur-X"
        ext = "pdf" if syntax == "Factur-X" else "xml"
        original = archiving.Member(f"original.{ext}", "original", inp.get("contentType") or
                                    ("application/pdf" if ext == "pdf" else "application/xml"), data)
        stored, archived = archive_invoice(deps, record, invoice, original, data, FORMAT_OF_SYNTAX.get(syntax, "cii"),
                                           with_flux1=False, detached=True)
        seal = archived["manifest"]["seal"]
        record.archive = {**stored, "seal": {"type": seal["type"], "document": seal["document"]}}
        record.document = {"name": seal["document"], "syntax": syntax,
                           "sha256": archived_sha(archived["manifest"], seal["document"]),
                           "contentType": original.content_type, "preferredFormat": company.preferred_format}
        events = [StatusEvent(RECEIVED, now, platform)]
        if company.purchase_invoices:
            events.append(StatusEvent(MADE_AVAILABLE, now, platform,
                                      message=f"made available to the buyer (preferred format "
                                              f"{company.preferred_format})"))
    record.status_history = events
    record.status_code, record.status_reason = events[-1].code, events[-1].reason
    stored_record, created = deps.repository.create(record)
    if created:
        deps.get_events().publish([status_event(stored_record, e) for e in events])
        if rejection is not None:
            _queue_rejection(deps, stored_record, invoice, events[0])
    return _outcome(stored_record)


def _outcome(record: InvoiceRecord) -> dict[str, Any]:
    statuses = [{"code": s.code, "at": s.at, "reason": s.reason, "message": s.message} for s in record.status_history
                if s.code in (RECEIVED, MADE_AVAILABLE, REJECTED)]
    return {"accountId": record.account_id, "invoiceId": record.id, "receivedAt": record.created_at,
            "outcome": "rejected" if record.has_status(REJECTED) else "received", "statuses": statuses}


def _queue_rejection(deps: ReceptionDeps, record: InvoiceRecord, invoice: Any, event: StatusEvent) -> None:
    """The reception's 213 is mandatory for the PPF (fr-reform §5.1): its PPF copy goes to the queue."""
    issue(deps, invoice_ref(invoice), {"code": event.code, "at": event.at, "reason": event.reason,
                                       "message": event.message}, history=[], received_at=record.created_at,
          account_id=record.account_id, invoice_id=record.id, ppf_queue=deps.get_flux6())


# ---- Answer ----------------------------------------------------------------------------------------------
def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def issue(deps: ReceptionDeps, ref: dict[str, Any], status: dict[str, Any], *, history: list[int],
          received_at: str, account_id: str, invoice_id: str, ppf_queue: Any = None) -> Any:
    """A status set by this platform as the buyer's platform -> its validated CDAR (``IssuedStatus``)."""
    from datetime import date

    from einvoice.lifecycle import builder
    from einvoice.lifecycle.service import issue_status
    from einvoice.lifecycle.statuses import Actor
    from einvoice.lifecycle.transitions import StatusRequest

    def company(p: dict[str, Any]) -> builder.Company:
        return builder.Company(siren=p["siren"], name=p["name"], address=p.get("address"))

    invoice = builder.InvoiceRef(number=ref["number"], issue_date=date.fromisoformat(ref["issueDate"]),
                                 seller=company(ref["seller"]), buyer=company(ref["buyer"]),
                                 type_code=ref.get("typeCode") or "380")
    request = StatusRequest(code=int(status["code"]), reason_code=status.get("reason"),
                            comment=(status.get("message") or None) if status.get("reason") else None)
    event = builder.StatusEvent(invoice=invoice, request=request, actor=Actor.BUYER_PLATFORM,
                                set_at=_when(status["at"]), received_at=_when(received_at))
    platform = builder.Platform(id=deps.settings.platform_id.split(":")[-1][-4:], name="einvoice")
    return issue_status(history, event, account_id=account_id, invoice_id=invoice_id, platform=platform,
                        ppf_queue=ppf_queue)


def answer(event: dict[str, Any], deps: ReceptionDeps | None = None) -> dict[str, Any]:
    """Task ``Answer``: the reception's statuses to the issuer. Raises ``PeerUnavailableError`` (retried)
    and ``IssuerNotReadyError`` (internal issuer still recording its 201)."""
    deps = deps or default_deps()
    received = event.get("received") or {}
    statuses = (received.get("answer") or {}).get("statuses") or []
    source = event.get("source") or {}
    if not statuses or source.get("kind") == "ocr":
        return {"answered": 0}
    if source.get("kind") == "internal":
        return _answer_internal(deps, source, statuses)
    return _answer_platform(deps, source, received, statuses)


def defer(event: dict[str, Any], deps: ReceptionDeps | None = None) -> dict[str, Any]:
    """Task ``Defer``: Answer's retries are spent and the issuing platform is still down. The statuses go
    to the lifecycle status queue (``lifecycle.actions.send_queued``), posted again on the redelivery
    schedule of transmissions (hours), each try a ``deliveryAttempts`` entry of the received record, so a
    platform down for hours still gets its 202/203 (or 213)."""
    from einvoice.invoicing.records import Attempt

    deps = deps or default_deps()
    received = event.get("received") or {}
    source = event.get("source") or {}
    target = (received.get("invoices") or [{}])[0]
    if source.get("kind") != "platform" or not target.get("accountId") or not target.get("invoiceId"):
        return {"queued": 0}  # nothing recorded to answer from (an unknown buyer: the flow's acknowledgement)
    record = deps.repository.get(target["accountId"], target["invoiceId"], with_invoice=False)
    if record is None:
        return {"queued": 0}
    codes = {str(s.get("code")) for s in (received.get("answer") or {}).get("statuses") or []}
    delays = deps.settings.redelivery_delays
    events = [e for e in record.status_history if e.code in codes]
    for e in events:  # Answer was the first attempt: the queue goes on with the schedule's second
        deps.get_status_queue().send({"accountId": record.account_id, "invoiceId": record.id, "eventId": e.key,
                                      "attempt": 2}, delay_seconds=delays[0] if delays else 0)
    _note(deps, target, Attempt(0, deps.now(), "answer_deferred", source.get("platformId") or "", None,
                                "platform still down: statuses " + ", ".join(e.code for e in events)
                                + " queued for redelivery"))
    return {"queued": len(events)}


def _answer_platform(deps: ReceptionDeps, source: dict[str, Any], received: dict[str, Any],
                     statuses: list[dict[str, Any]]) -> dict[str, Any]:
    from einvoice.transmission.errors import PeerUnavailableError

    platform_id = source.get("platformId") or ""
    platform = deps.registry.get(platform_id)
    target = (received.get("invoices") or [{}])[0]
    if platform is None:
        _note(deps, target, Attempt(0, deps.now(), "no_platform", platform_id, "PlatformNotRegistered",
                                    "the issuing platform is not in the registry: statuses not sent"))
        return {"answered": 0, "error": "PlatformNotRegistered"}
    sent, history = [], []
    for status in statuses:
        issued = issue(deps, received["ref"], status, history=history, received_at=received["receivedAt"],
                       account_id=target.get("accountId", ""), invoice_id=target.get("invoiceId", ""))
        history.append(int(status["code"]))
        flow_info = {"trackingId": (issued.message.id or "")[:64], "name": f"{status['code']}-{received['ref']['number']}.xml"[:255],
                     "processingRule": "B2B", "flowSyntax": "CDAR", "sha256": hashlib.sha256(issued.xml).hexdigest()}
        try:
            result = deps.get_flow_client().send(platform, flow_info=flow_info, data=issued.xml,
                                                 filename=flow_info["name"], content_type="application/xml")
        except PeerUnavailableError as exc:
            _note(deps, target, Attempt(len(sent) + 1, deps.now(), "unavailable", platform_id, exc.code, exc.message))
            raise
        sent.append({"code": status["code"], "outcome": result.outcome, "reason": result.reason_code})
    _note(deps, target, Attempt(1, deps.now(), "answered", platform_id, None,
                                "statuses sent: " + ", ".join(f"{s['code']} {s['outcome']}" for s in sent)))
    return {"answered": len(sent), "sent": sent}


def _note(deps: ReceptionDeps, target: dict[str, Any], attempt: Attempt) -> None:
    """Keep what became of the answer on the received record (``deliveryAttempts``), once per number."""
    if target.get("accountId") and target.get("invoiceId"):
        record = deps.repository.get(target["accountId"], target["invoiceId"], with_invoice=False)
        if record is not None:
            n = len(record.attempts) + 1
            deps.repository.apply(record.account_id, record.id, RecordUpdate(
                attempt=Attempt(n, attempt.at, attempt.outcome, attempt.platform, attempt.code, attempt.message),
                now=deps.now()))


def _answer_internal(deps: ReceptionDeps, source: dict[str, Any], statuses: list[dict[str, Any]]) -> dict[str, Any]:
    """The issuer is one of ours: the statuses go straight to its record, after its own 201."""
    from einvoice.invoicing.records import ISSUED

    record = deps.repository.get(source["accountId"], source["invoiceId"], with_invoice=False)
    if record is None:
        return {"answered": 0, "error": "IssuerRecordMissing"}
    if record.state == ISSUING and not record.has_status(ISSUED):
        raise IssuerNotReadyError("the issuer's record has not recorded 201 yet")
    applied = 0
    for status in statuses:
        event = StatusEvent(status["code"], status["at"], deps.settings.platform_id, reason=status.get("reason"),
                            message=status.get("message"))
        if deps.repository.apply(record.account_id, record.id, RecordUpdate(status=event, now=deps.now())):
            applied += 1
            deps.get_events().publish([status_event(record, event)])
    return {"answered": applied}


TASKS = {"receive": receive, "answer": answer, "defer": defer}


def run_task(event: dict[str, Any]) -> dict[str, Any]:
    """The ``reception_task`` Lambda: ``event["step"]`` names the task."""
    step = event.get("step") if isinstance(event, dict) else None
    if step not in TASKS:
        raise TransmissionError("BadPayload", f"unknown reception step {step!r}")
    return TASKS[step](event)
