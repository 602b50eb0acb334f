"""The whole platform in one process: moto server (local AWS) + bootstrap + REST API on loopback."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from einvoice.settings import Settings

DEFAULT_DEMO_KEYS = (
    "einvoice-demo-key-partner-a-0001",
    "einvoice-demo-key-partner-b-0002",
)
# A legal unit of the generated directory (einvoice.directory.seed, LOCAL_SEED_UNITS / LOCAL_SEED), also the
# README's walk-through company
BANNER_SIREN = "994753911"
DEMO_TENANTS = (
    ("demo-partner-a", "Demo Partner A (white label)", "demo-account-a", "Cabinet Comptable A"),
    ("demo-partner-b", "Demo Partner B (white label)", "demo-account-b", "Cabinet Comptable B"),
)

LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-3",
    "AWS_REGION": "eu-west-3",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_NAMESPACE": "EInvoice",
    "POWERTOOLS_SERVICE_NAME": "einvoice",
    "OMP_THREAD_LIMIT": "1",
}


def local_transmission_settings() -> dict:
    """Redeliveries a person can watch (minutes, not the production hours); EINVOICE_* variables override."""
    return {
        "redelivery_schedule": os.environ.get("EINVOICE_REDELIVERY_SCHEDULE", "10,30,60,120"),
        "watchdog_seconds": int(os.environ.get("EINVOICE_WATCHDOG_SECONDS", "120")),
        "peer_timeout_seconds": float(os.environ.get("EINVOICE_PEER_TIMEOUT_SECONDS", "5")),
    }


def apply_local_env() -> None:
    for k, v in LOCAL_ENV.items():
        os.environ.setdefault(k, v)


def demo_keys() -> list[str]:
    raw = os.environ.get("EINVOICE_DEMO_API_KEYS", "")
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        return list(DEFAULT_DEMO_KEYS)
    if len(keys) < len(DEMO_TENANTS):
        raise SystemExit(f"EINVOICE_DEMO_API_KEYS needs {len(DEMO_TENANTS)} comma-separated keys")
    return keys


class _BackendBatchWriter:
    """``batch_write_item`` straight into moto's in-process DynamoDB backend (local seeding only)."""

    def __init__(self, region: str) -> None:
        from moto.dynamodb.models import dynamodb_backends

        from local.bootstrap import ACCOUNT_ID

        self.backend = dynamodb_backends[ACCOUNT_ID][region]

    def batch_write_item(self, RequestItems: dict) -> dict:  # noqa: N803 - boto3's parameter name
        from local.dispatch import _ddb_lock

        with _ddb_lock:
            for table, requests in RequestItems.items():
                for request in requests:
                    self.backend.put_item(table, request["PutRequest"]["Item"])
        return {}


@dataclass
class LocalPlatform:
    api_port: int = 3000
    aws_port: int = 4566
    host: str = "127.0.0.1"
    seed_directory: bool = True
    state_dir: Path = field(default_factory=lambda: Path(".local-state"))
    settings: Settings | None = None
    quiet: bool = False

    def start(self) -> "LocalPlatform":
        apply_local_env()
        import logging

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer
        from werkzeug.serving import make_server

        from einvoice.adapters.aws.clients import reset_clients
        from einvoice.seal import reset_sealers
        from einvoice.settings import reset_settings
        from local import dispatch, mailbox
        from local.bootstrap import bootstrap
        from local.server import JsonErrorRequestHandler, LocalApi

        self.moto = ThreadedMotoServer(ip_address=self.host, port=self.aws_port, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.aws_port = port
        # moto's Step Functions executor calls Lambda and other services through this port
        os.environ["MOTO_PORT"] = str(port)
        endpoint = f"http://{host}:{port}"
        req = urllib.request.Request(
            f"{endpoint}/moto-api/config",
            data=json.dumps({"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}).encode(),
            method="POST",
        )
        urllib.request.urlopen(req, timeout=10).read()
        dispatch.install()
        dispatch.register_manifest()
        mailbox.install()

        self.state_dir.mkdir(parents=True, exist_ok=True)
        base = Settings(endpoint_url=endpoint, state_dir=str(self.state_dir.resolve()),
                        webhooks_allow_loopback_http=True,  # the local sink page is on loopback http
                        oauth_token_url=f"http://{self.host}:{self.api_port}/oauth2/token",
                        **local_transmission_settings())
        booted = bootstrap(base)
        self.settings = booted.settings
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        os.environ.update(self.settings.to_env())
        reset_settings()
        reset_clients()
        reset_sealers()
        self.keys = self.seed()

        from local.peers import PeerNetwork
        from local.queues import QueuePoller

        self.peers = PeerNetwork(self.host).start()
        self.peers.register(self.settings)
        self.poller = QueuePoller(self.settings).start()
        from local.schedules import Scheduler
        from local.webhook_sink import WebhookSink

        self.scheduler = Scheduler().start()
        self.sink = WebhookSink(self.settings)
        self.api = LocalApi(api_id=booted.rest_api_id, access_log=not self.quiet,
                            pages={"/_local/peers": self.peers.page, "/_local/webhooks": self.sink.page})
        self.http = make_server(self.host, self.api_port, self.api, threaded=True,
                                request_handler=JsonErrorRequestHandler)
        self.api_port = self.http.server_address[1]
        self.peers.connect_home(self.api_url)  # the peers answer our invoices and deliver theirs here
        self.thread = threading.Thread(target=self.http.serve_forever, name="local-api", daemon=True)
        self.thread.start()
        return self

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    def seed(self) -> list[tuple[str, str, str]]:
        """Demo tenants (and the directory seed when its loader is present)."""
        from einvoice.accounts import service

        keys = demo_keys()
        out = []
        for (partner_id, partner_name, account_id, account_name), key in zip(DEMO_TENANTS, keys[: len(DEMO_TENANTS)], strict=True):
            service.create_partner(partner_id, partner_name, {"displayName": partner_name})
            service.create_account(account_id, partner_id, account_name)
            service.create_api_key(partner_id, account_id, value=key)
            out.append((partner_id, account_id, key))
        if self.seed_directory:
            t0 = time.perf_counter()
            self.seed_directory_data()
            self.seed_seconds = time.perf_counter() - t0
        return out

    def seed_directory_data(self) -> dict:
        """The generated directory data set, plus ../shared/fixtures/directory-seed.csv when present.

        Written straight into the in-process moto backend (same data as ``einvoice directory load``
        through the API, which goes over HTTP and takes several times longer for 12,000 items)."""
        from einvoice.directory import seed
        from einvoice.directory.loader import load_csv

        writer = _BackendBatchWriter(self.settings.region)
        out = {"generated": load_csv(seed.seed_bytes(seed.LOCAL_SEED_UNITS, seed.LOCAL_SEED), settings=self.settings,
                                     client=writer).to_json()}
        fixture = seed.shared_fixture_path()
        if fixture:
            out["fixture"] = load_csv(fixture, settings=self.settings, client=writer).to_json()
        self.directory_seed = out
        return out

    def stop(self) -> None:
        if getattr(self, "http", None):
            self.http.shutdown()
        if getattr(self, "scheduler", None):
            self.scheduler.stop()
        if getattr(self, "poller", None):
            self.poller.stop()
        if getattr(self, "peers", None):
            self.peers.stop()
        if getattr(self, "moto", None):
            self.moto.stop()

    def banner(self) -> str:
        lines = [
            "",
            "einvoice local platform is ready",
            f"  API           {self.api_url}/v1/health",
            f"  Swagger UI    {self.api_url}/docs   (OpenAPI: {self.api_url}/openapi.json)",
            f"  Mailbox       {self.api_url}/_local/mail   ({self.api_url}/_local/mail.json)",
            f"  Peer PAs      {self.api_url}/_local/peers   (switch ok / down / slow / reject; "
            f"POST /_local/peers/<id>/send delivers an invoice here)",
            *(f"                {p.platform_id}  Flow API {p.url}" for p in self.peers.peers.values()),
            f"  Flow API      {self.api_url}/v1/flows   (AFNOR XP Z12-013; OAuth2 token: POST {self.api_url}/oauth2/token)",
            *(f"                client of {p.platform_id}: id {p.home_client[0]}  secret {p.home_client[1]}"
              for p in self.peers.peers.values() if p.home_client),
            f"  PPF (Flux 1, Flux 6)  s3://{self.settings.outbox_bucket}/ppf/flux1/ and ppf/flux6/   "
            f"(aws s3 ls --endpoint-url http://{self.host}:{self.aws_port} ...)",
            f"  Webhook sink  {self.api_url}/_local/webhooks   (subscribe {self.api_url}/_local/webhooks/sink)",
            f"  Local AWS     http://{self.host}:{self.aws_port}   (moto; dashboard /moto-api/)",
            f"  Seal          KMS key in moto, certificate by a local CA: {self.state_dir / 'seal-ca.pem'}",
            "  Demo API keys (header x-api-key):",
        ]
        for partner_id, account_id, key in self.keys:
            lines.append(f"    {key}   partner={partner_id} account={account_id}")
        seeded = getattr(self, "directory_seed", None)
        if seeded:
            units = sum(v["legalUnits"] for v in seeded.values())
            ests = sum(v["establishments"] for v in seeded.values())
            lines.append(f"  Directory     {units} legal units, {ests} establishments seeded ({', '.join(seeded)})")
        lines += [
            "  Try:",
            f"    curl -s {self.api_url}/v1/me -H 'x-api-key: {self.keys[0][2]}'",
            f"    curl -s {self.api_url}/v1/directory/siren/{BANNER_SIREN} -H 'x-api-key: {self.keys[0][2]}'",
            "Ctrl-C stops the platform.",
            "",
        ]
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m local", description="Run the platform locally")
    parser.add_argument("--port", type=int, default=int(os.environ.get("EINVOICE_API_PORT", "3000")))
    parser.add_argument("--aws-port", type=int, default=int(os.environ.get("EINVOICE_AWS_PORT", "4566")))
    parser.add_argument("--no-directory-seed", action="store_true")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    platform = LocalPlatform(api_port=args.port, aws_port=args.aws_port, seed_directory=not args.no_directory_seed)
    platform.start()
    print(platform.banner(), flush=True)
    print(f"(ready in {time.perf_counter() - t0:.1f} s)", flush=True)
    stop = threading.Event()
    import signal

    # Handle both explicitly: a process started in the background by a shell inherits an ignored SIGINT.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    print("stopping...", flush=True)
    platform.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
