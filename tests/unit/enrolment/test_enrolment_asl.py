"""statemachines/enrolment.asl.json: valid (statelint), wired by the documented substitutions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ASL = REPO / "statemachines" / "enrolment.asl.json"
SUBSTITUTIONS = {"RecordFunctionArn", "SendOtpFunctionArn", "RegisterCompanyFunctionArn", "CompanyFailedFunctionArn",
                 "CertificateFunctionArn", "FinaliseFunctionArn", "MarkTerminalFunctionArn", "OtpTimeoutSeconds"}


@pytest.fixture(scope="module")
def asl() -> dict:
    return json.loads(ASL.read_text())


def test_statelint_passes():
    statelint = Path(sys.executable).with_name("statelint")
    if not statelint.exists():
        pytest.skip("statelint is not installed")
    out = subprocess.run([str(statelint), str(ASL)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_substitutions_match_the_tasks_and_the_manifest():
    from einvoice.enrolment.routes import FUNCTIONS, STATE_MACHINES
    from einvoice.enrolment.tasks import TASKS

    found = set(re.findall(r"\$\{(\w+)\}", ASL.read_text()))
    assert found == SUBSTITUTIONS
    assert set(TASKS) == SUBSTITUTIONS - {"OtpTimeoutSeconds"}
    wired = {s for f in FUNCTIONS for s in f.asl_substitutions}
    assert wired == set(TASKS)
    [machine] = STATE_MACHINES
    assert set(machine.substitutions) == {"OtpTimeoutSeconds"} and int(machine.substitutions["OtpTimeoutSeconds"]) >= 600


def test_otp_wait_uses_a_task_token_and_no_code(asl):
    wait = asl["States"]["SendOtpAndWait"]
    assert wait["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert wait["Parameters"]["Payload"]["taskToken.$"] == "$$.Task.Token"
    assert wait["TimeoutSecondsPath"] == "$.config.otpTimeoutSeconds"
    catches = {e: c["Next"] for c in wait["Catch"] for e in c["ErrorEquals"]}
    assert catches["States.Timeout"] == "MarkExpired" and catches["EnrolmentLocked"] == "MarkLocked"
    assert set(wait["Parameters"]["Payload"]) == {"accountId.$", "enrolmentId.$", "taskToken.$"}


def test_map_retries_transient_errors_and_catches_per_company(asl):
    from einvoice.enrolment.errors import DirectoryTransientError

    m = asl["States"]["RegisterCompanies"]
    assert m["Type"] == "Map"
    register = m["ItemProcessor"]["States"]["RegisterLine"]
    retried = {e for r in register["Retry"] for e in r["ErrorEquals"]}
    assert DirectoryTransientError.__name__ in retried
    assert register["Catch"][0]["ErrorEquals"] == ["States.ALL"]
    assert register["Catch"][0]["Next"] == "RecordCompanyFailure"


def test_terminal_states(asl):
    fails = {n: s["Error"] for n, s in asl["States"].items() if s["Type"] == "Fail"}
    assert fails == {"Expired": "EnrolmentExpired", "Locked": "EnrolmentLocked", "Failed": "EnrolmentFailed"}
    assert asl["States"]["Done"]["Type"] == "Succeed"
