"""Helpers for functional tests: a fresh local AWS (moto in-process) with every resource created.

Used by ``tests/functional`` fixtures; the same bootstrap as the local platform, minus HTTP.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

from einvoice.settings import Settings
from local.bootstrap import Bootstrapped, bootstrap


@contextmanager
def local_aws(extra_substitutions: dict[str, str] | None = None, fast: bool = True,
              settings: dict | None = None) -> Iterator[Bootstrapped]:
    """``settings``: overrides of the default ``Settings`` (e.g. a short redelivery schedule)."""
    from moto import mock_aws

    from einvoice.accounts.service import clear_cache
    from einvoice.adapters.aws.clients import reset_clients
    from einvoice.seal import reset_sealers
    from einvoice.settings import reset_settings
    from local import dispatch, mailbox

    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with mock_aws(config=config):
        dispatch.install()
        dispatch.register_manifest()
        mailbox.install()
        mailbox.clear()
        if fast:
            dispatch.fast_time()
        reset_clients()
        reset_settings()
        clear_cache()
        reset_sealers()
        _reset_area_deps()
        booted = bootstrap(Settings(**(settings or {})), extra_substitutions)
        try:
            with exported(booted.settings):
                try:
                    yield booted
                finally:
                    _drain_executions()
        finally:
            reset_clients()
            reset_sealers()
            clear_cache()
            _reset_area_deps()


def _reset_area_deps() -> None:
    """The per-container composition roots keep clients and the sealer of one moto session: forget them."""
    from einvoice.flows.service import reset_default_deps as flows
    from einvoice.reception.service import reset_default_deps as reception
    from einvoice.transmission.service import reset_default_deps as transmission

    for reset in (flows, reception, transmission):
        reset()


@contextmanager
def exported(settings: Settings) -> Iterator[Settings]:
    """Export ``settings`` to the process environment (what a deployed Lambda reads), for the block;
    the previous environment and settings cache are restored afterwards."""
    from einvoice.settings import ENV, reset_settings

    saved = {k: os.environ.get(k) for k in ENV.values()}
    os.environ.update(settings.to_env())
    reset_settings()
    try:
        yield settings
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_settings()


def _drain_executions(timeout_seconds: float = 15.0) -> None:
    """Let executions started by a test finish before its moto state goes away, so no background
    execution of one test calls handlers during the next one."""
    import time

    from einvoice.adapters.aws.clients import client

    sfn = client("stepfunctions")
    deadline = time.monotonic() + timeout_seconds
    for machine in sfn.list_state_machines().get("stateMachines", []):
        for ex in sfn.list_executions(stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING").get(
            "executions", []
        ):
            while time.monotonic() < deadline:
                if sfn.describe_execution(executionArn=ex["executionArn"])["status"] != "RUNNING":
                    break
                time.sleep(0.05)
            else:
                sfn.stop_execution(executionArn=ex["executionArn"], error="TestTeardown")
