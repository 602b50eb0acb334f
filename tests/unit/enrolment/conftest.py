from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


class FakeDirectory:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, str]] = []
        self.error: Exception | None = None

    def register_line(self, siren, siret, platform_id):
        self.calls.append((siren, siret, platform_id))
        if self.error is not None:
            raise self.error
        return {"ok": True}


class FakeSealer:
    def seal(self, pdf: bytes, *, reason: str = "", location: str = "") -> bytes:
        return pdf + b"%sealed\n"


@pytest.fixture
def world():
    """Enrolment deps on in-memory adapters, a controllable clock and two tenants."""
    from einvoice.archive import MemoryArchive
    from einvoice.enrolment.memory import MemoryCompanies, MemoryEnrolmentRepository, MemoryMailer, MemoryWorkflow
    from einvoice.enrolment.model import CompanyInfo
    from einvoice.enrolment.service import EnrolmentDeps
    from einvoice.settings import Settings
    from einvoice.tenancy import Tenant
    from einvoice.transmission.memory import MemoryEvents

    clock = Clock()
    companies = MemoryCompanies()
    deps = EnrolmentDeps(
        repository=MemoryEnrolmentRepository(), mailer=MemoryMailer(), workflow=MemoryWorkflow(),
        companies=companies, directory=FakeDirectory(), archive=MemoryArchive(), sealer=FakeSealer(),
        settings=Settings(), clock=clock, events=MemoryEvents(),
    )
    tenant = Tenant(partner_id="p1", account_id="a1", api_key_id="k1")
    other = Tenant(partner_id="p1", account_id="a2", api_key_id="k2")
    companies.add("a1", CompanyInfo("c1", "Alpha SAS", "732829320", None, True, True))
    companies.add("a1", CompanyInfo("c2", "Beta SARL", "552100554", "55210055400013", True, True))
    companies.add("a1", CompanyInfo("novat", "Assoc", "775672272", None, False, True))
    companies.add("a1", CompanyInfo("nopurchase", "Gamma", "383474814", None, True, False))
    companies.add("a1", CompanyInfo("done", "Delta", "542065479", None, True, True, enrolment_state="DONE"))
    companies.add("a2", CompanyInfo("x1", "Other", "401258415", None, True, True))
    signatory = {"firstName": "Jeanne", "lastName": "Dupont", "role": "Gérante", "email": "jeanne@example.fr"}
    return SimpleNamespace(deps=deps, clock=clock, tenant=tenant, other=other, signatory=signatory,
                           companies=companies)


@pytest.fixture
def started(world):
    """An enrolment whose code was mailed by the send_otp task; ``world.code`` is that code."""
    from einvoice.enrolment import service, tasks

    out = service.start_enrolment(world.tenant, ["c1", "c2"], world.signatory, True, request_id="req-1",
                                  deps=world.deps)
    world.id = out["id"]
    tasks.record_request({"accountId": "a1", "enrolmentId": world.id, "executionArn": "arn:x"}, world.deps)
    tasks.send_otp({"accountId": "a1", "enrolmentId": world.id, "taskToken": "token-1"}, world.deps)
    from tests.unit.enrolment.enrolment_testing import last_code

    world.code = last_code(world)
    return world

