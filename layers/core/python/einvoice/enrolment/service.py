"""Enrolment use cases called by the API (start, confirm the code, resend, read, certificate).

Every function takes the caller's ``Tenant`` first (all reads and writes are scoped by its
account) and an optional ``deps`` (``EnrolmentDeps``) so tests inject fakes; by default the
AWS adapters are built lazily from ``get_settings()``.

The one-time password is generated, hashed and mailed here (resend) or in the ``send_otp`` task;
it is never returned, logged or passed to Step Functions. Only its salted hash and the task
token are stored (DynamoDB).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from einvoice.enrolment import otp
from einvoice.enrolment.errors import (
    EnrolmentStateError,
    MailDeliveryError,
    OtpExpiredError,
    OtpInvalidError,
    OtpLockedError,
    ResendLimitError,
)
from einvoice.enrolment.model import (
    COMPANY_DONE,
    COMPANY_IN_PROGRESS,
    DONE,
    EXPIRED,
    FAILED,
    LOCKED,
    MAX_COMPANIES,
    OTP_SENT,
    REGISTERING,
    CompanyResult,
    Enrolment,
    Signatory,
    iso,
    parse_iso,
    utcnow,
)
from einvoice.errors import ErrorDetail, InvalidInputError, NotFoundError, UpstreamUnavailableError
from einvoice.tenancy import Tenant

# Error name sent to the state machine when the enrolment locks (ASL Catch matches it).
LOCKED_TASK_ERROR = "EnrolmentLocked"


@dataclass
class EnrolmentDeps:
    """The collaborators of the enrolment domain. Anything left ``None`` is built lazily."""

    repository: Any = None
    mailer: Any = None
    workflow: Any = None
    companies: Any = None
    directory: Any = None
    archive: Any = None
    sealer: Any = None
    settings: Any = None
    clock: Callable[[], datetime] = field(default=utcnow)
    events: Any = None  # the platform's bus (``EnrolmentFinished``, webhook ``enrolment.finished``)

    def __post_init__(self) -> None:
        if self.settings is None:
            from einvoice.settings import get_settings

            self.settings = get_settings()
        s = self.settings
        if self.repository is None or self.companies is None:
            from einvoice.adapters.aws.clients import table

            if self.repository is None:
                from einvoice.enrolment.repository import DynamoEnrolmentRepository

                self.repository = DynamoEnrolmentRepository(table(s.data_table, s))
            if self.companies is None:
                from einvoice.enrolment.adapters import DynamoCompanyAdapter

                self.companies = DynamoCompanyAdapter(table(s.data_table, s), platform_id=s.platform_id)
        if self.mailer is None:
            from einvoice.enrolment.adapters import SesMailer

            self.mailer = SesMailer(s.sender_email)
        if self.workflow is None:
            from einvoice.enrolment.adapters import StepFunctionsWorkflow

            self.workflow = StepFunctionsWorkflow(s.enrolment_state_machine_arn)
        if self.directory is None:
            from einvoice.enrolment.adapters import DirectoryPackageAdapter

            self.directory = DirectoryPackageAdapter(s)
        if self.archive is None:
            from einvoice.archive import S3ObjectLockArchive

            self.archive = S3ObjectLockArchive(s.archive_bucket)

    def get_events(self) -> Any:
        if self.events is None:
            from einvoice.transmission.adapters import EventBridgePublisher

            self.events = EventBridgePublisher(self.settings.event_bus_name)
        return self.events

    def announce_finished(self, account_id: str, enrolment_id: str, state: str, **detail: Any) -> None:
        """Publish ``EnrolmentFinished`` (best effort; consumers de-duplicate on ``eventId``)."""
        from einvoice.webhooks.fanout import announce

        announce(self.get_events(), "einvoice.enrolment", "EnrolmentFinished", {
            "eventId": f"{enrolment_id}:{state}", "accountId": account_id, "enrolmentId": enrolment_id,
            "state": state, **detail})

    def get_sealer(self) -> Any:
        if self.sealer is None:
            from einvoice import seal

            self.sealer = seal.default_sealer(self.settings)
        return self.sealer


_default: EnrolmentDeps | None = None


def default_deps() -> EnrolmentDeps:
    """The per-container composition root (cached)."""
    global _default
    if _default is None:
        _default = EnrolmentDeps()
    return _default


def reset_default_deps() -> None:
    global _default
    _default = None


# ---- validation ---------------------------------------------------------------------------
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_PHONE_RE = re.compile(r"^\+?[0-9 .()-]{6,24}$")


def _detail(message: str, field_: str, rule: str, message_fr: str, **extra: Any) -> ErrorDetail:
    return ErrorDetail(message, field=field_, rule=rule, message_fr=message_fr, extra=extra)


def _validate_signatory(signatory: Any) -> tuple[Signatory | None, list[ErrorDetail]]:
    errors: list[ErrorDetail] = []
    if not isinstance(signatory, dict):
        return None, [_detail("The signatory is required", "signatory", "REQUIRED", "Le signataire est obligatoire")]
    values: dict[str, str] = {}
    for key, label_fr in (("firstName", "Le prénom"), ("lastName", "Le nom"), ("role", "La fonction")):
        v = signatory.get(key)
        if not isinstance(v, str) or not v.strip():
            errors.append(_detail(f"{key} is required", f"signatory.{key}", "REQUIRED",
                                  f"{label_fr} du signataire est obligatoire"))
        elif len(v.strip()) > 100:
            errors.append(_detail(f"{key} is longer than 100 characters", f"signatory.{key}", "MAX_LENGTH",
                                  f"{label_fr} du signataire dépasse 100 caractères"))
        else:
            values[key] = " ".join(v.split())
    email = signatory.get("email")
    if not isinstance(email, str) or len(email) > 254 or not _EMAIL_RE.match(email.strip()):
        errors.append(_detail("A valid e-mail address is required", "signatory.email", "EMAIL_INVALID",
                              "Une adresse e-mail valide est obligatoire"))
    else:
        values["email"] = email.strip()
    phone = signatory.get("phone")
    if phone not in (None, ""):
        if not isinstance(phone, str) or not _PHONE_RE.match(phone.strip()) or \
                sum(ch.isdigit() for ch in phone) < 6:
            errors.append(_detail("The phone number is not valid", "signatory.phone", "PHONE_INVALID",
                                  "Le numéro de téléphone n'est pas valide"))
        else:
            values["phone"] = phone.strip()
    if errors:
        return None, errors
    return Signatory(values["firstName"], values["lastName"], values["role"], values["email"],
                     values.get("phone")), []


def _validate_ids(company_ids: Any) -> tuple[list[str], list[ErrorDetail]]:
    if not isinstance(company_ids, list) or not company_ids:
        return [], [_detail("At least one company is required", "companyIds", "REQUIRED",
                            "Au moins une entreprise est obligatoire")]
    if len(company_ids) > MAX_COMPANIES:
        return [], [_detail(f"At most {MAX_COMPANIES} companies per enrolment", "companyIds", "MAX_ITEMS",
                            f"Au plus {MAX_COMPANIES} entreprises par enrôlement")]
    errors = [
        _detail("A company id is a non-empty string", f"companyIds[{i}]", "TYPE", "Identifiant d'entreprise invalide")
        for i, cid in enumerate(company_ids) if not isinstance(cid, str) or not cid.strip()
    ]
    return list(dict.fromkeys(c.strip() for c in company_ids if isinstance(c, str) and c.strip())), errors


# ---- use cases --------------------------------------------------------------------------------
def start_enrolment(tenant: Tenant, company_ids: Any, signatory: Any, accept_terms: Any, *,
                    request_id: str | None = None, deps: EnrolmentDeps | None = None) -> dict[str, str]:
    """Validate, record the request, reserve the companies and start the state machine.

    Returns ``{"id", "state": "OTP_SENT"}`` (HTTP 202). Raises ``InvalidInputError`` (422) naming
    every faulty field (``acceptTerms``, ``signatory.*``, ``companyIds[i]``), ``ConflictError``
    when a company is taken by a concurrent enrolment, ``UpstreamUnavailableError`` when the
    state machine cannot be started.
    """
    deps = deps or default_deps()
    account_pk = tenant.account_pk  # ForbiddenError for a partner-level key
    account_id = account_pk.split("#", 1)[1]
    errors: list[ErrorDetail] = []
    if accept_terms is not True:
        errors.append(_detail("The terms must be accepted", "acceptTerms", "TERMS_NOT_ACCEPTED",
                              "Les conditions doivent être acceptées"))
    sig, sig_errors = _validate_signatory(signatory)
    errors += sig_errors
    ids, id_errors = _validate_ids(company_ids)
    errors += id_errors
    infos = deps.companies.get_companies(account_id, ids) if ids else {}
    for i, cid in enumerate(ids):
        info = infos.get(cid)
        field_ = f"companyIds[{company_ids.index(cid) if cid in company_ids else i}]"
        if info is None:
            errors.append(_detail(f"Unknown company {cid}", field_, "COMPANY_NOT_FOUND", f"Entreprise inconnue {cid}",
                                  companyId=cid))
        elif not info.vat_liable:
            errors.append(_detail("The company is not VAT-liable", field_, "COMPANY_NOT_VAT_LIABLE",
                                  "L'entreprise n'est pas assujettie à la TVA", companyId=cid))
        elif not info.purchase_invoices:
            errors.append(_detail("The company does not have the purchase invoices option", field_,
                                  "COMPANY_NO_PURCHASE_INVOICES",
                                  "L'entreprise n'a pas l'option factures d'achat", companyId=cid))
        elif info.enrolment_state == COMPANY_DONE:
            errors.append(_detail("The company is already enrolled", field_, "COMPANY_ALREADY_ENROLLED",
                                  "L'entreprise est déjà enrôlée", companyId=cid))
        elif info.enrolment_state == COMPANY_IN_PROGRESS:
            errors.append(_detail("The company is in an enrolment in progress", field_,
                                  "COMPANY_ENROLMENT_IN_PROGRESS",
                                  "L'entreprise fait partie d'un enrôlement en cours", companyId=cid))
    if errors:
        raise InvalidInputError("The enrolment request is not valid", errors)
    assert sig is not None

    enrolment_id = str(uuid.uuid4())
    now = iso(deps.clock())
    reserved: list[str] = []
    for i, cid in enumerate(ids):
        if not deps.companies.reserve(account_id, cid, enrolment_id):
            for done in reserved:
                deps.companies.set_enrolment_state(account_id, done, state=FAILED, enrolment_id=enrolment_id)
            from einvoice.errors import ConflictError

            raise ConflictError("A company was enrolled or selected by another request meanwhile", [
                _detail("The company is in another enrolment", f"companyIds[{i}]", "COMPANY_ENROLMENT_IN_PROGRESS",
                        "L'entreprise fait partie d'un autre enrôlement", companyId=cid)])
        reserved.append(cid)
    enrolment = Enrolment(
        id=enrolment_id,
        account_id=account_id,
        partner_id=tenant.partner_id,
        state=OTP_SENT,
        signatory=sig,
        created_at=now or "",
        request_id=request_id or enrolment_id,
        terms_accepted_at=now,
        companies=[CompanyResult(cid, infos[cid].name, infos[cid].siren, infos[cid].siret) for cid in ids],
    )
    deps.repository.create(enrolment)
    try:
        arn = deps.workflow.start(name=enrolment_id, payload={"accountId": account_id, "enrolmentId": enrolment_id})
    except Exception as exc:  # the state machine is unreachable: do not leave companies reserved
        _terminate(deps, enrolment, FAILED, {"code": "WorkflowUnavailable", "message": type(exc).__name__})
        raise UpstreamUnavailableError("The enrolment could not be started; try again later") from exc
    deps.repository.set_execution(account_id, enrolment_id, arn)
    return {"id": enrolment_id, "state": OTP_SENT}


def _load(deps: EnrolmentDeps, tenant: Tenant, enrolment_id: str) -> Enrolment:
    account_id = tenant.account_pk.split("#", 1)[1]
    e = deps.repository.get(account_id, enrolment_id) if isinstance(enrolment_id, str) and enrolment_id else None
    if e is None:
        raise NotFoundError("Unknown enrolment", [ErrorDetail("Unknown enrolment", field="id", rule="NOT_FOUND",
                                                              message_fr="Enrôlement inconnu")])
    return e


def _terminate(deps: EnrolmentDeps, e: Enrolment, state: str, error: dict[str, Any] | None) -> None:
    deps.repository.set_state(e.account_id, e.id, state, now=iso(deps.clock()) or "",
                              only_from=[OTP_SENT, REGISTERING], error=error)
    for c in e.companies:
        deps.companies.set_enrolment_state(e.account_id, c.company_id, state=state, enrolment_id=e.id)


def _state_error(state: str) -> EnrolmentStateError:
    if state == LOCKED:
        return OtpLockedError()
    if state == EXPIRED:
        return EnrolmentStateError(EXPIRED, "The enrolment expired; start a new one",
                                   "L'enrôlement a expiré ; recommencez-le", rule="ENROLMENT_EXPIRED")
    if state == FAILED:
        return EnrolmentStateError(FAILED, "The enrolment failed; start a new one",
                                   "L'enrôlement a échoué ; recommencez-le", rule="ENROLMENT_FAILED")
    return EnrolmentStateError(state, "The one-time password was already confirmed",
                               "Le code à usage unique a déjà été confirmé", rule="OTP_ALREADY_CONFIRMED")


def confirm_otp(tenant: Tenant, enrolment_id: str, code: Any, *, deps: EnrolmentDeps | None = None) -> dict:
    """Check the code; on success move to REGISTERING and resume the state machine.

    Idempotent: the same correct code sent again returns the current view and resumes nothing.
    Errors: 404 unknown; 422 ``OtpInvalid`` (with ``remainingAttempts``) or malformed code;
    409 ``OtpExpired`` (ask for a resend), ``EnrolmentLocked`` (5th wrong code, or later),
    ``EnrolmentState`` (EXPIRED / FAILED / confirmed with another code); 503 if Step Functions fails.
    """
    deps = deps or default_deps()
    e = _load(deps, tenant, enrolment_id)
    if not otp.is_well_formed(code):
        raise InvalidInputError("The one-time password is 6 digits", [
            _detail("The one-time password is 6 digits", "code", "OTP_FORMAT",
                    "Le code à usage unique comporte 6 chiffres")])
    for _ in range(3):  # re-evaluate after a lost conditional race
        if e.state in (REGISTERING, DONE):
            if e.otp_hash and otp.verify_code(code, e.otp_hash, context=e.id):
                return e.to_public()
            raise _state_error(e.state)
        if e.state != OTP_SENT:
            raise _state_error(e.state)
        if not e.otp_hash or not e.otp_expires_at:
            raise EnrolmentStateError(OTP_SENT, "The one-time password is being sent; try again in a moment",
                                      "Le code est en cours d'envoi ; réessayez dans un instant",
                                      rule="OTP_NOT_SENT_YET")
        now = deps.clock()
        if otp.is_expired(parse_iso(e.otp_expires_at), now):  # type: ignore[arg-type]
            raise OtpExpiredError()
        used = deps.repository.use_attempt(e.account_id, e.id, max_attempts=otp.MAX_WRONG_ATTEMPTS,
                                           now=iso(now) or "")
        if used is None:  # no check left, or the state moved meanwhile
            e = _load(deps, tenant, enrolment_id)
            if e.state == OTP_SENT and e.otp_attempts >= otp.MAX_WRONG_ATTEMPTS:
                _lock(deps, e, iso(now) or "")
                raise OtpLockedError()
            continue
        if otp.verify_code(code, e.otp_hash, context=e.id):
            if deps.repository.confirm(e.account_id, e.id, otp_hash=e.otp_hash, validated_at=iso(now)):
                _resume(deps, e, iso(now) or "")
                return _load(deps, tenant, enrolment_id).to_public()
            e = _load(deps, tenant, enrolment_id)  # a concurrent confirm/resend won; look again
            continue
        remaining = otp.MAX_WRONG_ATTEMPTS - used
        if remaining <= 0:
            _lock(deps, e, iso(now) or "")
            raise OtpLockedError()
        raise OtpInvalidError(remaining)
    raise _state_error(e.state)


def _lock(deps: EnrolmentDeps, e: Enrolment, now: str) -> None:
    """LOCKED after the 5th wrong code; the state machine is told (its Catch releases the companies)."""
    from einvoice.enrolment.ports import CallbackGoneError

    locked = deps.repository.set_state(e.account_id, e.id, LOCKED, now=now, only_from=[OTP_SENT], error={
        "code": "EnrolmentLocked", "message": "Too many wrong one-time passwords",
        "messageFr": "Trop de codes erronés"})
    if locked and e.task_token:
        try:
            deps.workflow.fail(e.task_token, error=LOCKED_TASK_ERROR, cause="Too many wrong one-time passwords")
        except CallbackGoneError:
            pass


def _resume(deps: EnrolmentDeps, e: Enrolment, validated_at: str) -> None:
    from einvoice.enrolment.ports import CallbackGoneError

    try:
        deps.workflow.succeed(e.task_token or "", {"confirmed": True, "otpValidatedAt": validated_at})
    except CallbackGoneError as exc:
        _terminate(deps, e, EXPIRED, {"code": "EnrolmentExpired", "message": "The wait for the code timed out"})
        raise _state_error(EXPIRED) from exc
    except Exception as exc:
        deps.repository.revert_confirmation(e.account_id, e.id)
        raise UpstreamUnavailableError("The confirmation could not be processed; try again") from exc


def resend_otp(tenant: Tenant, enrolment_id: str, *, deps: EnrolmentDeps | None = None) -> dict:
    """Mail a new code (the previous one stops working). At most 3 resends per enrolment.

    Errors: 404; 409 ``OtpResendLimit``, ``EnrolmentLocked`` / ``EnrolmentState``; 503 mail failure.
    """
    deps = deps or default_deps()
    e = _load(deps, tenant, enrolment_id)
    if e.state != OTP_SENT:
        raise _state_error(e.state)
    if not e.otp_hash:
        raise EnrolmentStateError(OTP_SENT, "The first one-time password is being sent; try again in a moment",
                                  "Le premier code est en cours d'envoi ; réessayez dans un instant",
                                  rule="OTP_NOT_SENT_YET")
    if e.otp_resends >= otp.MAX_RESENDS:
        raise ResendLimitError()
    try:
        issue_code(deps, e, resend=True)
    except MailDeliveryError as exc:
        raise UpstreamUnavailableError("The e-mail could not be sent; try again later") from exc
    return _load(deps, tenant, enrolment_id).to_public()


def issue_code(deps: EnrolmentDeps, e: Enrolment, *, resend: bool, task_token: str | None = None) -> None:
    """Generate a code, store only its hash (replacing the previous one), then mail it.

    Shared by ``resend_otp`` and the ``send_otp`` task. The code lives only in this frame.
    """
    code = otp.generate_code()
    sent = deps.clock()
    stored = deps.repository.store_otp(
        e.account_id, e.id,
        otp_hash=otp.hash_code(code, context=e.id),
        sent_at=iso(sent) or "",
        expires_at=iso(otp.expires_at(sent)) or "",
        task_token=task_token,
        resend=resend,
        max_resends=otp.MAX_RESENDS,
    )
    if not stored:
        fresh = deps.repository.get(e.account_id, e.id)
        if fresh is not None and fresh.state == OTP_SENT and resend and fresh.otp_resends >= otp.MAX_RESENDS:
            raise ResendLimitError()
        raise _state_error(fresh.state if fresh else FAILED)
    subject, text = _otp_mail(code, e)
    try:
        deps.mailer.send(to=e.signatory.email, subject=subject, text=text)
    except Exception as exc:  # botocore / SES: never include the message (it holds the code)
        raise MailDeliveryError(f"OTP e-mail not sent ({type(exc).__name__})") from None


def _otp_mail(code: str, e: Enrolment) -> tuple[str, str]:
    n = len(e.companies)
    subject = "Votre code de confirmation / Your confirmation code"
    companies_fr = "1 entreprise" if n == 1 else f"{n} entreprises"
    companies_en = "1 company" if n == 1 else f"{n} companies"
    text = (
        f"Bonjour {e.signatory.first_name} {e.signatory.last_name},\n\n"
        f"Votre code de confirmation est : {code}\n"
        f"Il confirme la désignation de notre plateforme agréée pour recevoir les factures de "
        f"{companies_fr} (demande {e.id}). Il est valable 10 minutes. Ne le communiquez à personne.\n\n"
        f"Hello,\n\nYour confirmation code is: {code}\n"
        f"It confirms the designation of our approved platform to receive the invoices of {companies_en} "
        f"(request {e.id}). It is valid for 10 minutes. Do not share it.\n"
    )
    return subject, text


# A non-terminal enrolment untouched for this long is checked against its execution.
STALE_AFTER = timedelta(minutes=5)


def get_enrolment(tenant: Tenant, enrolment_id: str, *, deps: EnrolmentDeps | None = None) -> dict:
    """The enrolment as the API shows it: state, per-company results, errors, OTP counters, certificate link.

    Safety net: if a non-terminal enrolment has not moved for ``STALE_AFTER`` and its execution has
    ended anyway (a failure outside every Catch, an execution-level timeout, a manual stop), it is
    reported -- and recorded -- as FAILED instead of staying in progress forever.
    """
    deps = deps or default_deps()
    e = _load(deps, tenant, enrolment_id)
    if e.state in (OTP_SENT, REGISTERING) and e.execution_arn:
        last = parse_iso(e.updated_at or e.created_at)
        if last is not None and deps.clock() - last >= STALE_AFTER:
            status = deps.workflow.status(e.execution_arn)
            if status in ("FAILED", "TIMED_OUT", "ABORTED"):
                _terminate(deps, e, FAILED, {"code": "ExecutionEnded", "message": f"The workflow ended: {status}",
                                             "messageFr": f"Le traitement s'est arrêté : {status}"})
                e = _load(deps, tenant, enrolment_id)
    return e.to_public()


def get_certificate(tenant: Tenant, enrolment_id: str, *, deps: EnrolmentDeps | None = None) -> bytes:
    """The sealed PDF from the archive. 404 while it is not issued (or for another tenant)."""
    deps = deps or default_deps()
    e = _load(deps, tenant, enrolment_id)
    if not e.certificate or not e.certificate.get("key"):
        raise NotFoundError("The certificate is not issued yet", [
            ErrorDetail("The certificate is not issued yet", field="id", rule="CERTIFICATE_NOT_ISSUED",
                        message_fr="Le certificat n'est pas encore émis", extra={"state": e.state})])
    return deps.archive.get(e.certificate["key"], e.certificate.get("versionId"))



def retry_certificate(tenant: Tenant, enrolment_id: str, *, deps: EnrolmentDeps | None = None) -> dict:
    """Issue again the certificate of a DONE enrolment whose issuance failed (certificate PENDING).

    Idempotent: an already issued certificate is returned as is. Errors: 404 unknown; 409
    ``EnrolmentState`` while the enrolment is not DONE (the workflow issues the certificate itself);
    503 when sealing or archiving fails again (the certificate stays PENDING; try later).
    """
    from einvoice.enrolment import tasks

    deps = deps or default_deps()
    e = _load(deps, tenant, enrolment_id)
    if e.state != DONE:
        raise EnrolmentStateError(e.state, "The certificate is issued when the enrolment is DONE",
                                  "Le certificat est émis quand l'enrôlement est terminé (DONE)",
                                  rule="ENROLMENT_NOT_DONE")
    if not (e.certificate and e.certificate.get("key")):
        try:
            tasks.make_certificate(deps, e)
        except Exception as exc:  # seal/KMS/archive failure: the certificate stays PENDING
            raise UpstreamUnavailableError("The certificate could not be issued; try again later") from exc
    return _load(deps, tenant, enrolment_id).to_public()
