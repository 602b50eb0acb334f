"""Tasks of ``statemachines/transmission.asl.json`` (Express) and of the redelivery queue consumer.

Each takes the task's JSON payload and returns a JSON-able dict; the handlers in
``functions/transmission_*/handler.py`` only call them. Every task is idempotent, keyed by the
transmission id: statuses and attempts are appended with conditional writes that apply once, the
archive container is written once (``If-None-Match``), the peer de-duplicates on ``trackingId``.

Errors raised for ASL ``Retry``: ``DirectoryUnavailableError``, ``PeerUnavailableError``,
``StorageUnavailableError`` (short messages, no payloads). Anything still failing after the retries
is caught by the machine and handed to ``defer``: a redelivery on the schedule of
``settings.redelivery_schedule`` (hours, through the SQS redelivery queue), then 221 ROUTAGE_ERR.
"""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from einvoice.invoicing.records import (
    DEPOSITED,
    INADMISSIBLE,
    ISSUED,
    ISSUING,
    NON_TRANSMISE,
    REJECTED,
    ROUTAGE_ERR,
    ROUTING_ERROR,
    SOURCE_FILE,
    Attempt,
    RecordUpdate,
    StatusEvent,
)
from einvoice.transmission.errors import (
    DirectoryUnavailableError,
    PeerUnavailableError,
    TransmissionError,
)
from einvoice.transmission.service import (
    TransmissionDeps,
    default_deps,
    duplicate_rejection,
    rejection_from_report,
    status_event,
)

SYNTAX_FORMAT = {"Factur-X": "facturx", "CII": "cii", "UBL": "ubl"}
FORMAT_SYNTAX = {v: k for k, v in SYNTAX_FORMAT.items()}
FLOW_PROFILES = {"en16931": "CIUS", "basicwl": "Basic", "basic": "Basic", "extended": "Extended-CTC-FR",
                 "extended-ctc-fr": "Extended-CTC-FR"}
PROCESSING_RULES = {"B2B": "B2B", "B2BINT": "B2BInt", "B2C": "B2C", "B2G": "B2G", "OUTOFSCOPE": "OutOfScope"}
EXPRESS_MAX_SECONDS = 300


def _ids(event: dict[str, Any]) -> tuple[str, str, str, int]:
    try:
        return str(event["accountId"]), str(event["invoiceId"]), str(event["transmissionId"]), int(event.get("seq", 1))
    except (KeyError, TypeError, ValueError) as exc:
        raise TransmissionError("BadPayload", f"task payload lacks {exc}") from None


def _load(deps: TransmissionDeps, account_id: str, invoice_id: str, transmission_id: str, *,
          with_invoice: bool = False) -> Any:
    record = deps.repository.get(account_id, invoice_id, with_invoice=with_invoice)
    if record is None or record.transmission_id != transmission_id:
        raise TransmissionError("UnknownTransmission", f"no transmission {transmission_id} for {invoice_id}")
    return record


def _publish_latest(deps: TransmissionDeps, account_id: str, invoice_id: str, code: str) -> None:
    """Publish the event of status ``code`` as stored (again, if a retried task published it already:
    consumers de-duplicate on ``eventId``)."""
    record = deps.repository.get(account_id, invoice_id, with_invoice=False)
    found = next((s for s in record.status_history if s.code == code), None) if record else None
    if found is not None:
        deps.get_events().publish([status_event(record, found)])


def _record_status(deps: TransmissionDeps, record: Any, event: StatusEvent, *, attempt: Attempt | None = None,
                   fields: dict[str, Any] | None = None) -> None:
    deps.repository.apply(record.account_id, record.id, RecordUpdate(
        status=event, attempt=attempt, fields=fields or {}, require_state=(ISSUING,), now=event.at))
    _publish_latest(deps, record.account_id, record.id, event.code)


def _flux6(deps: TransmissionDeps, record: Any, event: StatusEvent) -> dict[str, Any]:
    """The PPF copy (Flux 6) of the transmission's own mandatory status (200, 213), queued before it is recorded."""
    from einvoice.invoicing.model import Invoice
    from einvoice.lifecycle.actions import queue_ppf_copy

    return {**(record.flux6 or {}), event.code: queue_ppf_copy(deps, record, Invoice.model_validate(record.invoice),
                                                               event)}


def _reject(deps: TransmissionDeps, record: Any, rejection: dict[str, Any]) -> dict[str, Any]:
    event = StatusEvent(REJECTED, deps.now(), deps.settings.platform_id, reason=rejection["reasons"][0],
                        message=f"{len(rejection['rules'])} rule(s) failed")
    _record_status(deps, record, event, fields={"rejection": rejection, "flux6": _flux6(deps, record, event)})
    return {"outcome": "rejected", "reasons": rejection["reasons"]}


# ---- routing -------------------------------------------------------------------------------------------
def resolve_route(deps: TransmissionDeps, record: Any, invoice: Any) -> dict[str, Any] | None:
    """The buyer's receiving platform from the directory line in force on the invoice date.

    None when the invoice has no French address at all (BT-49, or BT-47 as the default address).
    Raises ``DirectoryUnavailableError`` when the directory or the registry cannot answer.
    """
    from einvoice.errors import UpstreamUnavailableError
    from einvoice.transmission.addressing import Address, parse_address, resolve_line

    address = parse_address(record.buyer_address)
    if address is None and record.buyer_siren and len(record.buyer_siren) == 9:
        address = Address(record.buyer_siren)
    if address is None:
        return None
    rule = PROCESSING_RULES.get(invoice.expected_processing or "B2B", "B2B")
    try:
        lines = deps.get_directory().lines_for(address.siren)
    except UpstreamUnavailableError:
        raise DirectoryUnavailableError("the directory is unavailable") from None
    found = resolve_line(lines, address, record.issue_date)
    base: dict[str, Any] = {"address": f"0225:{address.value}", "processingRule": rule}
    if found is None:
        return {**base, "delivery": "none", "syntax": "Factur-X"}
    line, mesh = found
    base.update({"mesh": mesh, "line": line.addressing_identifier, "platformId": line.platform_id,
                 "validFrom": line.valid_from, "validTo": line.valid_to})
    if line.platform_id == deps.settings.platform_id:
        return {**base, "delivery": "internal", "syntax": "Factur-X"}
    platform = deps.registry.get(line.platform_id)
    syntax = (platform.preferred_syntax if platform else None) or "Factur-X"
    return {**base, "delivery": "peer", "syntax": syntax, "registered": platform is not None}


# ---- Prepare: validate, duplicate control, generate, seal, archive, Flux 1, 200 ---------------------
def prepare(event: dict[str, Any], deps: TransmissionDeps | None = None) -> dict[str, Any]:
    """Input ``{accountId, invoiceId, transmissionId, seq}`` -> ``{outcome: deposited | not_transmitted |
    rejected | done}``. Records 200 Déposée (with NON_TRANSMISE when the buyer has no platform) or 213."""
    deps = deps or default_deps()
    account_id, invoice_id, tid, _seq = _ids(event)
    record = _load(deps, account_id, invoice_id, tid, with_invoice=True)
    if record.has_status(REJECTED):
        return {"outcome": "rejected"}
    if record.has_status(DEPOSITED):  # a retry or a redelivery: deposited already
        _publish_latest(deps, account_id, invoice_id, DEPOSITED)
        return {"outcome": "not_transmitted" if record.status_reason == NON_TRANSMISE else "deposited",
                "delivery": (record.route or {}).get("delivery")}
    if record.state != ISSUING:
        return {"outcome": "done", "status": record.status_code}
    from einvoice.invoicing.model import Invoice
    from einvoice.transmission import archiving

    source_format = None
    if record.source == SOURCE_FILE:
        from einvoice.invoicing.service import parse_document
        from einvoice.validation import validate

        original = deps.get_staging().get(record.input["key"])
        report = validate(original, french_rules_severity=deps.settings.french_rules_severity)
        if not report.valid:
            return _reject(deps, record, rejection_from_report(report))
        invoice = parse_document(original)
        source_format = record.input.get("syntax")
        ext = "pdf" if source_format == "facturx" else "xml"
        original_member = archiving.Member(f"original.{ext}", "original", record.input["contentType"], original)
    else:
        invoice = Invoice.model_validate(record.invoice)
        original_member = archiving.Member("original.json", "original", "application/json",
                                           json.dumps(record.invoice, sort_keys=True, indent=1).encode())
    route = resolve_route(deps, record, invoice)
    if route is None:
        return _reject(deps, record, {"reasons": ["DEST_INC"], "rules": [{
            "rule": "BT-49", "layer": "platform", "message": "the buyer has no electronic address and no SIREN"}]})
    target = SYNTAX_FORMAT[route["syntax"]]
    if source_format == target:
        document = original_member.data  # deposited in the buyer's syntax and validated above: sent as is
    else:
        from einvoice.invoicing.service import render_invoice
        from einvoice.validation import validate

        document = render_invoice(invoice, target, record.profile)
        report = validate(document, french_rules_severity=deps.settings.french_rules_severity)
        if not report.valid:  # fail closed, even on the platform's own output
            return _reject(deps, record, rejection_from_report(report))
    company = deps.companies.get(account_id, record.company_id)
    if company is not None and company.duplicate_control:
        owner = deps.repository.claim_duplicate_key(account_id, record.company_id, record.duplicate_key, record.id)
        if owner != record.id:
            return _reject(deps, record, duplicate_rejection(owner))
    stored, members = archive_invoice(deps, record, invoice, original_member, document, target)
    return _deposit(deps, record, invoice, route, stored, members)


def archive_invoice(deps: TransmissionDeps, record: Any, invoice: Any, original: Any, document: bytes,
                    target: str, *, with_flux1: bool = True,
                    detached: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Seal, build the container and write it once; returns (stored info, manifest + member names).
    The reception archives received invoices the same way, without the Flux 1 extract (``with_flux1``)
    and with a detached seal even for a PDF (``detached``: the received file is kept byte for byte)."""
    from einvoice.transmission import archiving, flux1, seals

    sealer = deps.get_sealer()
    members = [original]
    if target == "facturx" and not detached:
        doc_name = "invoice.pdf"
        members.append(archiving.Member(doc_name, "document", "application/pdf", seals.seal_pdf(sealer, document)))
        seal = {"type": seals.PADES, "document": doc_name, "readable": doc_name}
    else:  # XML, or a received PDF kept byte for byte: a detached CAdES seal beside it
        is_pdf = target == "facturx"
        doc_name = "invoice.pdf" if is_pdf else f"invoice-{target}.xml"
        members += [archiving.Member(doc_name, "document", "application/pdf" if is_pdf else "application/xml",
                                     document),
                    archiving.Member(doc_name + ".p7s", "seal", "application/pkcs7-signature",
                                     seals.sign_detached(sealer, document))]
        readable = doc_name
        if not is_pdf:
            from einvoice.invoicing.render import render_pdf

            readable = "readable.pdf"
            members.append(archiving.Member(readable, "readable", "application/pdf", render_pdf(invoice)))
        seal = {"type": seals.CADES_DETACHED, "document": doc_name, "signature": doc_name + ".p7s",
                "readable": readable}
    if with_flux1:
        members.append(archiving.Member("flux1.xml", "flux1", "application/xml", flux1.extract(invoice)))
    now = deps.clock()
    until = archiving.retain_until(now)
    container, _ = archiving.build_container(members, {
        "invoiceId": record.id, "transmissionId": record.transmission_id, "accountId": record.account_id,
        "companyId": record.company_id, "number": record.number, "issueDate": record.issue_date,
        "createdAt": deps.now(), "hotRetainUntil": until.isoformat(), "legalRetentionYears": 10, "seal": seal,
    })
    archive = deps.get_archive()
    key = archive.key(deps.now()[:10], record.account_id, record.transmission_id)
    stored = archive.put(key, container, until=until,
                         metadata={"invoice-id": record.id, "transmission-id": record.transmission_id})
    if stored is None:  # an earlier attempt of this task archived it: that container is the one
        container = archive.get(key)
        head = archive.head(key)
        stored = {"key": key, "versionId": head.get("versionId"), "sha256": archiving.sha256(container),
                  "size": len(container), "retainUntil": head.get("metadata", {}).get("retain-until")}
    manifest, files = archiving.read_container(container)
    stored.setdefault("retainUntil", manifest.get("hotRetainUntil"))
    return stored, {"manifest": manifest, "files": files}


def _deposit(deps: TransmissionDeps, record: Any, invoice: Any, route: dict[str, Any], stored: dict[str, Any],
             archived: dict[str, Any]) -> dict[str, Any]:
    from einvoice.transmission import flux1

    manifest, files = archived["manifest"], archived["files"]
    seal = manifest["seal"]
    doc_name = seal["document"]
    day = deps.now()[:10]
    checks = flux1.check(invoice, day=day)
    f1 = files["flux1.xml"]
    if checks:
        flux1_info: dict[str, Any] = {"status": "held", "profile": flux1.PROFILE, "checks": checks,
                                      "sha256": archived_sha(manifest, "flux1.xml")}
    else:
        ref = deps.get_ppf().submit_flux1(name=flux1.object_name(invoice, record.transmission_id, day), data=f1)
        flux1_info = {"status": "submitted", "profile": flux1.PROFILE, "checks": [], **ref}
    # the member list stays in the container's manifest: the record is rewritten on each status change
    archive_info = {**stored, "seal": {"type": seal["type"], "document": seal["document"]}}
    document_info = {"name": doc_name, "syntax": route["syntax"], "sha256": archived_sha(manifest, doc_name),
                     "contentType": "application/pdf" if doc_name.endswith(".pdf") else "application/xml"}
    reason = NON_TRANSMISE if route["delivery"] == "none" else None
    message = "the buyer has no receiving platform in the directory" if reason else None
    event = StatusEvent(DEPOSITED, deps.now(), deps.settings.platform_id, reason=reason, message=message)
    _record_status(deps, record, event, fields={"route": route, "archive": archive_info, "document": document_info,
                                               "flux1": flux1_info, "flux6": _flux6(deps, record, event)})
    return {"outcome": "not_transmitted" if reason else "deposited", "delivery": route["delivery"]}


def archived_sha(manifest: dict[str, Any], name: str) -> str | None:
    return next((o["sha256"] for o in manifest["objects"] if o["name"] == name), None)


# ---- Deliver: internal reception or the peer's Flow API ------------------------------------------------
def deliver(event: dict[str, Any], deps: TransmissionDeps | None = None) -> dict[str, Any]:
    """Input ``{accountId, invoiceId, transmissionId}`` -> ``{outcome}``; records the attempt, then
    201 Émise (delivered, or already delivered), 501 Irrecevable (refused by the peer) or 221.
    Raises ``PeerUnavailableError`` / ``DirectoryUnavailableError`` after recording the attempt."""
    deps = deps or default_deps()
    account_id, invoice_id, tid, _seq = _ids(event)
    record = _load(deps, account_id, invoice_id, tid)
    if record.state != ISSUING or not record.has_status(DEPOSITED):
        if record.status_code:
            _publish_latest(deps, account_id, invoice_id, record.status_code)
        return {"outcome": "done", "status": record.status_code}
    route = record.route or {}
    n = len(record.attempts) + 1
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    if route.get("delivery") == "internal":
        full = _load(deps, account_id, invoice_id, tid, with_invoice=True)
        got = deps.reception.receive(sender=full, document=record.document or {}, transmission_id=tid,
                                     from_platform=deps.settings.platform_id)
        if got is None:
            return _routing_failed(deps, record, Attempt(n, deps.now(), "no_platform", deps.settings.platform_id,
                                                         "BuyerNotServed", "no account of this platform serves the "
                                                         "buyer", elapsed()))
        now = deps.now()
        _record_status(deps, record, StatusEvent(ISSUED, now, deps.settings.platform_id,
                                                 message="delivered to this platform's reception"),
                       attempt=Attempt(n, now, "internal", deps.settings.platform_id, duration_ms=elapsed()),
                       fields={"counterpart": {"platform": deps.settings.platform_id, "delivery": "internal"},
                               "peer_record": {"accountId": got["accountId"], "invoiceId": got["invoiceId"]}})
        # the reception (its own workflow) records 202/203 or 213 on both records (reception.answer)
        return {"outcome": "delivered"}
    platform_id = route.get("platformId") or ""
    try:
        platform = deps.registry.get(platform_id)
        if platform is None:
            raise PeerUnavailableError("PlatformNotRegistered", f"{platform_id} is not in the platform registry")
        data = _document(deps, record)
        ext = "pdf" if record.document["name"].endswith(".pdf") else "xml"
        flow_info = {"trackingId": tid, "name": f"{record.number}.{ext}",
                     "processingRule": route.get("processingRule", "B2B"), "flowSyntax": route.get("syntax"),
                     "flowProfile": FLOW_PROFILES.get(record.profile, "Undefined"),
                     "sha256": record.document["sha256"]}
        result = deps.get_flow_client().send(platform, flow_info=flow_info, data=data,
                                             filename=flow_info["name"], content_type=record.document["contentType"])
    except (PeerUnavailableError, DirectoryUnavailableError) as exc:
        code = getattr(exc, "code", type(exc).__name__)
        message = getattr(exc, "message", str(exc))
        deps.repository.apply(account_id, invoice_id, RecordUpdate(
            attempt=Attempt(n, deps.now(), "unavailable", platform_id, code, message, elapsed()),
            require_state=(ISSUING,), now=deps.now()))
        raise
    now = deps.now()
    if result.outcome in ("delivered", "duplicate"):
        _record_status(deps, record, StatusEvent(ISSUED, now, deps.settings.platform_id,
                                                 message=f"acknowledged by {platform_id}"),
                       attempt=Attempt(n, now, result.outcome, platform_id, result.reason_code,
                                       duration_ms=elapsed()),
                       fields={"counterpart": {"platform": platform_id, "flowId": result.flow_id}})
        return {"outcome": result.outcome}
    from einvoice.transmission.flow_api import IRR_REASONS

    reason = IRR_REASONS.get(result.reason_code or "", "IRR_SYNTAX")
    _record_status(deps, record, StatusEvent(INADMISSIBLE, now, platform_id, reason=reason,
                                             message=f"{result.reason_code}: {result.message or ''}".strip(": ")),
                   attempt=Attempt(n, now, "refused", platform_id, result.reason_code, result.message, elapsed()))
    return {"outcome": "refused", "reason": reason}


def _document(deps: TransmissionDeps, record: Any) -> bytes:
    from einvoice.transmission import archiving

    container = deps.get_archive().get(record.archive["key"], record.archive.get("versionId"))
    return archiving.member(container, record.document["name"])


def _routing_failed(deps: TransmissionDeps, record: Any, attempt: Attempt) -> dict[str, Any]:
    event = StatusEvent(ROUTING_ERROR, attempt.at, deps.settings.platform_id, reason=ROUTAGE_ERR,
                        message=f"{attempt.code}: {attempt.message}"[:300])
    _record_status(deps, record, event, attempt=attempt)
    return {"outcome": "routing_error"}


# ---- Defer: the Catch of every state: redeliver later, or give up with 221 ------------------------------
def short_error(error: Any) -> tuple[str, str]:
    """``{Error, Cause}`` of an ASL Catch -> (code, one-line message): never a stack trace."""
    if not isinstance(error, dict):
        return "Unknown", ""
    code = str(error.get("Error") or "Unknown")[:80]
    cause = error.get("Cause") or ""
    message = cause
    try:
        parsed = json.loads(cause)
        if isinstance(parsed, dict):
            message = parsed.get("errorMessage") or ""
    except (TypeError, ValueError):
        pass
    return code, str(message).strip().splitlines()[0][:300] if str(message).strip() else ""


def _plus(now: datetime, seconds: float) -> str:
    return (now + timedelta(seconds=seconds)).astimezone(timezone.utc).isoformat(timespec="seconds").replace(
        "+00:00", "Z")


def defer(event: dict[str, Any], deps: TransmissionDeps | None = None) -> dict[str, Any]:
    """Input ``{accountId, invoiceId, transmissionId, seq, error}`` -> ``{deferred, nextAttemptAt | status}``."""
    deps = deps or default_deps()
    account_id, invoice_id, tid, seq = _ids(event)
    record = _load(deps, account_id, invoice_id, tid)
    if record.state != ISSUING:
        return {"deferred": False, "status": record.status_code}
    code, message = short_error(event.get("error"))
    delays = deps.settings.redelivery_delays
    done = sum(1 for a in record.attempts if a.outcome == "deferred")
    n = len(record.attempts) + 1
    platform_id = (record.route or {}).get("platformId")
    if done >= len(delays):
        _routing_failed(deps, record, Attempt(n, deps.now(), "failed", platform_id, code,
                                              f"gave up after {done} redeliveries: {message}"[:300]))
        return {"deferred": False, "status": ROUTING_ERROR}
    delay = delays[done] * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not security
    due = _plus(deps.clock(), delay)
    deps.repository.apply(account_id, invoice_id, RecordUpdate(
        attempt=Attempt(n, deps.now(), "deferred", platform_id, code, f"{message} (next attempt at {due})"[:300]),
        fields={"next_attempt_at": due}, require_state=(ISSUING,), now=deps.now()))
    deps.get_queue().send({"accountId": account_id, "invoiceId": invoice_id, "transmissionId": tid, "seq": seq,
                           "kind": "redeliver"}, delay_seconds=int(delay))
    return {"deferred": True, "nextAttemptAt": due}


# ---- Redelivery queue consumer (SQS): due redeliveries and watchdogs start a new execution -------------
def _seconds_between(earlier: str, later: datetime) -> float:
    return (later - datetime.fromisoformat(earlier.replace("Z", "+00:00"))).total_seconds()


def redeliver_one(message: dict[str, Any], deps: TransmissionDeps) -> str:
    account_id, invoice_id, tid, seq = _ids(message)
    record = deps.repository.get(account_id, invoice_id, with_invoice=False)
    if record is None or record.transmission_id != tid or record.state != ISSUING:
        return "finished"
    if record.execution_seq != seq:
        return "superseded"
    now = deps.clock()
    if record.next_attempt_at:
        wait = -_seconds_between(record.next_attempt_at, now)
        if wait > 0:  # SQS delays are at most 15 minutes: hop until the attempt is due
            deps.get_queue().send(message, delay_seconds=int(wait) + 1)
            return "waiting"
    elif message.get("kind") == "watchdog" and record.updated_at:
        quiet = _seconds_between(record.updated_at, now)
        guard = min(EXPRESS_MAX_SECONDS, deps.settings.watchdog_seconds)
        if quiet < guard:  # the execution may still be running: look again later
            deps.get_queue().send(message, delay_seconds=int(guard - quiet) + 1)
            return "running"
    if not deps.repository.claim_execution(account_id, invoice_id, expected_seq=seq, now=deps.now()):
        return "superseded"
    payload = {"accountId": account_id, "invoiceId": invoice_id, "transmissionId": tid, "seq": seq + 1}
    deps.get_queue().send({**payload, "kind": "watchdog"}, delay_seconds=deps.settings.watchdog_seconds)
    deps.get_workflow().start(name=f"{tid}-{seq + 1}", payload=payload)
    return "restarted"


def redeliver(event: dict[str, Any], deps: TransmissionDeps | None = None) -> dict[str, Any]:
    """SQS batch -> ``{batchItemFailures}`` (a failed message comes back after its visibility timeout)."""
    deps = deps or default_deps()
    failures = []
    for item in event.get("Records", []):
        try:
            redeliver_one(json.loads(item["body"]), deps)
        except Exception:  # noqa: BLE001 - reported per message; the queue retries, then its DLQ keeps it
            from einvoice.observability import logger

            logger().warning("redelivery failed", extra={"messageId": item.get("messageId")})
            failures.append({"itemIdentifier": item.get("messageId")})
    return {"batchItemFailures": failures}


TASKS = {
    "PrepareFunctionArn": prepare,
    "DeliverFunctionArn": deliver,
    "DeferFunctionArn": defer,
}
"""ASL substitution name -> task function."""
