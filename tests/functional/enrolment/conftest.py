"""Functional fixtures of the enrolment area: moto (executing Step Functions), an in-process Lambda
dispatcher, fast Retry/Wait, the data table / archive bucket / SES identity, and the real ASL.

The dispatcher below is the minimal version of local-aws.md §1.5 (to be swapped for the shared
``local.dispatch`` module when it exists): ``LambdaSimpleBackend.invoke`` is replaced by a
lookup of the function name in ``HANDLERS``; an exception is returned as
``x-amz-function-error: Unhandled`` + ``{errorType, errorMessage}`` so ASL Retry/Catch match the
exception's class name.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest

for _k, _v in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-3",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}.items():
    os.environ.setdefault(_k, _v)

REGION = "eu-west-3"
ACCOUNT = "123456789012"
REPO = Path(__file__).resolve().parents[3]
ASL = REPO / "statemachines" / "enrolment.asl.json"
SENDER = "no-reply@einvoice.local"


# ---- minimal in-process Lambda dispatch (local-aws.md §1.5) ----------------------------------
HANDLERS: dict[str, Callable[[dict], Any]] = {}


def _invoke(self, function_name, qualifier, body, headers, response_headers):  # noqa: ANN001
    name = function_name.split(":function:")[-1].split(":")[0]
    handler = HANDLERS.get(name)
    if handler is None:
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({"errorType": "ResourceNotFoundException", "errorMessage": name}).encode()
    try:
        return json.dumps(handler(json.loads(body or "{}"))).encode()
    except Exception as exc:  # noqa: BLE001 - reported to Step Functions like Lambda does
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()


@contextmanager
def lambda_dispatch(handlers: dict[str, Callable[[dict], Any]]):
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    saved = (LambdaSimpleBackend.invoke, retrier_decl.time, WaitFunction._wait_interval)
    HANDLERS.clear()
    HANDLERS.update(handlers)
    LambdaSimpleBackend.invoke = _invoke
    retrier_decl.time = SimpleNamespace(sleep=lambda s: None)  # fast Retry intervals
    WaitFunction._wait_interval = lambda self, env, wait_seconds: None  # fast Wait states
    try:
        yield
    finally:
        LambdaSimpleBackend.invoke, retrier_decl.time, WaitFunction._wait_interval = saved
        HANDLERS.clear()


# ---- fakes -------------------------------------------------------------------------------------
class FakeDirectory:
    """DirectoryRegistrar: records lines; ``transient[siren] = n`` fails n times, ``permanent`` always."""

    def __init__(self) -> None:
        self.lines: dict[str, tuple[str, str | None, str]] = {}
        self.calls: dict[str, int] = {}
        self.transient: dict[str, int] = {}
        self.permanent: set[str] = set()
        self._lock = threading.Lock()

    def register_line(self, siren: str, siret: str | None, platform_id: str) -> dict:
        from einvoice.errors import NotFoundError, UpstreamUnavailableError

        with self._lock:
            self.calls[siren] = self.calls.get(siren, 0) + 1
            if self.transient.get(siren, 0) > 0:
                self.transient[siren] -= 1
                raise UpstreamUnavailableError("directory timeout")
            if siren in self.permanent:
                raise NotFoundError(f"SIREN {siren} closed in the directory")
            self.lines[siren] = (siren, siret, platform_id)
        return {"siren": siren}


def siren_for(i: int) -> str:
    """A valid (Luhn) 9-digit SIREN for index i."""
    base = f"{100000 + i:08d}"
    for check in range(10):
        candidate = base + str(check)
        total = 0
        for pos, ch in enumerate(reversed(candidate)):
            d = int(ch) * (2 if pos % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise AssertionError


class Platform(SimpleNamespace):
    """Everything a test needs: deps, tenant, clients, helpers."""

    def seed_companies(self, n: int, *, vat_liable: bool = True, purchase: bool = True,
                       state: str | None = None, siret: bool = False) -> list[str]:
        ids = []
        with self.table.batch_writer() as batch:
            for _ in range(n):
                self.counter += 1
                cid = f"co-{self.counter:05d}"
                siren = siren_for(self.counter)
                item = {"pk": f"ACC#{self.account_id}", "sk": f"COMPANY#{cid}", "id": cid,
                        "identifierType": "SIRET" if siret else "SIREN",
                        "identifier": siren + "00017" if siret else siren, "siren": siren,
                        "name": f"Société {self.counter} SAS", "vatLiable": vat_liable,
                        "purchaseInvoices": purchase}
                if state:
                    item["enrolmentStatus"] = state
                batch.put_item(Item=item)
                ids.append(cid)
        return ids

    def company(self, cid: str) -> dict:
        return self.table.get_item(Key={"pk": f"ACC#{self.account_id}", "sk": f"COMPANY#{cid}"})["Item"]

    def siren_of(self, cid: str) -> str:
        return str(self.company(cid)["identifier"])[:9]

    def start(self, ids: list[str], email: str | None = None) -> str:
        from einvoice.enrolment import service

        email = email or f"signataire+{uuid.uuid4().hex[:6]}@example.fr"
        out = service.start_enrolment(self.tenant, ids, {"firstName": "Jeanne", "lastName": "Dupont",
                                                          "role": "Gérante", "email": email},
                                      True, request_id=f"req-{uuid.uuid4().hex[:8]}", deps=self.deps)
        assert out["state"] == "OTP_SENT"
        return out["id"]

    def view(self, enrolment_id: str) -> dict:
        from einvoice.enrolment import service

        return service.get_enrolment(self.tenant, enrolment_id, deps=self.deps)

    def wait(self, predicate: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def wait_otp_sent(self, enrolment_id: str, count: int = 1) -> None:
        self.wait(lambda: self.view(enrolment_id)["otp"]["sentAt"] and len(self.codes(enrolment_id)) >= count,
                  what="the OTP mail")

    def codes(self, enrolment_id: str) -> list[str]:
        """Codes mailed for this enrolment, oldest first, read from moto's SES backend."""
        from moto.ses.models import ses_backends

        out = []
        for m in ses_backends[ACCOUNT][REGION].sent_messages:
            body = getattr(m, "body", "") or ""
            if enrolment_id in body:
                found = re.search(r"code de confirmation est : (\d{6})", body)
                if found:
                    out.append(found.group(1))
        return out

    def code(self, enrolment_id: str) -> str:
        return self.codes(enrolment_id)[-1]

    def execution(self, enrolment_id: str) -> str:
        return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{self.machine}:{enrolment_id}"

    def finish(self, enrolment_id: str, timeout: float = 90.0) -> dict:
        """Bounded poll of describe_execution until it is no longer RUNNING."""
        arn = self.execution(enrolment_id)

        def done():
            d = self.sfn.describe_execution(executionArn=arn)
            return d if d["status"] != "RUNNING" else None

        return self.wait(done, timeout, what=f"execution {enrolment_id}")

    def history(self, enrolment_id: str) -> list[dict]:
        events, kwargs = [], {"executionArn": self.execution(enrolment_id)}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            events += page["events"]
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]


def _create_resources(settings):
    """Tables, buckets (archive under Object Lock), the SES identity and the event bus, as the local platform
    makes them."""
    from local.bootstrap import create_buckets, create_event_bus, create_ses_identity, create_tables

    create_tables(settings)
    create_buckets(settings)
    create_ses_identity(settings)
    create_event_bus(settings)  # the enrolment's end is announced there
    from local.seal import create_seal_identity

    return settings.model_copy(update={"seal_key_id": create_seal_identity(settings).key_id})


def _definition(function_names: dict[str, str], otp_timeout: int) -> str:
    text = ASL.read_text()
    for sub, fn in function_names.items():
        text = text.replace("${%s}" % sub, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn}")
    text = text.replace("${OtpTimeoutSeconds}", str(otp_timeout))
    assert "${" not in text, re.findall(r"\$\{\w+\}", text)
    return text


SHORT_TIMEOUT = 1  # seconds: the expiry scenario's state machine


@pytest.fixture(scope="module")
def moto_env():
    """One moto world per test module: tables, archive bucket, SES identity, the real ASL created
    twice (normal wait and a 1-second wait for the expiry scenario), the in-process dispatcher.
    Tests stay independent: each gets its own account (partition) and its own fakes."""
    import boto3
    from moto import mock_aws

    from einvoice.adapters.aws.clients import reset_clients
    from einvoice.enrolment import tasks
    from einvoice.enrolment.routes import FUNCTIONS
    from einvoice.settings import Settings

    current: dict[str, Any] = {}
    names = {sub: f.name for f in FUNCTIONS for sub in f.asl_substitutions}

    def handler(fn):
        return lambda event: fn(event, current["deps"])

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        reset_clients()
        settings = _create_resources(Settings(region=REGION, sender_email=SENDER))
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machines = {
            timeout: sfn.create_state_machine(
                name=name, definition=_definition(names, timeout),
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/enrolment")["stateMachineArn"]
            for name, timeout in (("enrolment", 120), ("enrolment-short", SHORT_TIMEOUT))
        }
        with lambda_dispatch({names[sub]: handler(fn) for sub, fn in tasks.TASKS.items()}):
            yield SimpleNamespace(settings=settings, sfn=sfn, machines=machines, current=current,
                                  table=boto3.resource("dynamodb", region_name=REGION).Table(settings.data_table),
                                  s3=boto3.client("s3", region_name=REGION),
                                  ddb=boto3.client("dynamodb", region_name=REGION))
        reset_clients()


@pytest.fixture
def make_platform(moto_env):
    """Factory: ``make_platform(otp_timeout=120 | SHORT_TIMEOUT)`` -> a Platform on a fresh account."""
    from einvoice.enrolment.service import EnrolmentDeps
    from einvoice.tenancy import Tenant

    def make(otp_timeout: int = 120) -> Platform:
        arn = moto_env.machines[otp_timeout]
        settings = moto_env.settings.model_copy(update={"enrolment_state_machine_arn": arn})
        directory = FakeDirectory()
        deps = EnrolmentDeps(settings=settings, directory=directory)
        moto_env.current["deps"] = deps
        account_id = f"acc-{uuid.uuid4().hex[:8]}"
        return Platform(
            deps=deps, settings=settings, directory=directory, sfn=moto_env.sfn, arn=arn, account_id=account_id,
            machine=arn.rsplit(":", 1)[-1], tenant=Tenant(partner_id="p1", account_id=account_id, api_key_id="k1"),
            table=moto_env.table, s3=moto_env.s3, ddb=moto_env.ddb, counter=0,
        )

    yield make
    moto_env.current.pop("deps", None)


# ---- the whole local platform (HTTP API + dispatcher + real ASL), for test_enrolment_api.py ----
@pytest.fixture
def aws():
    """Overrides ``tests/functional/conftest.py::aws`` for this directory: the same local AWS, with the
    enrolment service's cached default dependencies dropped before and after."""
    from einvoice.enrolment.service import reset_default_deps
    from local.testing import local_aws

    reset_default_deps()
    with local_aws() as booted:
        yield booted
    reset_default_deps()
