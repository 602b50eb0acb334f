"""Functional fixtures of the transmission area: the local AWS (moto executing the real Express ASL),
the simulated peer platforms on free loopback ports, the SQS poller (local event source mapping) and
the REST API as API Gateway serves it."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from tests.unit.invoicing.model_samples import BUYER_SIREN, SELLER_SIREN

OTHER_BUYER = "356000000"  # La Poste's SIREN: routed to PA-0117 below
INTERNAL_BUYER = "443061841"  # Luhn-valid; served by this platform
DIRECTORY = (
    "siren;siret;name;establishment;city;vat_liable;status;reception_platform\n"
    f"{SELLER_SIREN};{SELLER_SIREN}00074;Vendeur SAS;siège;Paris;1;active;\n"
    f"{BUYER_SIREN};{BUYER_SIREN}00013;Acheteur SARL;siège;Lyon;1;active;0238:PA-0042\n"
    f"{OTHER_BUYER};35600000000048;La Poste;siège;Paris;1;active;0238:PA-0117\n"
    f"{INTERNAL_BUYER};{INTERNAL_BUYER}00013;Client Interne SAS;siège;Lille;1;active;0238:PA-THIS\n"
)
FAST = {"redelivery_schedule": "1,1,2", "watchdog_seconds": 30, "peer_timeout_seconds": 1.5}


@pytest.fixture
def platform(tmp_path_factory, request):
    """``@pytest.mark.parametrize("platform", [{setting: value}], indirect=True)`` overrides settings."""
    from werkzeug.test import Client

    from einvoice.directory.cache import reset_directory_cache
    from einvoice.directory.loader import load_csv
    from einvoice.flows.service import reset_default_deps as reset_flows
    from einvoice.reception.service import reset_default_deps as reset_reception
    from einvoice.transmission.service import reset_default_deps

    def reset_all():
        reset_default_deps()
        reset_reception()
        reset_flows()
    from local.peers import PeerNetwork
    from local.queues import QueuePoller
    from local.server import LocalApi
    from local.testing import local_aws

    reset_all()
    reset_directory_cache()
    state = str(tmp_path_factory.getbasetemp() / "transmission-seal")
    overrides = getattr(request, "param", None) or {}
    with local_aws(settings={**FAST, **overrides, "state_dir": state}) as booted:
        load_csv(DIRECTORY.encode())
        peers = PeerNetwork().start()
        peers.register(booted.settings)
        poller = QueuePoller(booted.settings).start()
        try:
            yield SimpleNamespace(settings=booted.settings, peers=peers, poller=poller,
                                  api=Client(LocalApi(pages={"/_local/peers": peers.page})))
        finally:
            poller.stop()
            peers.stop()
            reset_all()
            reset_directory_cache()


@pytest.fixture
def tenant_keys(platform):
    from einvoice.accounts import service

    keys = {}
    for name in ("a", "b"):
        service.create_partner(f"partner-{name}", f"Partner {name.upper()}")
        service.create_account(f"account-{name}", f"partner-{name}", f"Account {name.upper()}")
        keys[name] = service.create_api_key(f"partner-{name}", f"account-{name}",
                                            value=f"test-key-{name}-0123456789abcdef").value
    return keys


def create_company(platform, key: str, siren: str, *, sales=True, purchase=False, duplicate=True) -> str:
    resp = platform.api.post("/v1/companies", headers={"x-api-key": key}, json={
        "identifierType": "SIREN", "identifier": siren, "employees": "11-20", "purchaseInvoices": purchase,
        "purchasePayment": False, "salesInvoices": sales, "duplicateControl": duplicate})
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def wait_for(fn, timeout: float = 60.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
