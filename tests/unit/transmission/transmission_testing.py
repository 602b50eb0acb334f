"""A transmission world on in-memory fakes: every port of ``TransmissionDeps`` faked except the sealer
(the production PAdES/CAdES code around a software key, ``tests.seal_testing``) and the internal reception (the real adapter on the fake repository).

``World.run`` plays ``statemachines/transmission.asl.json`` in Python (Prepare -> Deliver with the
bounded Retry -> Defer on failure); the functional tests run the real ASL under moto.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from einvoice.directory.models import DirectoryLine
from einvoice.errors import UpstreamUnavailableError
from einvoice.invoicing.memory import MemoryInvoiceRepository
from einvoice.lifecycle.memory import MemoryPpfQueue
from einvoice.settings import Settings
from einvoice.tenancy import Tenant
from einvoice.transmission import memory, tasks
from einvoice.transmission.adapters import CompanyOptions
from einvoice.transmission.errors import TransmissionError
from einvoice.transmission.ports import Platform
from einvoice.transmission.reception import InternalReception
from einvoice.transmission.service import TransmissionDeps
from tests.seal_testing import software_sealer
from tests.unit.invoicing.model_samples import BUYER_SIREN, SELLER_SIREN, sample_body

ASL = json.loads((Path(__file__).resolve().parents[3] / "statemachines" / "transmission.asl.json").read_text())
THIS = "0238:PA-THIS"
PEER = "0238:PA-0042"
ACCOUNT = "acc-seller"
BUYER_ACCOUNT = "acc-buyer"
COMPANY = "co_seller"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 9, 0, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class FakeDirectory:
    def __init__(self) -> None:
        self.lines: dict[str, list[DirectoryLine]] = {}
        self.down = False

    def add(self, line: DirectoryLine) -> None:
        self.lines.setdefault(line.siren, []).append(line)

    def lines_for(self, siren: str) -> list[DirectoryLine]:
        if self.down:
            raise UpstreamUnavailableError("directory down")
        return list(self.lines.get(siren, []))


def _retryable(state: str) -> set[str]:
    names: set[str] = set()
    for rule in ASL["States"][state]["Retry"]:
        names.update(rule["ErrorEquals"])
    return names


def _max_attempts(state: str, error: str) -> int:
    for rule in ASL["States"][state]["Retry"]:
        if error in rule["ErrorEquals"]:
            return rule["MaxAttempts"]
    return 0


class World(SimpleNamespace):
    def issue(self, body: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """Create a draft (JSON) and issue it; returns the issue answer."""
        from einvoice.invoicing import calc, checks
        from einvoice.invoicing.model import Invoice
        from einvoice.invoicing.service import new_record
        from einvoice.transmission import service

        invoice = calc.compute(Invoice.model_validate(body or sample_body()))
        assert not checks.check(invoice)
        import hashlib

        invoice_id = hashlib.sha256(f"{ACCOUNT}|{COMPANY}|{checks.duplicate_key(invoice)}".encode()).hexdigest()[:24]
        record = new_record(invoice_id=invoice_id, account_id=ACCOUNT, company_id=COMPANY, invoice=invoice,
                            profile="en16931", fingerprint="fp", source="json", now=self.deps.now())
        self.repo.create(record)
        return service.issue_invoice(self.tenant, invoice_id, deps=self.deps, **kw)

    def _task(self, state: str, fn: Any, payload: dict[str, Any]) -> tuple[dict[str, Any] | None, dict | None]:
        """One ASL task state with its Retry; returns (output, error for the Catch)."""
        attempts = 0
        while True:
            try:
                return fn(copy.deepcopy(payload), self.deps), None
            except Exception as exc:  # noqa: BLE001 - what Lambda reports to Step Functions
                name = type(exc).__name__
                retry = name in _retryable(state) or (
                    "TransientError" in _retryable(state) and isinstance(exc, Exception)
                    and "Unavailable" in name)
                attempts += 1
                if not retry or attempts > _max_attempts(state, name):
                    cause = json.dumps({"errorType": name, "errorMessage": str(exc)})
                    return None, {"Error": name, "Cause": cause}

    def execute(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.executions.append(payload)
        out, error = self._task("Prepare", tasks.prepare, payload)
        if error is None and out["outcome"] == "deposited":
            out, error = self._task("Deliver", tasks.deliver, payload)
        if error is not None:
            out, error = self._task("Defer", tasks.defer, {**payload, "error": error})
            if error is not None:
                raise AssertionError(f"the Defer state failed: {error}")
        return out

    def run_started(self) -> None:
        """Run every execution the workflow fake was asked to start (and those they start)."""
        while self.workflow.started:
            started = self.workflow.started.pop(0)
            self.execute(started["payload"])

    def drain_queue(self, *, max_rounds: int = 50) -> None:
        """Deliver queued messages once their delay has passed (advancing the clock), as SQS + Lambda do."""
        for _ in range(max_rounds):
            if not self.queue.messages:
                return
            message, delay = self.queue.messages.pop(0)
            self.clock.advance(seconds=delay)
            tasks.redeliver({"Records": [{"messageId": "m", "body": json.dumps(message)}]}, self.deps)
            self.run_started()
        raise AssertionError("the redelivery queue did not drain")

    def record(self, invoice_id: str, account: str = ACCOUNT):
        return self.repo.get(account, invoice_id)

    def codes(self, invoice_id: str) -> list[str]:
        return [s.code for s in self.record(invoice_id).status_history]


def make_world(seal_dir: str, *, schedule: str = "60,300,900") -> World:
    clock = Clock()
    repo = MemoryInvoiceRepository()
    companies = memory.MemoryCompanies()
    companies.add(ACCOUNT, CompanyOptions(COMPANY, SELLER_SIREN, "Vendeur SAS", True, False, True))
    directory = FakeDirectory()
    registry = memory.MemoryRegistry([Platform(PEER, "Peer 42", "http://peer.invalid")])
    settings = Settings(platform_id=THIS, redelivery_schedule=schedule, watchdog_seconds=900)
    workflow, queue, events = memory.MemoryWorkflow(), memory.MemoryQueue(), memory.MemoryEvents()
    receptions: list[dict[str, Any]] = []  # receptions started by the internal delivery (tests/unit/reception runs them)
    deps = TransmissionDeps(
        repository=repo, companies=companies, directory=directory, registry=registry,
        flow_client=memory.MemoryFlowClient(), reception=InternalReception(companies, start=receptions.append),
        ppf=memory.MemoryPpf(), events=events, workflow=workflow, queue=queue,
        archive=memory.MemoryInvoiceArchive(), staging=memory.MemoryStaging(), settings=settings, clock=clock,
        sealer=software_sealer(), flux6=MemoryPpfQueue(), status_queue=memory.MemoryQueue(),
    )
    return World(deps=deps, repo=repo, companies=companies, directory=directory, registry=registry,
                 flow=deps.flow_client, ppf=deps.ppf, events=events, workflow=workflow, queue=queue,
                 archive=deps.archive, clock=clock, executions=[], receptions=receptions,
                 tenant=Tenant(partner_id="p", account_id=ACCOUNT, api_key_id="k"))


def line(platform: str, siren: str = BUYER_SIREN, **kw: Any) -> DirectoryLine:
    return DirectoryLine(siren=siren, platform_id=platform, **kw)


__all__ = ["World", "make_world", "line", "TransmissionError", "THIS", "PEER", "ACCOUNT", "BUYER_ACCOUNT",
           "COMPANY", "BUYER_SIREN", "SELLER_SIREN"]
