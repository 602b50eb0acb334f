"""Hostile-input run against a local platform (its own process, free ports): peak RSS and p99 per route.

Sends the table of ``tests/hostile_cases.py`` (every route: missing keys, control characters, bodies
over 10 MB, invalid UTF-8, deep JSON, huge numbers, wrong content types...) ``--rounds`` times, plus the
largest inputs the API accepts (a CSV import of almost 10 MB, a document of almost 10 MB to validate, a
JSON invoice of 2,000 lines, parsed and validated, then refused as its company is unknown), and prints for the platform process: RSS after warm-up, peak RSS
(``VmHWM``) growth, RSS once the run is over, and p50/p99 latency per route, plus every answer
outside the error contract (expected: none).

Run: ``.venv/bin/python bench/hostile_bench.py [--rounds 3]`` or ``make bench`` (``bench/run.py``).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-hostile-key-partner-a-00001"
KEYS = f"{KEY},bench-hostile-key-partner-b-00002"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def _reset_peak(pid: int) -> None:
    """Linux >= 4.0: writing 5 to clear_refs resets VmHWM to the current RSS."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


def _request(port: int, method: str, url: str, headers: dict, data: bytes | None) -> tuple[int, bytes, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    t0 = time.perf_counter()
    try:
        conn.request(method, url, body=data, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, body, time.perf_counter() - t0
    except (ConnectionError, http.client.HTTPException) as exc:  # the server may close after a refused body
        return -1, str(exc).encode(), time.perf_counter() - t0
    finally:
        conn.close()


def _in_contract(route, status: int, body: bytes) -> bool:
    """The shared contract of the hostile table (``tests.hostile_cases.contract``): the platform body, or
    the AFNOR error shape on the Flow API routes; never a 5xx, never a trace."""
    from tests.hostile_cases import CONTRACT, contract

    if status < 0 or status >= 500:
        return False
    if status < 400:
        return True
    if b"Traceback" in body or b'File "' in body:
        return False
    try:
        keys = set(json.loads(body))
    except ValueError:
        return False
    return keys in (contract(route, status) if route is not None else [CONTRACT])


def _token(api_port: int) -> str:
    """A token of the demo Flow API client (0238:PA-0042, printed by ``make run``): the Flow API routes are
    sent what a platform sends, not an API key."""
    basic = base64.b64encode(b"demo-pa-0042:einvoice-demo-flow-secret-0042").decode()
    status, body, _ = _request(api_port, "POST", "/oauth2/token", {
        "Authorization": f"Basic {basic}", "content-type": "application/x-www-form-urlencoded"},
        b"grant_type=client_credentials")
    if status != 200:
        raise SystemExit(f"no Flow API token: {status} {body[:200]!r}")
    return json.loads(body)["access_token"]


def _auth(case, route, token: str) -> dict:
    headers = dict(case.headers)
    if case.auth and route.auth == "oauth2":
        headers["Authorization"] = f"Bearer {token}"
    elif case.auth:
        headers["x-api-key"] = KEY
    return headers


def _large_inputs() -> list[tuple[str, str, str, dict, bytes]]:
    """The largest inputs the API accepts (route label, method, url, headers, body)."""
    from einvoice.api import limits
    from einvoice.invoicing.convert import convert
    from tests.unit.invoicing.model_samples import sample_body, sample_invoice

    line = b"SIREN;123456789;1-10;1;0;1;0\n"
    csv = line * ((limits.MAX_BODY_BYTES - 1024) // len(line))
    cii = convert(sample_invoice(), to="cii")
    note = b"<!-- " + b"x" * (limits.MAX_BODY_BYTES - len(cii) - 1024) + b" -->"
    big_xml = cii.replace(b"?>", b"?>" + note, 1) if cii.startswith(b"<?xml") else note + cii
    invoice = sample_body()
    invoice["lines"] = [dict(invoice["lines"][0], id=str(i)) for i in range(limits.MAX_INVOICE_LINES)]
    body = json.dumps({"companyId": "co_0000000000000000", "invoice": invoice}).encode()
    return [
        ("POST /v1/companies/imports", "POST", "/v1/companies/imports?header=false", {"content-type": "text/csv"}, csv),
        ("POST /v1/validations", "POST", "/v1/validations", {"content-type": "application/xml"}, big_xml),
        ("POST /v1/conversions", "POST", "/v1/conversions?to=ubl", {"content-type": "application/xml"}, big_xml),
        ("POST /v1/invoices", "POST", "/v1/invoices", {"content-type": "application/json"}, body),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3, help="times the hostile table is sent")
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core" / "python")]
    from tests.hostile_cases import cases, routes

    api_port, aws_port = _free_port(), _free_port()
    env = dict(os.environ, EINVOICE_DEMO_API_KEYS=KEYS, PYTHONPATH=f"{ROOT / 'layers' / 'core' / 'python'}:{ROOT}")
    env.pop("AWS_ENDPOINT_URL", None)
    workdir = tempfile.mkdtemp(prefix="hostile-bench-")
    log = open(Path(workdir) / "platform.log", "w")  # noqa: SIM115 - closed at the end
    proc = subprocess.Popen([sys.executable, "-m", "local", "--port", str(api_port), "--aws-port", str(aws_port)],
                            cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"the platform exited: {(Path(workdir) / 'platform.log').read_text()[-2000:]}")
            try:
                if _request(api_port, "GET", "/v1/health", {}, None)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        token = _token(api_port)
        table = [(f"{r.method} {r.path}", r, c) for r in routes() for c in cases(r)]
        # warm-up: one round loads every handler module once (not counted)
        for _label, route, case in table:
            _request(api_port, case.method, case.path + ("?" + case.query if case.query else ""),
                     _auth(case, route, token), case.data)
        time.sleep(2)
        rss0, _ = _rss_kb(proc.pid)
        _reset_peak(proc.pid)
        latencies: dict[str, list[float]] = defaultdict(list)
        outside: list[str] = []
        sent = 0
        for _ in range(args.rounds):
            for label, route, case in table:
                url = case.path + ("?" + case.query if case.query else "")
                status, body, seconds = _request(api_port, case.method, url, _auth(case, route, token), case.data)
                sent += 1
                latencies[label].append(seconds)
                if not _in_contract(route, status, body):
                    outside.append(f"{label} [{case.name}] -> {status} {body[:120]!r}")
        _, hwm_hostile = _rss_kb(proc.pid)
        large_peaks = []
        for label, method, url, headers, data in _large_inputs():
            rss_before, _ = _rss_kb(proc.pid)
            _reset_peak(proc.pid)
            status, body, seconds = _request(api_port, method, url, dict(headers, **{"x-api-key": KEY}), data)
            time.sleep(1.0)
            _, hwm = _rss_kb(proc.pid)
            large_peaks.append((label, len(data), status, (hwm - rss_before) / 1024, seconds))
            latencies[label + " (largest input)"].append(seconds)
            if not _in_contract(None, status, body):
                outside.append(f"{label} [largest input] -> {status} {body[:120]!r}")
        time.sleep(15)  # background imports finish, freed memory is trimmed
        rss_end, _ = _rss_kb(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

    print(f"hostile inputs sent: {sent} ({len(table)} per round x {args.rounds}) over {len(routes())} routes")
    print(f"platform RSS after warm-up {rss0 / 1024:.0f} MB; peak during the hostile rounds "
          f"+{(hwm_hostile - rss0) / 1024:.0f} MB; after the whole run {rss_end / 1024:.0f} MB "
          f"({(rss_end - rss0) / 1024:+.0f} MB)")
    for label, size, status, growth, seconds in large_peaks:
        print(f"  largest input {label}: {size / 1e6:.1f} MB -> {status}, peak RSS +{growth:.0f} MB, "
              f"{seconds * 1000:.0f} ms")
    print(f"answers outside the error contract: {len(outside)}")
    for line in outside[:20]:
        print("  " + line)
    print(f"{'route':48s} {'n':>4s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for label, values in latencies.items():
        values = sorted(values)
        p99 = values[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))]
        print(f"{label:48s} {len(values):4d} {statistics.median(values) * 1000:8.1f} {p99 * 1000:8.1f}")
    return 1 if outside else 0


if __name__ == "__main__":
    raise SystemExit(main())
