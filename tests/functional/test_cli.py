"""``einvoice`` commands: the local platform by default, AWS only when asked, one-line failures (exit 2)."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from einvoice.cli import LOCAL_ENDPOINT, CliFailure, build_parser, target_settings

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _einvoice(*args, env_update=None, unset=()):
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update({"PYTHONPATH": f"{ROOT / 'layers' / 'core' / 'python'}:{ROOT}", "AWS_EC2_METADATA_DISABLED": "true",
                **(env_update or {})})
    env.pop("EINVOICE_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "einvoice.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


def _one_line_failure(proc, *fragments):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("einvoice: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_targets_the_local_platform_unless_told_otherwise(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY")
    for name in ("AWS_PROFILE", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):  # restored after the test
        monkeypatch.setenv(name, "placeholder")
        monkeypatch.delenv(name)
    parser = build_parser()
    local = target_settings(parser.parse_args(["directory", "load", "x.csv"]))
    assert local.endpoint_url == LOCAL_ENDPOINT == "http://127.0.0.1:4566"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing", "the local platform gets its fake credentials, never yours"
    other = target_settings(parser.parse_args(["admin", "create-partner", "p", "P", "--endpoint-url",
                                               "http://127.0.0.1:4999"]))
    assert other.endpoint_url == "http://127.0.0.1:4999"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    aws = target_settings(parser.parse_args(["directory", "load", "x.csv", "--aws", "--region", "eu-west-1"]))
    assert aws.endpoint_url is None and aws.region == "eu-west-1" and "AWS_ENDPOINT_URL" not in os.environ
    target_settings(parser.parse_args(["directory", "load", "x.csv", "--profile", "prod"]))
    assert os.environ["AWS_PROFILE"] == "prod"
    with pytest.raises(CliFailure, match="cannot be combined"):
        target_settings(parser.parse_args(["directory", "load", "x.csv", "--aws", "--endpoint-url", "http://x"]))


def test_directory_load_into_a_running_local_aws(tmp_path):
    from moto.server import ThreadedMotoServer

    from einvoice.adapters.aws.clients import client
    from einvoice.settings import Settings
    from local.bootstrap import create_tables

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        settings = Settings(endpoint_url=f"http://127.0.0.1:{port}")
        create_tables(settings)
        csv = tmp_path / "extract.csv"
        assert _einvoice("directory", "generate", "3", "-o", str(csv)).returncode == 0
        proc = _einvoice("directory", "load", str(csv), "--endpoint-url", settings.endpoint_url)
        assert proc.returncode == 0, proc.stderr
        sirens = {line.split(";")[0] for line in csv.read_text().splitlines()[1:] if line}
        assert json.loads(proc.stdout)["legalUnits"] == len(sirens) >= 3
        items = client("dynamodb", settings).scan(TableName=settings.directory_table)["Items"]
        assert {i["pk"]["S"] for i in items if i["sk"]["S"] == "UL"} == {f"SIREN#{s}" for s in sirens}
        # the table is missing on another local AWS: one line naming the refusal
        client("dynamodb", settings).delete_table(TableName=settings.directory_table)
        _one_line_failure(_einvoice("directory", "load", str(csv), "--endpoint-url", settings.endpoint_url),
                          "refused", "ResourceNotFoundException")
    finally:
        server.stop()


def test_nothing_listening_is_one_line_pointing_to_make_run(tmp_path):
    csv = tmp_path / "extract.csv"
    csv.write_text("123456782;;X;;Paris;1;active;\n")
    url = f"http://127.0.0.1:{_free_port()}"
    _one_line_failure(_einvoice("directory", "load", str(csv), "--endpoint-url", url),
                      f"the local platform at {url} is not reachable", "make run")
    _one_line_failure(_einvoice("admin", "create-partner", "p1", "P", "--endpoint-url", url), "make run")


def test_aws_without_credentials_is_one_line(tmp_path):
    csv = tmp_path / "extract.csv"
    csv.write_text("123456782;;X;;Paris;1;active;\n")
    no_creds = {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    unset = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
    _one_line_failure(_einvoice("directory", "load", str(csv), "--aws", env_update=no_creds, unset=unset),
                      "no AWS credentials found")
    _one_line_failure(_einvoice("admin", "create-account", "a1", "--partner", "p", "--name", "A", "--aws",
                                env_update=no_creds, unset=unset), "no AWS credentials found")
    _one_line_failure(_einvoice("directory", "load", str(csv), "--profile", "nosuch", env_update=no_creds,
                                unset=unset), "AWS profile not found: nosuch")


def test_a_missing_file_is_one_line():
    _one_line_failure(_einvoice("directory", "load", "no-such-extract.csv"), "no-such-extract.csv",
                      "No such file or directory")
