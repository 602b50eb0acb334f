"""The OpenAPI document and the API agree: a bounded schemathesis campaign finds nothing.

Every check runs except ``positive_data_acceptance`` and ``unsupported_method`` (reasons in
``tests/e2e/schemathesis.toml``), over every route of ``/openapi.json``, against the local platform
(``python -m local`` on free ports) with a demo API key. Bounded to about 2-3 minutes:
``EINVOICE_FUZZ_EXAMPLES`` (per operation, default 10) and ``EINVOICE_FUZZ_SECONDS`` (default 150).
A longer campaign: ``make fuzz FUZZ_SECONDS=1800 FUZZ_EXAMPLES=200`` (the same test, any budget, a random
seed unless ``FUZZ_SEED`` is given); schemathesis prints a ``curl`` line to reproduce each failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import local_platform

pytestmark = pytest.mark.e2e
HERE = Path(__file__).resolve().parent
KEYS = ("fuzz-key-partner-a-0000000000001", "fuzz-key-partner-b-0000000000002")
EXCLUDED = "positive_data_acceptance,unsupported_method"


def flow_token(base: str) -> str:
    """A token of the demo Flow API client (0238:PA-0042), so the oauth2 routes are exercised too."""
    import base64
    import urllib.request

    basic = base64.b64encode(b"demo-pa-0042:einvoice-demo-flow-secret-0042").decode()
    req = urllib.request.Request(f"{base}/oauth2/token", data=b"grant_type=client_credentials",
                                 headers={"Authorization": f"Basic {basic}",
                                          "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["access_token"]


def campaign_command(base: str, key: str, report: Path, *, examples: int, seconds: int, seed: int | None,
                     token: str | None = None) -> list[str]:
    """The schemathesis command line of the campaign (the API key for the API, the Bearer token for the
    Flow API: each route reads only its own)."""
    cmd = [
        str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(HERE / "schemathesis.toml"), "--no-color",
        "run", f"{base}/openapi.json", "--checks", "all", "--exclude-checks", EXCLUDED,
        "-H", f"x-api-key: {key}", *(["-H", f"Authorization: Bearer {token}"] if token else []),
        "--max-examples", str(examples), "--max-time", str(seconds),
        # one worker: with threads, CPython 3.11's ast.parse (used by hypothesis to describe filters)
        # can fail with "AST constructor recursion depth mismatch", an error of the tool, not the API
        "--workers", "1", "--report", "json", "--report-json-path", str(report), "--generation-database", "none",
    ]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    return cmd


def test_schemathesis_campaign_finds_nothing(tmp_path_factory, tmp_path, capsys):
    examples = int(os.environ.get("EINVOICE_FUZZ_EXAMPLES", "10"))
    seconds = int(os.environ.get("EINVOICE_FUZZ_SECONDS", "150"))
    seed_text = os.environ.get("EINVOICE_FUZZ_SEED", "20261202")
    seed = None if seed_text == "random" else int(seed_text)
    report = tmp_path / "schemathesis.json"
    with local_platform(tmp_path_factory, KEYS) as platform:
        cmd = campaign_command(platform["base"], KEYS[0], report, examples=examples, seconds=seconds, seed=seed,
                               token=flow_token(platform["base"]))
        done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=seconds + 240)
    out = done.stdout + done.stderr
    data = json.loads(report.read_text())
    generated = data["test_cases"]["generated"]
    with capsys.disabled():
        print(f"\nschemathesis: {generated} test cases generated, failures: {len(data['failures'])}, "
              f"errors: {len(data['errors'])} (seed {seed}, {examples} examples per operation, {seconds} s budget)")
    assert data["failures"] == [], out[-6000:]
    assert data["errors"] == [], out[-6000:]
    assert done.returncode == 0, out[-6000:]
