"""In-memory wiring of the import use cases (the production service with the fakes of every port)."""

from __future__ import annotations

import threading

from einvoice.companies.memory import MemoryCompanyRepository
from einvoice.directory.models import Establishment, LegalUnit
from einvoice.directory.seed import luhn_check_digit
from einvoice.errors import UpstreamUnavailableError
from einvoice.imports.memory import MemoryAccounts, MemoryFiles, MemoryImportRepository, MemoryWorkflow
from einvoice.imports.service import ImportDeps
from einvoice.settings import Settings
from einvoice.tenancy import Tenant


def siren(body8: str) -> str:
    return body8 + luhn_check_digit(body8)


def siret(siren9: str, nic4: str) -> str:
    return siren9 + nic4 + luhn_check_digit(siren9 + nic4)


ACTIVE = siren("11111111")
ACTIVE_SIRET = siret(ACTIVE, "0001")
NOT_VAT = siren("22222222")
CLOSED = siren("33333333")
UNKNOWN = siren("66666666")
MANY = [siren(f"7{i:07d}") for i in range(400)]


class MemoryDirectory:
    """``get_many`` of the directory port over dicts; ``fail_after`` calls, it is down (``down`` toggles)."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.units = {
            ACTIVE: LegalUnit(ACTIVE, "Menuiserie Lefèvre", True),
            NOT_VAT: LegalUnit(NOT_VAT, "Association Noël", False),
            CLOSED: LegalUnit(CLOSED, "Transports Martinez", True, "closed"),
            **{s: LegalUnit(s, f"Boulangerie {i}", True) for i, s in enumerate(MANY)},
        }
        self.ests = {ACTIVE_SIRET: Establishment(ACTIVE_SIRET, ACTIVE, "Menuiserie Lefèvre")}
        self.calls = 0
        self.fail_after = fail_after
        self.lock = threading.Lock()

    def get_many(self, sirens, sirets):
        with self.lock:
            self.calls += 1
            if self.fail_after is not None and self.calls > self.fail_after:
                raise UpstreamUnavailableError("The directory is unavailable (test)")
        sirens, sirets = list(sirens), list(sirets)
        return (
            {s: self.units[s] for s in sirens if s in self.units},
            {s: self.ests[s] for s in sirets if s in self.ests},
        )


class Fakes:
    def __init__(self, *, chunk_lines: int = 5000, directory: MemoryDirectory | None = None) -> None:
        self.companies = MemoryCompanyRepository()
        self.repository = MemoryImportRepository(self.companies)
        self.files = MemoryFiles()
        self.workflow = MemoryWorkflow()
        self.accounts = MemoryAccounts("acc-1", "acc-2")
        self.directory = directory or MemoryDirectory()
        self.settings = Settings(import_chunk_lines=chunk_lines)
        from einvoice.transmission.memory import MemoryEvents

        self.events = MemoryEvents()

    def deps(self) -> ImportDeps:
        return ImportDeps(
            settings=self.settings,
            repository=self.repository,
            companies=self.companies,
            files=self.files,
            workflow=self.workflow,
            accounts=self.accounts,
            directory=self.directory,
            events=self.events,
        )


def tenant(account_id: str = "acc-1") -> Tenant:
    return Tenant(partner_id="p-1", account_id=account_id, api_key_id="k-1")


def run_to_end(fakes: Fakes, task: dict, *, time_left=None, limit: int = 1000) -> tuple[dict, int]:
    """Drive the chunk task the way the state machine does (ignoring back-off waits); returns the last
    output and the number of task invocations."""
    from einvoice.imports import service

    rounds = 0
    while not task["done"] and rounds < limit:
        task = service.run_task(task, time_left, deps=fakes.deps())
        rounds += 1
    return task, rounds
