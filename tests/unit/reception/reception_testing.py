"""A reception world on in-memory fakes, on top of the transmission world (same repository, companies,
archive, staging, events, registry and flow client), with the real sealer and the real validation.

``ReceptionWorld.run_receptions`` plays ``statemachines/reception.asl.json`` in Python (Receive, then
Answer with its Retry on ``IssuerNotReadyError``); the functional tests run the real ASL under moto.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from einvoice.flows import clients as cl
from einvoice.flows.service import FlowDeps
from einvoice.flows.store import MemoryFlowStore
from einvoice.invoicing import calc
from einvoice.invoicing.model import Invoice
from einvoice.reception import service as reception
from einvoice.reception.service import IssuerNotReadyError, ReceptionDeps
from einvoice.transmission import memory
from einvoice.transmission.adapters import CompanyOptions
from einvoice.transmission.flow_api import multipart
from einvoice.transmission.reception import InternalReception
from tests.unit.invoicing.model_samples import BUYER_SIREN, SELLER_SIREN, sample_body
from tests.unit.transmission.transmission_testing import BUYER_ACCOUNT, PEER, THIS, World, make_world

PEER_CLIENT = cl.FlowApiClient("peer-42", cl.PLATFORM, "Peer 42", platform_id=PEER)
OTHER_PEER_CLIENT = cl.FlowApiClient("peer-117", cl.PLATFORM, "Peer 117", platform_id="0238:PA-0117")
BUYER_COMPANY = "co_buyer"


def invoice_document(fmt: str = "cii", **updates: Any) -> bytes:
    """The sample invoice (seller SELLER_SIREN, buyer BUYER_SIREN) as CII, UBL or Factur-X."""
    from einvoice.invoicing.service import render_invoice

    body = sample_body()
    body.update(updates)
    return render_invoice(calc.compute(Invoice.model_validate(body)), fmt, "en16931")


def flow_body(data: bytes, *, syntax: str = "CII", sha256: str | None = "auto", tracking_id: str | None = "T-1",
              **info: Any) -> tuple[bytes, str]:
    """A multipart body; ``sha256="auto"`` announces the file's own hash, ``None`` announces none."""
    flow_info = {"trackingId": tracking_id, "name": "facture.xml", "flowSyntax": syntax,
                 "sha256": hashlib.sha256(data).hexdigest() if sha256 == "auto" else sha256, **info}
    flow_info = {k: v for k, v in flow_info.items() if v is not None}
    return multipart([("flowInfo", "application/json", None, json.dumps(flow_info).encode()),
                      ("file", "application/xml" if syntax != "Factur-X" else "application/pdf", "facture", data)])


class ReceptionWorld(World):
    def submit(self, data: bytes, client: cl.FlowApiClient = PEER_CLIENT, **kw: Any):
        from einvoice.flows.service import submit_flow

        body, ctype = flow_body(data, **kw)
        return submit_flow(client, body, ctype, deps=self.flow_deps)

    def run_receptions(self) -> list[dict[str, Any]]:
        """Run every reception started (Receive, then Answer with the Retry on IssuerNotReadyError)."""
        outputs = []
        while self.receptions.started:
            envelope = copy.deepcopy(self.receptions.started.pop(0)["payload"])
            received = reception.receive({**envelope, "step": "receive"}, self.rdeps)
            answered = None
            if "answer" in received:
                for _ in range(6):
                    try:
                        answered = reception.answer({"step": "answer", "receptionId": envelope["receptionId"],
                                                     "source": envelope["source"], "received": received}, self.rdeps)
                        break
                    except IssuerNotReadyError:
                        self.run_started()  # the transmission goes on meanwhile
            outputs.append({"received": received, "answered": answered})
        return outputs

    def received(self, account: str = BUYER_ACCOUNT):
        rows, _ = self.repo.list(account, direction="received")
        return [self.repo.get(account, r.id) for r in rows]


def make_reception_world(seal_dir: str, **kw: Any) -> ReceptionWorld:
    base = make_world(seal_dir, **kw)
    d = base.deps
    receptions = memory.MemoryWorkflow()
    flows = MemoryFlowStore()
    rdeps = ReceptionDeps(repository=d.repository, companies=d.companies, directory=d.directory, registry=d.registry,
                          flow_client=d.flow_client, ppf=d.ppf, events=d.events, workflow=d.workflow,
                          queue=d.queue, archive=d.archive, staging=d.staging, settings=d.settings, clock=d.clock,
                          flux6=d.flux6, status_queue=d.status_queue, flows=flows, reception_workflow=receptions)
    rdeps.sealer = d.sealer
    d.reception = InternalReception(d.companies, start=lambda envelope: reception.start_reception(envelope, rdeps))
    flow_deps = FlowDeps(store=flows, clients=cl.MemoryClients([PEER_CLIENT, OTHER_PEER_CLIENT]), staging=d.staging,
                         settings=d.settings, clock=d.clock,
                         receive=lambda envelope: reception.start_reception(envelope, rdeps))
    from einvoice.reception.statuses import record_incoming_status

    flow_deps.record_status = lambda data, from_platform: record_incoming_status(data, from_platform=from_platform,
                                                                                 deps=rdeps)
    base.registry.put(__import__("einvoice.transmission.ports", fromlist=["Platform"]).Platform(
        "0238:PA-0117", "Peer 117", "http://peer117.invalid"))
    world = ReceptionWorld(**vars(base))
    world.rdeps, world.receptions, world.flows, world.flow_deps = rdeps, receptions, flows, flow_deps
    return world


def add_buyer(world: ReceptionWorld, *, purchase: bool = True, duplicate: bool = False,
              account: str = BUYER_ACCOUNT, siren: str = BUYER_SIREN) -> None:
    world.companies.add(account, CompanyOptions(BUYER_COMPANY, siren, "Acheteur SARL", False, purchase, duplicate))


__all__ = ["ReceptionWorld", "make_reception_world", "add_buyer", "invoice_document", "flow_body", "PEER_CLIENT",
           "OTHER_PEER_CLIENT", "BUYER_ACCOUNT", "BUYER_SIREN", "SELLER_SIREN", "PEER", "THIS"]
