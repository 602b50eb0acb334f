"""Directory: AFNOR HTTP adapter (against a loopback http.server), TTL cache, seed, loader parsing, service."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from einvoice.directory.afnor import AfnorDirectory
from einvoice.directory.cache import CachedDirectory
from einvoice.directory.loader import _group_items, iter_rows
from einvoice.directory.models import Establishment, LegalUnit
from einvoice.directory.seed import LA_POSTE_SIREN, generate_seed, luhn_check_digit
from einvoice.errors import InvalidInputError, NotFoundError, UpstreamUnavailableError
from einvoice.identifiers import is_valid_siren, is_valid_siret

SIREN = "641989900"
SIRET = "64198990000106"


class _Handler(BaseHTTPRequestHandler):
    calls: list = []  # noqa: RUF012 - shared by the handler threads

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code, doc=None, raw=None):
        body = raw if raw is not None else json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        _Handler.calls.append(("GET", self.path, self.headers.get("Authorization")))
        if self.path == f"/ds/v1/siren/code-insee:{SIREN}":
            return self._send(
                200,
                {
                    "siren": SIREN,
                    "businessName": "Menuiserie Lefèvre",
                    "entityType": "PrivateVatRegistered",
                    "administrativeStatus": "A",
                },
            )
        if self.path == "/ds/v1/siren/code-insee:356000000":
            return self._send(
                200,
                {"siren": "356000000", "businessName": "La Poste", "entityType": "Public", "administrativeStatus": "C"},
            )
        if self.path == f"/ds/v1/siret/code-insee:{SIRET}":
            return self._send(
                200,
                {
                    "siret": SIRET,
                    "siren": SIREN,
                    "name": "Menuiserie Lefèvre",
                    "facilityType": "P",
                    "administrativeStatus": "A",
                    "entityType": "PrivateVatRegistered",
                    "address": {"locality": "Toulouse"},
                },
            )
        if self.path.startswith("/ds/v1/siren/code-insee:500"):
            return self._send(503, {"error": "down"})
        if self.path.startswith("/ds/v1/siren/code-insee:slow"):
            time.sleep(1.0)
            return self._send(200, {})
        if self.path.startswith("/ds/v1/siren/code-insee:garbage"):
            return self._send(200, raw=b"<html>")
        if self.path.startswith("/ds/v1/routing-code/siret:"):
            return self._send(200, {"routingIdentifier": "SERVICE-1", "routingIdentifierType": "0224"})
        return self._send(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        _Handler.calls.append(("POST", self.path, body))
        if self.path == "/ds/v1/directory-line/search":
            siren = body["filters"]["siren"]["value"]
            return self._send(
                200,
                {
                    "results": [
                        {
                            "addressingIdentifier": siren,
                            "siren": siren,
                            "platformType": "WK",
                            "platformId": "0238:PA-0042",
                            "directoryLineStatus": "Enabled",
                        }
                    ]
                },
            )
        if self.path == "/ds/v1/directory-line":
            return self._send(201, body)
        return self._send(404, {})


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # the client gave up (timeout test)
        pass


@pytest.fixture(scope="module")
def server():
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/ds"
    httpd.shutdown()


def test_afnor_lookups(server):
    d = AfnorDirectory(server, token="tok", timeout=2)
    u = d.get_siren(SIREN)
    assert u == LegalUnit(SIREN, "Menuiserie Lefèvre", True, "active", None)
    lp = d.get_siren("356000000")
    assert lp.vat_liable is False and lp.status == "closed"
    e = d.get_siret(SIRET)
    assert (e.siren, e.establishment, e.city, e.active) == (SIREN, "siège", "Toulouse", True)
    assert d.get_siren("123456782") is None  # 404 -> None
    assert d.get_siret("12345678200015") is None
    lines = d.lines_for(SIREN)
    assert lines[0].platform_id == "0238:PA-0042" and lines[0].addressing_identifier == SIREN
    assert d.get_routing_code(SIRET, "SERVICE-1")["routingIdentifierType"] == "0224"
    assert d.register_line(SIREN, SIRET, "0238:PA-THIS").addressing_identifier == f"{SIREN}_{SIRET}"
    assert ("GET", f"/ds/v1/siren/code-insee:{SIREN}", "Bearer tok") in _Handler.calls
    units, ests = d.get_many([SIREN, "123456782"], [SIRET])
    assert set(units) == {SIREN} and set(ests) == {SIRET}


@pytest.mark.parametrize("siren", ["500000000", "slow00000", "garbage00"])
def test_afnor_outages_raise_upstream_unavailable(server, siren):
    d = AfnorDirectory(server, timeout=0.3)
    with pytest.raises(UpstreamUnavailableError):
        d.get_siren(siren)


def test_afnor_connection_refused_is_upstream_unavailable():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(UpstreamUnavailableError):
        AfnorDirectory(f"http://127.0.0.1:{port}", timeout=0.5).get_siren(SIREN)


class _Fake:
    def __init__(self):
        self.calls = 0
        self.down = False

    def get_siren(self, siren):
        self.calls += 1
        if self.down:
            raise UpstreamUnavailableError("down")
        return LegalUnit(siren, "X", True) if siren == SIREN else None

    def get_siret(self, siret):
        self.calls += 1

    def lines_for(self, siren):
        self.calls += 1
        return []

    def register_line(self, siren, siret, platform_id):
        from einvoice.directory.models import DirectoryLine

        return DirectoryLine(siren, platform_id, siret)

    def get_many(self, sirens, sirets):
        self.calls += 1
        return {}, {}


def test_cache_ttl_negative_caching_and_outages_not_cached():
    now = [0.0]
    inner = _Fake()
    d = CachedDirectory(inner, ttl=60, clock=lambda: now[0])
    assert d.get_siren(SIREN).siren == SIREN
    assert d.get_siren(SIREN).siren == SIREN
    assert d.get_siren("123456782") is None and d.get_siren("123456782") is None
    assert inner.calls == 2
    now[0] = 61
    inner.down = True
    with pytest.raises(UpstreamUnavailableError):
        d.get_siren(SIREN)
    with pytest.raises(UpstreamUnavailableError):  # the outage was not cached as an answer
        d.get_siren(SIREN)
    inner.down = False
    assert d.get_siren(SIREN) is not None
    d.lines_for(SIREN)
    d.lines_for(SIREN)
    calls = inner.calls
    d.register_line(SIREN, None, "0238:PA-THIS")
    d.lines_for(SIREN)
    assert inner.calls == calls + 1  # register_line invalidated the lines


def test_cache_is_bounded():
    d = CachedDirectory(_Fake(), ttl=60, max_entries=10)
    for i in range(50):
        d.get_siret(f"{i:014d}")
    assert len(d._data) == 10


def test_seed_is_valid_deterministic_and_varied():
    rows = list(generate_seed(800, seed=3))
    assert rows == list(generate_seed(800, seed=3))
    assert all(is_valid_siren(r[0]) and is_valid_siret(r[1]) and r[1].startswith(r[0]) for r in rows)
    assert len({r[1] for r in rows}) == len(rows)
    units = {r[0]: r for r in rows}
    assert len(units) == 801
    assert any(r[0] == LA_POSTE_SIREN and r[1] != "35600000000048" for r in rows)
    assert sum(1 for r in units.values() if r[5] == "0") > 20  # not VAT-liable
    assert sum(1 for r in units.values() if r[6] == "closed") > 5
    assert {r[7] for r in units.values()} >= {"", "0238:PA-THIS", "0238:PA-0042", "0238:PA-0117"}
    assert luhn_check_digit("64198990") == "0"


def test_loader_rows_and_items():
    data = (
        "\ufeffsiren;siret;name;establishment;city;vat_liable;status;reception_platform\n"
        f"{SIREN};{SIRET};Menuiserie Lefèvre;siège;Toulouse;1;active;0238:PA-0042\n"
        f"{SIREN};64198990000171;Menuiserie Lefèvre;établissement 1;Albi;1;closed;0238:PA-0117\n"
        "123;12345678901234;Bad;;;1;active;\n"
    ).encode()
    from einvoice.directory.loader import LoadReport

    report = LoadReport()
    rows = list(iter_rows(data, report))
    assert [r["siret"] for r in rows] == [SIRET, "64198990000171"]
    assert report.rejected == 1 and report.errors[0]["line"] == 4
    items = _group_items(rows)
    sks = [i["sk"]["S"] for i in items]
    assert sks == ["UL", f"LINE#{SIREN}", f"SIRET#{SIRET}", "SIRET#64198990000171", f"LINE#{SIREN}_64198990000171"]
    assert items[0]["status"]["S"] == "active" and items[0]["receptionPlatform"]["S"] == "0238:PA-0042"
    assert _group_items(rows) == items  # deterministic


def test_directory_service_errors():
    from einvoice.directory import service

    class Dir(_Fake):
        def get_siret(self, siret):
            return Establishment(siret, siret[:9], "X") if siret == SIRET else None

    d = Dir()
    assert service.get_legal_unit(SIREN, directory=d)["vatLiable"] is True
    assert service.get_establishment(SIRET, directory=d)["siret"] == SIRET
    with pytest.raises(InvalidInputError) as exc:
        service.get_legal_unit("641989901", directory=d)
    assert exc.value.details[0].field == "siren"
    with pytest.raises(InvalidInputError):
        service.get_establishment("123", directory=d)
    with pytest.raises(NotFoundError):
        service.get_legal_unit("123456782", directory=d)
    d.down = True
    with pytest.raises(UpstreamUnavailableError):
        service.get_legal_unit(SIREN, directory=d)


def test_cli_generate(tmp_path, capsys):
    from einvoice.cli import main

    out = tmp_path / "dir.csv"
    assert main(["directory", "generate", "25", "-o", str(out), "--seed", "5"]) == 0
    text = out.read_text(encoding="utf-8").splitlines()
    assert text[0] == "siren;siret;name;establishment;city;vat_liable;status;reception_platform"
    assert len(text) > 26 and all(len(line.split(";")) == 8 for line in text)
