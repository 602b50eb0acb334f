"""Mass enrolment of 50 companies through the local API (HTTP): time from OTP confirmation to DONE.

Starts the local platform on free ports (moto server, state machine executed from the ASL file),
creates 50 eligible companies from the generated directory seed, enrols them with one OTP read from
the local mailbox, and measures. Run: `.venv/bin/python bench/enrolment_bench.py [N]` or `make bench`.
"""

from __future__ import annotations

import json
import re
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def call(method, url, key=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"} if data else {}
    if key:
        headers["x-api-key"] = key
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def main(n: int = 50) -> int:
    from einvoice.directory.seed import LOCAL_SEED, LOCAL_SEED_UNITS, generate_seed
    from local.platform import LocalPlatform

    t0 = time.perf_counter()
    platform = LocalPlatform(api_port=0, aws_port=0, quiet=True).start()
    ready = time.perf_counter() - t0
    base, key = platform.api_url, platform.keys[0][2]
    eligible = []
    for siren, _siret, _name, label, _city, vat, status, reception in generate_seed(LOCAL_SEED_UNITS, LOCAL_SEED):
        if label == "siège" and vat == "1" and status == "active" and not reception and siren not in eligible:
            eligible.append(siren)
        if len(eligible) == n:
            break
    ids = []
    for siren in eligible:
        status, body = call("POST", f"{base}/v1/companies", key, {
            "identifierType": "SIREN", "identifier": siren, "employees": "1-10", "purchaseInvoices": True,
            "purchasePayment": False, "salesInvoices": False, "duplicateControl": False})
        assert status == 201, body
        ids.append(body["id"])
    status, body = call("POST", f"{base}/v1/enrolments", key, {
        "companyIds": ids, "acceptTerms": True,
        "signatory": {"firstName": "Jeanne", "lastName": "Dupont", "role": "Gérante", "email": "bench@example.fr"}})
    assert status == 202, body
    enrolment_id = body["id"]
    code = None
    while code is None:
        for mail in call("GET", f"{base}/_local/mail.json")[1]:
            match = re.search(r"\b(\d{6})\b", mail["text"])
            if match and "bench@example.fr" in mail["to"]:
                code = match.group(1)
        time.sleep(0.05)
    t_confirm = time.perf_counter()
    status, body = call("POST", f"{base}/v1/enrolments/{enrolment_id}/otp", key, {"code": code})
    assert status == 200, body
    while True:
        state = call("GET", f"{base}/v1/enrolments/{enrolment_id}", key)[1]
        if state["state"] != "REGISTERING" and state["state"] != "OTP_SENT":
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - t_confirm
    platform.stop()
    registered = sum(1 for c in state["companies"] if c["result"] == "REGISTERED")
    import os

    print(f"\nMass enrolment through the local API (`python bench/enrolment_bench.py {n}`), load {os.getloadavg()[0]:.1f}")
    print(f"  platform ready in            {ready:6.1f} s")
    print(f"  companies                    {n:6d} ({registered} registered, final state {state['state']})")
    print(f"  OTP confirmation -> {state['state']:<8} {elapsed:6.1f} s (directory lines, sealed certificate, archive)")
    return 0 if state["state"] == "DONE" else 1


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
