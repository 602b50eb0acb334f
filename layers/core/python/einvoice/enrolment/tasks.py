"""State machine task functions (``statemachines/enrolment.asl.json``).

Each takes the task's JSON payload (a dict) and returns a JSON-able dict; the Lambda handlers in
``functions/enrolment_*/handler.py`` only call them. Errors propagate with their class name as
the Step Functions error name (ASL ``Retry``/``Catch``):

* ``DirectoryTransientError`` / ``MailDeliveryError`` / ``TransientError``: retried;
* ``DirectoryRejectedError``: caught per company (the others go on);
* ``NothingRegisteredError`` / ``EnrolmentTaskError``: caught -> FAILED.

No payload or output here ever carries the one-time password.
"""

from __future__ import annotations

from typing import Any

from einvoice.enrolment.errors import (
    DirectoryRejectedError,
    DirectoryTransientError,
    EnrolmentTaskError,
    NothingRegisteredError,
)
from einvoice.enrolment.model import (
    CERTIFICATE_PENDING,
    CO_FAILED,
    CO_REGISTERED,
    COMPANY_DONE,
    DONE,
    FAILED,
    OTP_SENT,
    REGISTERING,
    TERMINAL,
    certificate_href,
    iso,
)
from einvoice.enrolment.service import EnrolmentDeps, default_deps, issue_code

CERTIFICATE_KIND = "enrolment-certificate"


def _ids(event: dict[str, Any]) -> tuple[str, str]:
    try:
        return str(event["accountId"]), str(event["enrolmentId"])
    except (KeyError, TypeError) as exc:
        raise EnrolmentTaskError(f"task payload lacks {exc}") from None


def _enrolment(deps: EnrolmentDeps, account_id: str, enrolment_id: str):
    e = deps.repository.get(account_id, enrolment_id)
    if e is None:
        raise EnrolmentTaskError(f"unknown enrolment {enrolment_id}")
    return e


def record_request(event: dict[str, Any], deps: EnrolmentDeps | None = None) -> dict[str, Any]:
    """First state: tie the execution to the recorded request; return the companies to register.

    Input ``{accountId, enrolmentId, executionArn}`` -> ``{companies: [{companyId, siren, siret}]}``.
    """
    deps = deps or default_deps()
    account_id, enrolment_id = _ids(event)
    e = _enrolment(deps, account_id, enrolment_id)
    if e.state != OTP_SENT:
        raise EnrolmentTaskError(f"enrolment {enrolment_id} is {e.state}, expected {OTP_SENT}")
    if event.get("executionArn"):
        deps.repository.set_execution(account_id, enrolment_id, str(event["executionArn"]))
    return {"companies": [{"companyId": c.company_id, "siren": c.siren, "siret": c.siret} for c in e.companies]}


def send_otp(event: dict[str, Any], deps: EnrolmentDeps | None = None) -> dict[str, Any]:
    """``.waitForTaskToken`` state: generate + mail the code, store its hash and the task token.

    Input ``{accountId, enrolmentId, taskToken}``. Raises ``MailDeliveryError`` (retried).
    The state machine then waits for ``SendTaskSuccess`` from ``confirm_otp``.
    """
    deps = deps or default_deps()
    account_id, enrolment_id = _ids(event)
    token = event.get("taskToken")
    if not token:
        raise EnrolmentTaskError("send_otp needs the task token")
    e = _enrolment(deps, account_id, enrolment_id)
    if e.state != OTP_SENT:
        raise EnrolmentTaskError(f"enrolment {enrolment_id} is {e.state}, expected {OTP_SENT}")
    issue_code(deps, e, resend=False, task_token=str(token))
    return {"sent": True}


def _translate_directory_error(exc: Exception) -> Exception:
    from einvoice.errors import DomainError, TransientError, UpstreamUnavailableError

    if isinstance(exc, (DirectoryTransientError, DirectoryRejectedError)):
        return exc
    if isinstance(exc, (TransientError, UpstreamUnavailableError, TimeoutError, ConnectionError)):
        return DirectoryTransientError(f"directory unavailable: {type(exc).__name__}: {exc}")
    if isinstance(exc, DomainError):
        return DirectoryRejectedError(f"directory refused the line: {exc.message}")
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, (BotoCoreError, ClientError)):
            return DirectoryTransientError(f"directory unavailable: {type(exc).__name__}")
    except ImportError:  # pragma: no cover
        pass
    return exc


def register_company(event: dict[str, Any], deps: EnrolmentDeps | None = None) -> dict[str, Any]:
    """One Map iteration: add our platform's directory line for one company (idempotent).

    Input ``{accountId, enrolmentId, company: {companyId, siren, siret}}`` ->
    ``{companyId, result: "REGISTERED"}``. Raises ``DirectoryTransientError`` (retried by ASL) or
    ``DirectoryRejectedError`` (caught by ASL -> ``record_company_failure``).
    """
    deps = deps or default_deps()
    account_id, enrolment_id = _ids(event)
    company = event.get("company") or {}
    company_id = str(company.get("companyId", ""))
    state = deps.repository.get_state(account_id, enrolment_id)
    if state != REGISTERING:
        raise EnrolmentTaskError(f"enrolment {enrolment_id} is {state}, expected {REGISTERING}")
    current = deps.repository.get_company(account_id, enrolment_id, company_id)
    if current is None:
        raise EnrolmentTaskError(f"company {company_id} is not part of enrolment {enrolment_id}")
    if current.result == CO_REGISTERED:
        return {"companyId": company_id, "result": CO_REGISTERED}
    try:
        deps.directory.register_line(current.siren, current.siret, deps.settings.platform_id)
    except Exception as exc:  # noqa: BLE001 - translated to the two names ASL knows
        translated = _translate_directory_error(exc)
        if translated is exc:
            raise
        raise translated from exc
    deps.repository.set_company_result(account_id, enrolment_id, company_id, result=CO_REGISTERED,
                                       at=iso(deps.clock()) or "")
    return {"companyId": company_id, "result": CO_REGISTERED}


def _error_from_catch(error: Any) -> dict[str, Any]:
    """``{Error, Cause}`` from an ASL Catch -> ``{code, message}`` (never a trace)."""
    from einvoice.observability import error_from_catch

    return error_from_catch(error)


def record_company_failure(event: dict[str, Any], deps: EnrolmentDeps | None = None) -> dict[str, Any]:
    """Map iteration Catch: keep the failure on the company and let the others go on.

    Input ``{accountId, enrolmentId, company: {companyId...}, error: {Error, Cause}}`` ->
    ``{companyId, result: "FAILED", error}``.
    """
    deps = deps or default_deps()
    account_id, enrolment_id = _ids(event)
    company_id = str((event.get("company") or {}).get("companyId", ""))
    error = _error_from_catch(event.get("error"))
    deps.repository.set_company_result(account_id, enrolment_id, company_id, result=CO_FAILED,
                                       at=iso(deps.clock()) or "", error=error)
    return {"companyId": company_id, "result": CO_FAILED, "error": error}


def issue_certificate(event: dict[str, Any], deps: EnrolmentDeps | None = None) -> dict[str, Any]:
    """Render the "Accord formel" PDF, seal it (PAdES) and archive it (Object Lock); idempotent.

    Input ``{accountId, enrolmentId}`` -> ``{key, sha256}``. Raises ``NothingRegisteredError``
    when no company got its line. Any other failure is retried by the state machine; if it persists,
    ``finalise`` records the enrolment DONE with its certificate PENDING (the lines are written).
    """
    deps = deps or default_deps()
    account_id, enrolment_id = _ids(event)
    e = _enrolment(deps, account_id, enrolment_id)
    if e.certificate and e.certificate.get("key"):
        return {"key": e.certificate["key"], "sha256": e.certificate.get("sha256")}
    if e.state != REGISTERING:
        raise EnrolmentTaskError(f"enrolment {enrolment_id} is {e.state}, expected {REGISTERING}")
    info = make_certificate(deps, e)
    return {"key": info["key"], "sha256": info["sha256"]}


def make_certificate(deps: EnrolmentDeps, e: Any) -> dict[str, Any]:
    """Render, seal and archive the certificate of enrolment ``e``; records and returns its info.

    Shared by the state machine task and the retry route (``service.retry_certificate``).
    """
    from einvoice.enrolment import certificate

    registered = [c for c in e.companies if c.result == CO_REGISTERED]
    if not registered:
        raise NothingRegisteredError(f"no company of enrolment {e.id} could be registered")
    issued_at = deps.clock()
    pdf = certificate.render(certificate.CertificateData.from_enrolment(
        e, registered, issued_at=issued_at, platform_id=deps.settings.platform_id))
    sealed = deps.get_sealer().seal(pdf, reason="Accord formel de désignation de la plateforme agréée",
                                    location="FR")
    archived = deps.archive.put(sealed, kind=CERTIFICATE_KIND, content_type="application/pdf",
                                metadata={"enrolment-id": e.id, "account-id": e.account_id})
    info = {**archived.to_dict(), "issuedAt": iso(issued_at)}
    deps.repository.set_certificate(e.account_id, e.id, info)
    return info


def finalise(event: dict[str, Any], deps: EnrolmentDeps | None = None) -> dict[str, Any]:
    """Companies registered -> enrolment state DONE with the certificate link; failed ones released.

    Input ``{accountId, enrolmentId, certificateError?: {Error, Cause} | null}`` ->
    ``{state: "DONE", registered, failed, certificate: "ISSUED" | "PENDING"}``. With
    ``certificateError`` (issuance failed after its retries) the enrolment is still DONE -- every
    registered company's directory line names this platform -- and its certificate is PENDING,
    to be issued again through ``POST /v1/enrolments/{id}/certificate``.
    """
    deps = deps or default_deps()
    account_id, enrolment_id = _ids(event)
    e = _enrolment(deps, account_id, enrolment_id)
    href = certificate_href(enrolment_id)
    registered = failed = 0
    for c in e.companies:
        if c.result == CO_REGISTERED:
            registered += 1
            deps.companies.set_enrolment_state(account_id, c.company_id, state=COMPANY_DONE,
                                               enrolment_id=enrolment_id, certificate_href=href)
        else:
            failed += 1
            deps.companies.set_enrolment_state(account_id, c.company_id, state=FAILED, enrolment_id=enrolment_id)
    now = iso(deps.clock()) or ""
    issued = bool(e.certificate and e.certificate.get("key"))
    if not issued:
        problem = _error_from_catch(event.get("certificateError")) if event.get("certificateError") else {
            "code": "CertificateMissing", "message": "no certificate was recorded"}
        # the certificate object says it is pending, why, and how to issue it again (model.to_public)
        deps.repository.set_certificate(account_id, enrolment_id, {"state": CERTIFICATE_PENDING, "error": problem})
    error = None
    if failed:
        error = {"code": "CompaniesNotRegistered",
                 "message": f"{failed} of {len(e.companies)} companies could not be registered in the directory",
                 "messageFr": f"{failed} entreprise(s) sur {len(e.companies)} n'ont pas pu être inscrites "
                              "dans l'annuaire"}
    deps.repository.set_state(account_id, enrolment_id, DONE, now=now, only_from=[REGISTERING, DONE], error=error)
    result = {"state": DONE, "registered": registered, "failed": failed,
              "certificate": "ISSUED" if issued else CERTIFICATE_PENDING}
    deps.announce_finished(account_id, enrolment_id, DONE, registered=registered, failed=failed,
                           certificate=result["certificate"])
    return result


def mark_terminal(event: dict[str, Any], deps: EnrolmentDeps | None = None) -> dict[str, Any]:
    """Catch targets: record LOCKED / EXPIRED / FAILED with the error and release the companies.

    Input ``{accountId, enrolmentId, state, error?: {Error, Cause}}`` -> ``{state}``.
    Never overwrites DONE.
    """
    deps = deps or default_deps()
    account_id, enrolment_id = _ids(event)
    state = str(event.get("state", FAILED))
    if state not in TERMINAL or state == DONE:
        raise EnrolmentTaskError(f"mark_terminal cannot set {state}")
    e = _enrolment(deps, account_id, enrolment_id)
    error = _error_from_catch(event.get("error")) if event.get("error") else None
    if e.state == DONE:
        return {"state": DONE}
    if e.state != state:
        deps.repository.set_state(account_id, enrolment_id, state, now=iso(deps.clock()) or "",
                                  only_from=[OTP_SENT, REGISTERING, "LOCKED", "EXPIRED", "FAILED"], error=error)
    for c in e.companies:
        deps.companies.set_enrolment_state(account_id, c.company_id, state=state, enrolment_id=enrolment_id)
    deps.announce_finished(account_id, enrolment_id, state, error=error)
    return {"state": state}


TASKS = {
    "RecordFunctionArn": record_request,
    "SendOtpFunctionArn": send_otp,
    "RegisterCompanyFunctionArn": register_company,
    "CompanyFailedFunctionArn": record_company_failure,
    "CertificateFunctionArn": issue_certificate,
    "FinaliseFunctionArn": finalise,
    "MarkTerminalFunctionArn": mark_terminal,
}
"""ASL substitution name -> task function (the handlers and the local dispatcher use this map)."""
