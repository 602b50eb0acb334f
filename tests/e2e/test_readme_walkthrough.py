"""The README's walk-through, run as written against a local platform on free ports.

Each fenced block after a ``<!-- walkthrough -->`` marker is split into commands (continuation
lines and multi-line quotes joined). A command's trailing comment says what it must give:
``# 200`` (HTTP status), ``# exit 0`` (exit code), ``-> <name>`` (the response's ``id`` -- or, for
``<code>``, the one-time password in the last e-mail -- replaces ``<name>`` in later commands) and
``until key=value`` (repeated until the JSON response has it). Only the ports change: the README's
``http://127.0.0.1:3000`` becomes this platform's API, and commands that reach local AWS get its
endpoint. Commands run with bash in a scratch directory where ``docs/`` is the repository's.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, running_platform

pytestmark = pytest.mark.e2e

README = ROOT / "README.md"
STATUS = re.compile(r"#\s*(?:(?P<http>\d{3})|exit (?P<exit>\d+))(?P<rest>[^#]*)$")
PLACEHOLDER = re.compile(r"<([A-Za-z]+)>")


def walkthrough_commands(text: str) -> list[tuple[str, str]]:
    """[(command, expectation comment)] of every marked block, in order."""
    commands: list[tuple[str, str]] = []
    for block in re.findall(r"<!-- walkthrough -->\s*```bash\n(.*?)```", text, re.S):
        pending = ""
        for line in block.splitlines():
            pending = f"{pending}\n{line}" if pending else line
            if pending.rstrip().endswith("\\"):
                continue
            try:
                shlex.split(pending, comments=True)
            except ValueError:  # an open quote: the command goes on
                continue
            body, comment = _split_comment(pending)
            if body.strip():
                commands.append((body.strip(), comment))
            pending = ""
        assert not pending, f"unterminated command in the README: {pending!r}"
    return commands


def _split_comment(command: str) -> tuple[str, str]:
    last = command.rstrip().splitlines()[-1]
    match = STATUS.search(last)
    if match is None:
        return ("" if command.lstrip().startswith("#") else command), ""
    return command[: len(command) - len(last)] + last[: match.start()], match.group(0)


def test_the_readme_has_a_walkthrough_with_an_expectation_per_request():
    commands = walkthrough_commands(README.read_text())
    assert len(commands) >= 20
    for command, expectation in commands[1:]:
        assert expectation, f"no expected status for: {command}"
    used = {m for command, _ in commands for m in PLACEHOLDER.findall(command)}
    produced = {m for _, exp in commands for m in PLACEHOLDER.findall(exp.split("until")[0])}
    assert used - {"accountId"} <= produced, used - produced
    for path in re.findall(r"@?(docs/examples/[\w./-]+)", README.read_text()):
        assert (ROOT / path).exists(), path


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    with running_platform(tmp_path_factory) as started:  # the default demo keys, as in the README
        yield started


def _run(command: str, cwd: Path) -> tuple[int, str]:
    script = 'curl() { command curl -w "\\n__STATUS__%{http_code}\\n" "$@"; }\n' + command
    proc = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=180)
    return proc.returncode, proc.stdout + proc.stderr


def _http(output: str) -> tuple[int, str]:
    body, _, status = output.rpartition("__STATUS__")
    return int(status.split()[0]), body.strip()


def test_readme_walkthrough_runs_as_written(platform, tmp_path):
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    commands = walkthrough_commands(README.read_text())
    setup = commands[0][0].replace("http://127.0.0.1:3000", platform["base"])
    values: dict[str, str] = {}
    for command, expectation in commands[1:]:
        def fill(match, _values=values):
            return _values.get(match.group(1), match.group(0))

        text = PLACEHOLDER.sub(fill, command)
        assert not re.search(r"<(companyId|importId|enrolmentId|invoiceId|code)>", text), f"unresolved: {text}"
        text = text.replace(".venv/bin/einvoice", f"{sys.executable} -m einvoice.cli")
        if "directory load" in text or " admin " in text:
            text += f" --endpoint-url {platform['aws']}"
        match = STATUS.search(expectation)
        until = re.search(r"until (\w+)=(\w+)", expectation)
        deadline = time.monotonic() + 120
        while True:
            code, output = _run(f"{setup}\n{text}", tmp_path)
            if match.group("exit") is not None:
                assert code == int(match.group("exit")), f"{text}\n{output[-2000:]}"
                break
            status, body = _http(output)
            assert status == int(match.group("http")), f"{text}\n{status} {body[:2000]}"
            waiting = until and json.loads(body).get(until.group(1)) != until.group(2)
            if "<code>" in expectation:  # the e-mail is sent by the state machine: it may take a moment
                mails = [m for m in json.loads(body) if "jeanne@example.fr" in json.dumps(m.get("to"))]
                waiting = not mails
            if waiting:
                assert time.monotonic() < deadline, f"{text}: never reached {expectation}: {body[:1000]}"
                time.sleep(0.5)
                continue
            break
        for name in PLACEHOLDER.findall(expectation.split("until")[0]):
            if name == "code":
                values[name] = re.search(r"\b(\d{6})\b", mails[-1]["text"]).group(1)
            else:
                values[name] = json.loads(body)["id"]
    assert {"companyId", "importId", "enrolmentId", "code", "invoiceId"} <= set(values)
    # what the walk-through claims
    assert (tmp_path / "accord-formel.pdf").read_bytes()[:5] == b"%PDF-"
    assert (tmp_path / "facture.pdf").read_bytes()[:5] == b"%PDF-"
    assert b"Invoice" in (tmp_path / "facture-ubl.xml").read_bytes()
    assert (tmp_path / "lisible.pdf").exists()


def test_banner_identifiers_exist_in_the_directory(platform):
    import urllib.request

    banner = platform["log"].read_text()
    sirens = re.findall(r"/v1/directory/siren/(\d{9})", banner)
    assert sirens, banner[-2000:]
    key = re.search(r"(einvoice-demo-key-partner-a-\d+)", banner).group(1)
    for siren in sirens:
        req = urllib.request.Request(f"{platform['base']}/v1/directory/siren/{siren}", headers={"x-api-key": key})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200 and json.loads(resp.read())["siren"] == siren
