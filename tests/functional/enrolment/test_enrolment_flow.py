"""The real statemachines/enrolment.asl.json executed by moto, with the task functions in-process."""

from __future__ import annotations

import json

import pytest

from einvoice import seal
from einvoice.errors import NotFoundError, UpstreamUnavailableError
from local.seal import trust_root


def test_happy_path_single_company(make_platform):
    # Given one eligible company
    p = make_platform()
    [cid] = p.seed_companies(1)
    # When the enrolment starts, the code is mailed and confirmed
    eid = p.start([cid])
    p.wait_otp_sent(eid)
    view = p.view(eid)
    assert view["state"] == "OTP_SENT" and view["otp"]["remainingAttempts"] == 5
    from einvoice.enrolment import service

    confirmed = service.confirm_otp(p.tenant, eid, p.code(eid), deps=p.deps)
    assert confirmed["state"] in ("REGISTERING", "DONE")
    # Then the execution succeeds and everything is DONE
    d = p.finish(eid)
    assert d["status"] == "SUCCEEDED", d
    assert p.deps.workflow.status(p.execution(eid)) == "SUCCEEDED"
    assert p.deps.workflow.status(p.execution("no-such-execution")) is None
    view = p.view(eid)
    assert view["state"] == "DONE"
    assert [c["result"] for c in view["companies"]] == ["REGISTERED"]
    assert view["certificate"]["href"] == f"/v1/enrolments/{eid}/certificate"
    assert p.directory.lines[p.siren_of(cid)][2] == p.settings.platform_id
    company = p.company(cid)
    assert company["enrolmentStatus"] == "DONE" and company["enrolmentId"] == eid
    assert company["certificateUrl"] == f"/v1/enrolments/{eid}/certificate"
    # the companies area shows it: derived state DONE with the certificate link
    from einvoice.companies.dynamodb import from_item

    raw = p.ddb.get_item(TableName=p.settings.data_table,
                         Key={"pk": {"S": f"ACC#{p.account_id}"}, "sk": {"S": f"COMPANY#{cid}"}})["Item"]
    shown = from_item(raw).to_out().model_dump(mode="json", by_alias=True)
    assert shown["enrolmentState"] == "DONE"
    assert f"/v1/enrolments/{eid}/certificate" in json.dumps(shown)
    # the certificate is the sealed PDF, trusted with the local seal CA as root
    pdf = service.get_certificate(p.tenant, eid, deps=p.deps)
    result = seal.verify(pdf, [trust_root(p.settings)])
    assert result["intact"] and result["trusted"] and result["field"] == "Seal"
    # the code never appears in the state machine's history nor in the stored items
    code = p.code(eid)
    history = json.dumps(p.history(eid), default=str)
    assert code not in history
    items = p.table.scan()["Items"]
    assert code not in json.dumps(items, default=str)
    assert "otpHash" in next(i for i in items if i["sk"] == f"ENROL#{eid}")


def _confirm(p, eid, code):
    from einvoice.enrolment import service

    return service.confirm_otp(p.tenant, eid, code, deps=p.deps)


def test_mass_enrolment_of_50_companies(make_platform):
    p = make_platform()
    # half selected by a CSV import for mass enrolment (companies area: enrolmentStatus MASS_PENDING)
    ids = p.seed_companies(25, state="MASS_PENDING") + p.seed_companies(25, siret=True)
    eid = p.start(ids)
    p.wait_otp_sent(eid)
    _confirm(p, eid, p.code(eid))
    d = p.finish(eid, timeout=120)
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"]) == {"state": "DONE", "registered": 50, "failed": 0, "certificate": "ISSUED"}
    view = p.view(eid)
    assert view["state"] == "DONE" and view["errors"] == []
    assert {c["result"] for c in view["companies"]} == {"REGISTERED"}
    assert len(p.directory.lines) == 50 and all(n == 1 for n in p.directory.calls.values())
    assert all(p.company(c)["enrolmentStatus"] == "DONE" for c in ids)
    # the certificate lists the 50 companies (SIREN, and SIRET where the company has one)
    from einvoice.enrolment import service
    from tests.unit.enrolment.enrolment_testing import pdf_text

    text = pdf_text(service.get_certificate(p.tenant, eid, deps=p.deps))
    assert "Entreprises (50)" in text
    for cid in ids[:3] + ids[-3:]:
        assert p.siren_of(cid) in text
    assert p.siren_of(ids[-1]) + "00017" in text


def test_five_wrong_codes_lock_the_enrolment(make_platform):
    from einvoice.enrolment.errors import OtpInvalidError, OtpLockedError

    p = make_platform()
    [cid] = p.seed_companies(1)
    eid = p.start([cid])
    p.wait_otp_sent(eid)
    good = p.code(eid)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    for remaining in (4, 3, 2, 1):
        with pytest.raises(OtpInvalidError) as err:
            _confirm(p, eid, wrong)
        assert err.value.remaining_attempts == remaining
    with pytest.raises(OtpLockedError):
        _confirm(p, eid, wrong)
    d = p.finish(eid)
    assert d["status"] == "FAILED" and d["error"] == "EnrolmentLocked"
    # even the right code is refused now, and nothing was registered
    with pytest.raises(OtpLockedError):
        _confirm(p, eid, good)
    view = p.view(eid)
    assert view["state"] == "LOCKED" and view["otp"]["remainingAttempts"] == 0
    assert p.directory.calls == {}
    assert p.company(cid)["enrolment"]["state"] == "LOCKED"
    # the company is released: eligible for a new enrolment
    info = p.deps.companies.get_companies(p.account_id, [cid])[cid]
    assert info.enrolment_state not in ("IN_PROGRESS", "DONE")


def test_expiry_when_no_code_is_confirmed(make_platform):
    from einvoice.enrolment.errors import EnrolmentStateError

    p = make_platform(otp_timeout=1)  # conftest.SHORT_TIMEOUT machine
    [cid] = p.seed_companies(1)
    eid = p.start([cid])
    p.wait_otp_sent(eid)
    d = p.finish(eid)
    assert d["status"] == "FAILED" and d["error"] == "EnrolmentExpired"
    view = p.view(eid)
    assert view["state"] == "EXPIRED"
    assert view["errors"][0]["code"] == "States.Timeout"
    with pytest.raises(EnrolmentStateError) as err:
        _confirm(p, eid, p.code(eid))
    assert err.value.state == "EXPIRED"
    assert p.directory.calls == {}


def test_resend_invalidates_the_previous_code(make_platform):
    from einvoice.enrolment import service
    from einvoice.enrolment.errors import OtpInvalidError, ResendLimitError

    p = make_platform()
    [cid] = p.seed_companies(1)
    eid = p.start([cid])
    p.wait_otp_sent(eid)
    first = p.code(eid)
    for n in (1, 2, 3):
        view = service.resend_otp(p.tenant, eid, deps=p.deps)
        assert view["otp"]["remainingResends"] == 3 - n
    with pytest.raises(ResendLimitError):
        service.resend_otp(p.tenant, eid, deps=p.deps)
    codes = p.codes(eid)
    assert len(codes) == 4
    stale = next((c for c in codes[:-1] if c != codes[-1]), None)
    if stale is not None:  # (1 chance in 10^6 per code that two codes coincide)
        with pytest.raises(OtpInvalidError):
            _confirm(p, eid, stale)
    assert first in codes
    _confirm(p, eid, codes[-1])
    assert p.finish(eid)["status"] == "SUCCEEDED"
    # idempotent: the same code again registers nothing more
    again = _confirm(p, eid, codes[-1])
    assert again["state"] == "DONE"
    assert p.directory.calls == {p.siren_of(cid): 1}
    events = [e for e in p.history(eid) if e["type"] == "ExecutionStarted"]
    assert len(events) == 1


def test_transient_directory_failure_is_retried(make_platform):
    p = make_platform()
    ids = p.seed_companies(3)
    flaky = p.siren_of(ids[1])
    p.directory.transient[flaky] = 2  # fails twice, then works
    eid = p.start(ids)
    p.wait_otp_sent(eid)
    _confirm(p, eid, p.code(eid))
    d = p.finish(eid)
    assert d["status"] == "SUCCEEDED", d
    assert p.directory.calls[flaky] == 3
    assert {c["result"] for c in p.view(eid)["companies"]} == {"REGISTERED"}
    failed = [e for e in p.history(eid) if e["type"] == "TaskFailed"]
    assert len(failed) == 2
    assert all(e["taskFailedEventDetails"]["error"] == "DirectoryTransientError" for e in failed)


def test_permanent_failure_of_one_company_keeps_the_others(make_platform):
    p = make_platform()
    ids = p.seed_companies(4)
    bad = p.siren_of(ids[2])
    p.directory.permanent.add(bad)
    eid = p.start(ids)
    p.wait_otp_sent(eid)
    _confirm(p, eid, p.code(eid))
    d = p.finish(eid)
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"]) == {"state": "DONE", "registered": 3, "failed": 1, "certificate": "ISSUED"}
    view = p.view(eid)
    results = {c["companyId"]: c for c in view["companies"]}
    assert results[ids[2]]["result"] == "FAILED"
    assert results[ids[2]]["error"]["code"] == "DirectoryRejectedError"
    assert "closed" in results[ids[2]]["error"]["message"]
    assert all(results[c]["result"] == "REGISTERED" for c in ids if c != ids[2])
    assert p.directory.calls[bad] == 1  # a permanent failure is not retried
    assert view["errors"][0]["code"] == "CompaniesNotRegistered"
    assert p.company(ids[2]).get("enrolmentStatus") != "DONE"
    assert p.company(ids[0])["enrolmentStatus"] == "DONE"


def test_all_companies_failing_ends_failed_without_certificate(make_platform):
    p = make_platform()
    ids = p.seed_companies(2)
    for c in ids:
        p.directory.transient[p.siren_of(c)] = 99  # retries exhausted
    eid = p.start(ids)
    p.wait_otp_sent(eid)
    _confirm(p, eid, p.code(eid))
    d = p.finish(eid)
    assert d["status"] == "FAILED" and d["error"] == "EnrolmentFailed"
    view = p.view(eid)
    assert view["state"] == "FAILED" and "certificate" not in view
    assert {c["result"] for c in view["companies"]} == {"FAILED"}
    assert view["errors"][-1]["code"] == "NothingRegisteredError"
    # the ASL's contract, read from the execution history: each company's line tried 1 + 4 times, each
    # failing DirectoryTransientError; a transport-level retry (Lambda.* errors, retried separately) may add
    # a call to the directory, and each such call is accounted for
    failed = [e["taskFailedEventDetails"]["error"] for e in p.history(eid) if e["type"] == "TaskFailed"]
    transient = failed.count("DirectoryTransientError")
    transport = sum(1 for name in failed if name.startswith("Lambda."))
    assert transient == 5 * len(ids), (failed, p.directory.calls)
    assert set(p.directory.calls) == {p.siren_of(c) for c in ids}
    assert all(n >= 5 for n in p.directory.calls.values()), p.directory.calls
    assert sum(p.directory.calls.values()) == transient + transport, (failed, p.directory.calls)


class _FailingSealer:
    """Seal failures (KMS throttling, a missing chain...) for the first ``failures`` calls."""

    def __init__(self, real, failures: int) -> None:
        self.real, self.failures, self.calls = real, failures, 0

    def seal(self, pdf: bytes, **kwargs) -> bytes:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError("seal unavailable (test)")
        return self.real.seal(pdf, **kwargs)


def test_certificate_issuance_is_retried(make_platform):
    p = make_platform()
    [cid] = p.seed_companies(1)
    p.deps.sealer = sealer = _FailingSealer(seal.default_sealer(p.settings), failures=2)
    eid = p.start([cid])
    p.wait_otp_sent(eid)
    _confirm(p, eid, p.code(eid))
    d = p.finish(eid)
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"])["certificate"] == "ISSUED"
    assert sealer.calls == 3
    failed = [e for e in p.history(eid) if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failed] == ["RuntimeError", "RuntimeError"]
    view = p.view(eid)
    assert view["state"] == "DONE" and view["certificate"]["state"] == "ISSUED"


def test_certificate_failing_after_its_retries_leaves_the_registered_companies_done(make_platform):
    from einvoice.enrolment import service

    p = make_platform()
    ids = p.seed_companies(2)
    p.deps.sealer = sealer = _FailingSealer(None, failures=99)
    eid = p.start(ids)
    p.wait_otp_sent(eid)
    _confirm(p, eid, p.code(eid))
    d = p.finish(eid)
    # the directory lines are written, so the enrolment is DONE, not FAILED; the certificate is PENDING
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"]) == {"state": "DONE", "registered": 2, "failed": 0, "certificate": "PENDING"}
    assert sealer.calls == 4  # 1 + 3 retries
    view = p.view(eid)
    assert view["state"] == "DONE"
    assert {c["result"] for c in view["companies"]} == {"REGISTERED"}
    certificate = view["certificate"]
    assert certificate["state"] == "PENDING"
    assert certificate["retry"] == {"method": "POST", "href": f"/v1/enrolments/{eid}/certificate"}
    assert certificate["error"]["code"] == "RuntimeError" and "seal unavailable" in certificate["error"]["message"]
    assert "Traceback" not in json.dumps(view)
    for cid in ids:
        assert p.company(cid)["enrolmentStatus"] == "DONE"
        assert p.directory.lines[p.siren_of(cid)][2] == p.settings.platform_id
    with pytest.raises(NotFoundError) as missing:
        service.get_certificate(p.tenant, eid, deps=p.deps)
    assert missing.value.code == "NotFound" and missing.value.details[0].rule == "CERTIFICATE_NOT_ISSUED"
    # the retry route while sealing still fails: 503, still PENDING
    with pytest.raises(UpstreamUnavailableError) as unavailable:
        service.retry_certificate(p.tenant, eid, deps=p.deps)
    assert unavailable.value.http_status == 503
    assert p.view(eid)["certificate"]["state"] == "PENDING"
    # once sealing works again, the retry issues it; a second retry changes nothing
    p.deps.sealer = None
    issued = service.retry_certificate(p.tenant, eid, deps=p.deps)
    assert issued["state"] == "DONE" and issued["certificate"]["state"] == "ISSUED"
    assert service.retry_certificate(p.tenant, eid, deps=p.deps)["certificate"] == issued["certificate"]
    pdf = service.get_certificate(p.tenant, eid, deps=p.deps)
    assert seal.verify(pdf, [trust_root(p.settings)])["trusted"]
