from __future__ import annotations

import json

import pytest

from einvoice.enrolment import service, tasks
from einvoice.enrolment.errors import (
    DirectoryRejectedError,
    DirectoryTransientError,
    EnrolmentStateError,
    OtpExpiredError,
    OtpInvalidError,
    OtpLockedError,
    ResendLimitError,
)
from einvoice.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from einvoice.tenancy import Tenant
from tests.unit.enrolment.enrolment_testing import last_code


def _fields(err) -> dict[str, str]:
    return {d.field: d.rule for d in err.value.details}


# ---- start -------------------------------------------------------------------------------------
def test_start_validates_every_field_with_422(world):
    with pytest.raises(InvalidInputError) as err:
        service.start_enrolment(world.tenant, ["c1", "novat", "nopurchase", "done", "nope", "x1"],
                                {"firstName": "", "lastName": "D", "role": "R", "email": "not-an-email",
                                 "phone": "abc"}, False, deps=world.deps)
    assert err.value.http_status == 422
    assert _fields(err) == {
        "acceptTerms": "TERMS_NOT_ACCEPTED",
        "signatory.firstName": "REQUIRED",
        "signatory.email": "EMAIL_INVALID",
        "signatory.phone": "PHONE_INVALID",
        "companyIds[1]": "COMPANY_NOT_VAT_LIABLE",
        "companyIds[2]": "COMPANY_NO_PURCHASE_INVOICES",
        "companyIds[3]": "COMPANY_ALREADY_ENROLLED",
        "companyIds[4]": "COMPANY_NOT_FOUND",
        "companyIds[5]": "COMPANY_NOT_FOUND",  # another tenant's company is unknown here
    }
    assert all(d.message_fr for d in err.value.details)
    assert world.deps.workflow.started == []


@pytest.mark.parametrize("ids,rule", [([], "REQUIRED"), ("c1", "REQUIRED"), ([""], "TYPE")])
def test_start_requires_company_ids(world, ids, rule):
    with pytest.raises(InvalidInputError) as err:
        service.start_enrolment(world.tenant, ids, world.signatory, True, deps=world.deps)
    assert rule in _fields(err).values()


def test_start_needs_an_account_key(world):
    with pytest.raises(ForbiddenError):
        service.start_enrolment(Tenant("p1", None, "k", scope="partner"), ["c1"], world.signatory, True,
                                deps=world.deps)


def test_start_records_and_starts_a_named_execution(world):
    out = service.start_enrolment(world.tenant, ["c1", "c2", "c1"], world.signatory, True, request_id="req-9",
                                  deps=world.deps)
    assert set(out) == {"id", "state"} and out["state"] == "OTP_SENT"
    [started] = world.deps.workflow.started
    assert started == {"name": out["id"], "payload": {"accountId": "a1", "enrolmentId": out["id"]}}
    view = service.get_enrolment(world.tenant, out["id"], deps=world.deps)
    assert [c["companyId"] for c in view["companies"]] == ["c1", "c2"]  # duplicates dropped
    assert view["requestId"] == "req-9" and view["otp"]["sentAt"] is None
    # the companies are reserved: a second enrolment of c1 is refused
    with pytest.raises(InvalidInputError) as err:
        service.start_enrolment(world.tenant, ["c1"], world.signatory, True, deps=world.deps)
    assert _fields(err) == {"companyIds[0]": "COMPANY_ENROLMENT_IN_PROGRESS"}


def test_other_tenant_cannot_see_the_enrolment(started):
    with pytest.raises(NotFoundError):
        service.get_enrolment(started.other, started.id, deps=started.deps)
    with pytest.raises(NotFoundError):
        service.confirm_otp(started.other, started.id, started.code, deps=started.deps)


# ---- the code ------------------------------------------------------------------------------------
def test_only_the_hash_and_token_are_stored_and_nothing_leaks(started):
    record = started.deps.repository.items[("a1", started.id)]
    assert record.otp_hash and record.task_token == "token-1"
    assert started.code not in repr(record)
    view = service.get_enrolment(started.tenant, started.id, deps=started.deps)
    assert started.code not in json.dumps(view)
    assert "otpHash" not in json.dumps(view) and "token" not in json.dumps(view).lower()
    [mail] = started.deps.mailer.sent
    assert mail["to"] == "jeanne@example.fr" and started.code in mail["text"]
    assert view["otp"]["expiresAt"] == "2026-11-30T09:10:00.000Z"


def test_confirm_resumes_the_state_machine_once(started):
    view = service.confirm_otp(started.tenant, started.id, started.code, deps=started.deps)
    assert view["state"] == "REGISTERING" and view["otp"]["validatedAt"]
    [(token, output)] = started.deps.workflow.succeeded
    assert token == "token-1" and started.code not in json.dumps(output)
    # idempotent: the same code again does not resume anything twice
    again = service.confirm_otp(started.tenant, started.id, started.code, deps=started.deps)
    assert again["state"] == "REGISTERING"
    assert len(started.deps.workflow.succeeded) == 1
    # another code after confirmation is a conflict, not a wrong attempt
    other = f"{(int(started.code) + 1) % 10**6:06d}"
    with pytest.raises(EnrolmentStateError) as err:
        service.confirm_otp(started.tenant, started.id, other, deps=started.deps)
    assert err.value.http_status == 409


def test_five_wrong_codes_lock(started):
    wrong = f"{(int(started.code) + 7) % 10**6:06d}"
    for remaining in (4, 3, 2, 1):
        with pytest.raises(OtpInvalidError) as err:
            service.confirm_otp(started.tenant, started.id, wrong, deps=started.deps)
        assert err.value.remaining_attempts == remaining and err.value.http_status == 422
        assert err.value.details[0].to_dict()["remainingAttempts"] == remaining
    with pytest.raises(OtpLockedError):
        service.confirm_otp(started.tenant, started.id, wrong, deps=started.deps)
    assert started.deps.workflow.failed == [("token-1", "EnrolmentLocked", "Too many wrong one-time passwords")]
    # locked: even the right code, and resends, are refused
    with pytest.raises(OtpLockedError):
        service.confirm_otp(started.tenant, started.id, started.code, deps=started.deps)
    with pytest.raises(OtpLockedError):
        service.resend_otp(started.tenant, started.id, deps=started.deps)
    assert started.deps.workflow.succeeded == []
    assert service.get_enrolment(started.tenant, started.id, deps=started.deps)["state"] == "LOCKED"


def test_malformed_code_is_422_and_not_counted(started):
    with pytest.raises(InvalidInputError) as err:
        service.confirm_otp(started.tenant, started.id, "12 34", deps=started.deps)
    assert _fields(err) == {"code": "OTP_FORMAT"}
    assert service.get_enrolment(started.tenant, started.id, deps=started.deps)["otp"]["remainingAttempts"] == 5


def test_code_expires_after_ten_minutes(started):
    started.clock.advance(minutes=10)
    with pytest.raises(OtpExpiredError):
        service.confirm_otp(started.tenant, started.id, started.code, deps=started.deps)
    # a resend gives a fresh 10 minutes
    service.resend_otp(started.tenant, started.id, deps=started.deps)
    started.clock.advance(minutes=9, seconds=59)
    view = service.confirm_otp(started.tenant, started.id, last_code(started), deps=started.deps)
    assert view["state"] == "REGISTERING"


def test_resend_invalidates_previous_code_and_is_limited_to_three(started):
    codes = [started.code]
    for n in range(3):
        view = service.resend_otp(started.tenant, started.id, deps=started.deps)
        codes.append(last_code(started))
        assert view["otp"]["remainingResends"] == 2 - n
    with pytest.raises(ResendLimitError) as err:
        service.resend_otp(started.tenant, started.id, deps=started.deps)
    assert err.value.http_status == 409
    assert len(started.deps.mailer.sent) == 4
    for old in codes[:-1]:
        if old != codes[-1]:
            with pytest.raises(OtpInvalidError):
                service.confirm_otp(started.tenant, started.id, old, deps=started.deps)
    assert service.confirm_otp(started.tenant, started.id, codes[-1], deps=started.deps)["state"] == "REGISTERING"


def test_confirm_after_the_wait_timed_out_reports_expired(started):
    started.deps.workflow.gone.add("token-1")
    with pytest.raises(EnrolmentStateError) as err:
        service.confirm_otp(started.tenant, started.id, started.code, deps=started.deps)
    assert err.value.state == "EXPIRED"
    assert service.get_enrolment(started.tenant, started.id, deps=started.deps)["state"] == "EXPIRED"
    assert started.companies.enrolment[("a1", "c1")]["state"] == "EXPIRED"


def test_confirm_before_the_code_is_sent(world):
    out = service.start_enrolment(world.tenant, ["c1"], world.signatory, True, deps=world.deps)
    with pytest.raises(EnrolmentStateError) as err:
        service.confirm_otp(world.tenant, out["id"], "123456", deps=world.deps)
    assert err.value.details[0].rule == "OTP_NOT_SENT_YET"


# ---- tasks -------------------------------------------------------------------------------------
def _ev(w, **kw):
    return {"accountId": "a1", "enrolmentId": w.id, **kw}


def test_register_task_is_idempotent_and_translates_errors(started):
    service.confirm_otp(started.tenant, started.id, started.code, deps=started.deps)
    company = {"companyId": "c2", "siren": "552100554", "siret": "55210055400013"}
    directory = started.deps.directory
    directory.error = ConnectionError("reset")
    with pytest.raises(DirectoryTransientError):
        tasks.register_company(_ev(started, company=company), started.deps)
    directory.error = NotFoundError("SIREN closed")
    with pytest.raises(DirectoryRejectedError):
        tasks.register_company(_ev(started, company=company), started.deps)
    directory.error = None
    assert tasks.register_company(_ev(started, company=company), started.deps)["result"] == "REGISTERED"
    assert tasks.register_company(_ev(started, company=company), started.deps)["result"] == "REGISTERED"
    assert directory.calls.count(("552100554", "55210055400013", started.deps.settings.platform_id)) == 3


def test_register_task_refuses_an_unconfirmed_enrolment(started):
    from einvoice.enrolment.errors import EnrolmentTaskError

    with pytest.raises(EnrolmentTaskError):
        tasks.register_company(_ev(started, company={"companyId": "c1"}), started.deps)
    assert started.deps.directory.calls == []


def test_company_failure_keeps_the_cause(started):
    service.confirm_otp(started.tenant, started.id, started.code, deps=started.deps)
    out = tasks.record_company_failure(_ev(started, company={"companyId": "c1"}, error={
        "Error": "DirectoryRejectedError",
        "Cause": json.dumps({"errorType": "DirectoryRejectedError", "errorMessage": "SIREN closed"})}),
        started.deps)
    assert out == {"companyId": "c1", "result": "FAILED",
                   "error": {"code": "DirectoryRejectedError", "message": "SIREN closed"}}


def test_certificate_finalise_and_terminal_states(started):
    service.confirm_otp(started.tenant, started.id, started.code, deps=started.deps)
    from einvoice.enrolment.errors import NothingRegisteredError

    with pytest.raises(NothingRegisteredError):
        tasks.issue_certificate(_ev(started), started.deps)
    tasks.register_company(_ev(started, company={"companyId": "c1"}), started.deps)
    tasks.record_company_failure(_ev(started, company={"companyId": "c2"}, error={"Error": "X", "Cause": "y"}),
                                 started.deps)
    cert = tasks.issue_certificate(_ev(started), started.deps)
    assert tasks.issue_certificate(_ev(started), started.deps) == cert  # idempotent
    pdf = service.get_certificate(started.tenant, started.id, deps=started.deps)
    assert pdf.startswith(b"%PDF") and pdf.endswith(b"%sealed\n")
    assert tasks.finalise(_ev(started), started.deps) == {"state": "DONE", "registered": 1, "failed": 1,
                                                         "certificate": "ISSUED"}
    assert started.companies.enrolment[("a1", "c1")]["certificateHref"] == f"/v1/enrolments/{started.id}/certificate"
    assert started.companies.enrolment[("a1", "c2")]["state"] == "FAILED"
    # a late terminal mark never overwrites DONE
    assert tasks.mark_terminal(_ev(started, state="EXPIRED"), started.deps) == {"state": "DONE"}
    # the end is announced once on the bus (webhook enrolment.finished)
    (event,) = started.deps.events.events
    assert (event["type"], event["source"]) == ("EnrolmentFinished", "einvoice.enrolment")
    assert {k: event["detail"][k] for k in ("accountId", "enrolmentId", "state", "registered", "failed")} == {
        "accountId": "a1", "enrolmentId": started.id, "state": "DONE", "registered": 1, "failed": 1}
    view = service.get_enrolment(started.tenant, started.id, deps=started.deps)
    assert view["state"] == "DONE" and view["certificate"]["href"].endswith("/certificate")
    assert view["errors"][0]["code"] == "CompaniesNotRegistered"


def test_certificate_is_404_before_it_is_issued(started):
    with pytest.raises(NotFoundError) as err:
        service.get_certificate(started.tenant, started.id, deps=started.deps)
    assert err.value.details[0].rule == "CERTIFICATE_NOT_ISSUED"


def test_mark_terminal_releases_companies(started):
    tasks.mark_terminal(_ev(started, state="EXPIRED", error={"Error": "States.Timeout", "Cause": ""}), started.deps)
    view = service.get_enrolment(started.tenant, started.id, deps=started.deps)
    assert view["state"] == "EXPIRED" and view["errors"] == [{"code": "States.Timeout", "message": ""}]
    assert [e["detail"]["state"] for e in started.deps.events.events] == ["EXPIRED"]
    # the companies can be enrolled again
    assert service.start_enrolment(started.tenant, ["c1", "c2"], started.signatory, True, deps=started.deps)
    with pytest.raises(ConflictError):
        service.resend_otp(started.tenant, started.id, deps=started.deps)


def test_parallel_guesses_cannot_exceed_five_checks(started, monkeypatch):
    import threading

    from einvoice.enrolment import otp

    checks = []
    real = otp.verify_code
    monkeypatch.setattr(otp, "verify_code", lambda *a, **k: checks.append(1) or real(*a, **k))
    guesses = [f"{(int(started.code) + i) % 10**6:06d}" for i in range(1, 31)]
    outcomes = []

    def guess(code):
        try:
            service.confirm_otp(started.tenant, started.id, code, deps=started.deps)
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=guess, args=(g,)) for g in guesses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks) <= 5  # the attempt is taken before the code is checked
    assert outcomes.count("OtpInvalidError") == 4 and outcomes.count("OtpLockedError") == 26
    assert service.get_enrolment(started.tenant, started.id, deps=started.deps)["state"] == "LOCKED"
    assert len(started.deps.workflow.failed) == 1


def test_an_execution_that_ended_outside_the_catches_is_reported_failed(started):
    arn = "arn:x"  # set by record_request in the fixture
    started.deps.workflow.statuses[arn] = "ABORTED"
    # fresh: not checked yet
    assert service.get_enrolment(started.tenant, started.id, deps=started.deps)["state"] == "OTP_SENT"
    started.clock.advance(minutes=5)
    view = service.get_enrolment(started.tenant, started.id, deps=started.deps)
    assert view["state"] == "FAILED" and view["errors"][-1]["code"] == "ExecutionEnded"
    assert started.companies.enrolment[("a1", "c1")]["state"] == "FAILED"


def test_a_running_execution_is_left_alone(started):
    started.clock.advance(minutes=30)
    assert service.get_enrolment(started.tenant, started.id, deps=started.deps)["state"] == "OTP_SENT"
