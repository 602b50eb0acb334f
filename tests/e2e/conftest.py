"""Start the local platform (``python -m local``, what ``make run`` runs) on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_platform(tmp_path_factory, env_extra: dict[str, str] | None = None) -> Iterator[dict]:
    """``{"base", "aws", "proc", "log"}`` of a platform started in a subprocess; stopped with Ctrl-C after."""
    api_port, aws_port = free_port(), free_port()
    env = dict(os.environ)
    env.pop("AWS_ENDPOINT_URL", None)
    env.pop("EINVOICE_DEMO_API_KEYS", None)
    env.update(env_extra or {})
    env["PYTHONPATH"] = f"{ROOT / 'layers' / 'core' / 'python'}:{ROOT}"
    log = tmp_path_factory.mktemp("e2e") / "platform.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", str(api_port), "--aws-port", str(aws_port)],
            cwd=tmp_path_factory.mktemp("cwd"), env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the platform exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/v1/health", timeout=5) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"the platform was not ready in time:\n{log.read_text()[-3000:]}")
    try:
        yield {"base": base, "aws": f"http://127.0.0.1:{aws_port}", "proc": proc, "log": log, "pid": proc.pid}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("the platform did not stop on Ctrl-C")


@contextmanager
def local_platform(tmp_path_factory, keys: tuple[str, ...]) -> Iterator[dict]:
    """The platform with these demo keys (``running_platform`` with ``EINVOICE_DEMO_API_KEYS``)."""
    with running_platform(tmp_path_factory, {"EINVOICE_DEMO_API_KEYS": ",".join(keys)}) as started:
        yield started
