"""Issue N invoices (default 1,000) through the local platform and price what they cost on AWS.

Starts the local platform in this process on free ports (moto server, the Express state machine run
from its ASL file, the two simulated peer platforms, the SQS poller), creates one seller and N drafts
through the REST API, then issues them with at most ``--window`` transmissions in flight and waits for
each to reach its final status. Buyers alternate between 0238:PA-0042 (UBL), 0238:PA-0117
(Factur-X) and, one in ten, a buyer served by this platform (internal delivery). The peers do not answer
with their own statuses unless ``--peer-answers`` is given (that load is the reception of statuses).

Measured: invoices per second, p50/p99 from the issue request to the 201 status, and every AWS request
the transmission made, counted per Lambda function with botocore hooks (DynamoDB capacity units are
computed from the item sizes moto stores, GSI copies and transactions included). Priced with the list
prices of ``../shared/docs/aws-costs.md``. Run: ``.venv/bin/python bench/transmission_bench.py [N]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRANSMISSION_FUNCTIONS = ("invoices_issue", "transmission_prepare", "transmission_deliver", "transmission_defer",
                          "transmission_redeliver")
PRICE = {  # ../shared/docs/aws-costs.md (us-east-1 list prices)
    "lambda_request": 0.20e-6, "lambda_gb_s": 0.0000166667, "express_request": 1.00e-6,
    "express_gb_s": 0.00001667, "standard_transition": 25e-6, "wru": 0.625e-6, "rru": 0.125e-6,
    "s3_put": 0.005e-3, "s3_get": 0.0004e-3, "kms": 0.03e-4, "events": 1.00e-6, "sqs": 0.40e-6,
    "s3_standard_gb_month": 0.023, "s3_glacier_ir_gb_month": 0.004, "s3_deep_gb_month": 0.00099,
}
S3_PUT_CLASS = {"PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload",
                "ListObjectsV2", "ListObjectVersions", "PutObjectRetention"}

_local = threading.local()


def call(method, url, key=None, body=None, data=None, ctype="application/json"):
    payload = data if data is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"content-type": ctype} if payload else {}
    if key:
        headers["x-api-key"] = key
    req = urllib.request.Request(url, data=payload, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


class Meter:
    """Per Lambda function: invocations, wall and CPU seconds, AWS requests and DynamoDB capacity units."""

    def __init__(self) -> None:
        self.invocations: Counter = Counter()
        self.wall: defaultdict = defaultdict(float)
        self.cpu: defaultdict = defaultdict(float)
        self.requests: defaultdict = defaultdict(Counter)
        self.wru: defaultdict = defaultdict(float)
        self.rru: defaultdict = defaultdict(float)
        self.entries: Counter = Counter()
        self.seals: Counter = Counter()
        self.lock = threading.Lock()

    def wrap_handlers(self) -> None:
        from local import dispatch

        for name, handler in list(dispatch._handlers.items()):
            def timed(event, context, _h=handler, _n=name):
                previous = getattr(_local, "fn", None)
                _local.fn = _n
                t0, c0 = time.perf_counter(), time.thread_time()
                try:
                    return _h(event, context)
                finally:
                    with self.lock:
                        self.invocations[_n] += 1
                        self.wall[_n] += time.perf_counter() - t0
                        self.cpu[_n] += time.thread_time() - c0
                    _local.fn = previous

            dispatch._handlers[name] = timed

    def wrap_seals(self) -> None:
        from einvoice.transmission import seals

        for attr in ("seal_pdf", "sign_detached"):
            original = getattr(seals, attr)

            def counted(*args, _o=original, _a=attr, **kwargs):
                with self.lock:
                    self.seals[getattr(_local, "fn", "(client)")] += 1
                return _o(*args, **kwargs)

            setattr(seals, attr, counted)

    def install_hooks(self, region: str) -> None:
        from einvoice.adapters.aws.clients import _boto_session

        events = _boto_session().events
        events.register("before-call", self._before)
        events.register("after-call", self._after)
        self.region = region

    def _before(self, model, params, context, **_):
        fn = getattr(_local, "fn", "(client)")
        with self.lock:
            self.requests[fn][f"{model.service_model.service_name}.{model.name}"] += 1
        if model.service_model.service_name == "dynamodb":
            try:
                context["bench_body"] = json.loads(params.get("body") or b"{}")
            except ValueError:
                pass
        if model.name == "PutEvents":
            body = json.loads(params.get("body") or b"{}")
            with self.lock:
                self.entries[fn] += len(body.get("Entries", []))

    def _after(self, model, parsed, context, **_):
        try:
            self._count_capacity(model, parsed, context)
        except Exception as exc:  # noqa: BLE001 - a metering bug must not fail the platform's call
            print(f"metering error on {model.name}: {type(exc).__name__}: {exc}", flush=True)

    def _count_capacity(self, model, parsed, context):
        if model.service_model.service_name != "dynamodb" or "Error" in (parsed or {}):
            return
        body = context.get("bench_body") or {}
        fn = getattr(_local, "fn", "(client)")
        wru = rru = 0.0
        op = model.name
        if op in ("PutItem", "UpdateItem", "DeleteItem"):
            wru = self._write_units(body["TableName"], body.get("Key") or _key(body.get("Item", {})))
        elif op == "TransactWriteItems":
            for item in body.get("TransactItems", []):
                action = next(iter(item.values()))
                wru += 2 * self._write_units(action["TableName"], action.get("Key") or _key(action.get("Item", {})))
        elif op == "BatchWriteItem":
            for table, requests in body.get("RequestItems", {}).items():
                for r in requests:
                    wru += self._write_units(table, _key(r.get("PutRequest", {}).get("Item", {})))
        elif op == "GetItem":
            rru = _read_units([parsed.get("Item")], body.get("ConsistentRead"))
        elif op == "Query":
            rru = _read_units(parsed.get("Items", []), body.get("ConsistentRead"))
        with self.lock:
            self.wru[fn] += wru
            self.rru[fn] += rru

    def _write_units(self, table_name: str, key: dict) -> float:
        from moto.dynamodb.models import dynamodb_backends
        from moto.dynamodb.models.dynamo_type import DynamoType

        from local.bootstrap import ACCOUNT_ID
        from local.dispatch import _ddb_lock

        if not key:
            return 1.0
        with _ddb_lock:
            table = dynamodb_backends[ACCOUNT_ID][self.region].get_table(table_name)
            names = list(key)
            hash_name = table.hash_key_attr
            range_name = table.range_key_attr
            item = table.get_item(DynamoType(key[hash_name]), DynamoType(key[range_name]) if range_name in key else None)
            if item is None:
                return 1.0
            size = item.size()
            gsis = sum(1 for idx in table.global_indexes if idx.schema[0]["AttributeName"] in item.attrs)
        del names
        return math.ceil(size / 1024) * (1 + gsis)

    def total(self, attr: str, functions=TRANSMISSION_FUNCTIONS) -> float:
        return sum(getattr(self, attr)[f] for f in functions)

    def request_total(self, prefix: str, functions=TRANSMISSION_FUNCTIONS, names=None) -> int:
        n = 0
        for f in functions:
            for op, count in self.requests[f].items():
                if op.startswith(prefix) and (names is None or op.split(".", 1)[1] in names):
                    n += count
        return n


def _key(item: dict) -> dict:
    return {k: v for k, v in item.items() if k in ("pk", "sk", "id")}


def _read_units(items, consistent) -> float:
    size = sum(len(json.dumps(i, default=str)) for i in items if i)
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def _vat(siren: str) -> str:
    return "FR%02d%s" % ((12 + 3 * (int(siren) % 97)) % 97, siren)


def _sirens():
    """(seller without platform, buyers on PA-0042, on PA-0117, and free ones for internal buyers)."""
    from einvoice.directory.seed import LA_POSTE_SIREN, LOCAL_SEED, LOCAL_SEED_UNITS, generate_seed

    by: dict[str, list[str]] = defaultdict(list)
    for siren, _siret, _n, label, _c, vat, status, platform in generate_seed(LOCAL_SEED_UNITS, LOCAL_SEED):
        if label == "siège" and vat == "1" and status == "active" and siren != LA_POSTE_SIREN:
            by[platform].append(siren)
    return by[""][0], by["0238:PA-0042"][:50], by["0238:PA-0117"][:50], by[""][1:6]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--window", type=int, default=16, help="transmissions in flight at most")
    parser.add_argument("--peer-answers", action="store_true",
                        help="let the simulated peers answer each invoice with 202/203/204 CDAR flows posted to "
                             "our Flow API (off by default: that is the reception of statuses, not the transmission)")
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT / "layers" / "core" / "python"), str(ROOT)]
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    from local.platform import LocalPlatform
    from tests.unit.invoicing.model_samples import sample_body

    meter = Meter()
    meter.install_hooks("eu-west-3")  # before any client exists: clients copy the session's hooks
    t0 = time.perf_counter()
    platform = LocalPlatform(api_port=0, aws_port=0, quiet=True,
                             state_dir=Path(os.environ.get("TMPDIR", "/tmp")) / "einvoice-bench-state").start()
    meter.region = platform.settings.region
    for peer in platform.peers.peers.values():
        peer.answers = args.peer_answers
    meter.wrap_handlers()
    meter.wrap_seals()
    print(f"platform ready in {time.perf_counter() - t0:.1f} s", flush=True)
    base, key, key_b = platform.api_url, platform.keys[0][2], platform.keys[1][2]
    seller, on42, on117, internal = _sirens()
    status, company = call("POST", f"{base}/v1/companies", key, {
        "identifierType": "SIREN", "identifier": seller, "employees": "51-250", "purchaseInvoices": False,
        "purchasePayment": False, "salesInvoices": True, "duplicateControl": True})
    assert status == 201, company
    for siren in internal:  # buyers served by this platform (another account)
        status, body = call("POST", f"{base}/v1/companies", key_b, {
            "identifierType": "SIREN", "identifier": siren, "employees": "1-10", "purchaseInvoices": True,
            "purchasePayment": False, "salesInvoices": False, "duplicateControl": False})
        assert status == 201, body
    from einvoice.adapters.aws.clients import client
    from einvoice.directory.models import DirectoryLine
    from einvoice.directory.table import line_item

    ddb = client("dynamodb")
    for siren in internal:  # as if enrolled here: the directory names this platform
        ddb.put_item(TableName=platform.settings.directory_table,
                     Item=line_item(DirectoryLine(siren, platform.settings.platform_id)))
    drafts = []
    t_drafts = time.perf_counter()
    for i in range(args.n):
        buyer = internal[i % len(internal)] if i % 10 == 9 else (on42 if i % 2 else on117)[i % 50]
        body = sample_body()
        body["number"] = body["paymentInstructions"]["remittanceInformation"] = f"B{i:06d}"
        body["seller"].update({"siren": seller, "vatId": _vat(seller), "identifiers": [],
                               "electronicAddress": {"value": seller, "scheme": "0225"}})
        body["buyer"].update({"siren": buyer, "vatId": _vat(buyer), "electronicAddress": {"value": buyer,
                                                                                        "scheme": "0225"}})
        status, out = call("POST", f"{base}/v1/invoices", key, {"companyId": company["id"], "invoice": body})
        assert status == 201, out
        drafts.append(out["id"])
    draft_seconds = time.perf_counter() - t_drafts
    draft_counts = {f: dict(meter.requests[f]) for f in ("invoices_create",)}
    print(f"{args.n} drafts created in {draft_seconds:.1f} s; issuing (window {args.window})...", flush=True)

    issued_at: dict[str, float] = {}
    finals: dict[str, dict] = {}
    pending = list(drafts)
    inflight: set[str] = set()
    t_start = time.time()
    last_get: dict[str, float] = {}
    while pending or inflight:
        while pending and len(inflight) < args.window:
            invoice_id = pending.pop(0)
            issued_at[invoice_id] = time.time()
            status, out = call("POST", f"{base}/v1/invoices/{invoice_id}/issue", key)
            assert status == 202, out
            inflight.add(invoice_id)
        time.sleep(0.5)
        # one listing call finds the newly issued ones; a GET now and then catches any other final status
        status, page = call("GET", f"{base}/v1/invoices?companyId={company['id']}&direction=sent&status=201"
                                   f"&limit=100", key)
        done_201 = {item["id"] for item in page["items"]}
        for invoice_id in list(inflight):
            now = time.time()
            if invoice_id not in done_201 and now - last_get.get(invoice_id, issued_at[invoice_id]) < 10:
                continue
            last_get[invoice_id] = now
            status, view = call("GET", f"{base}/v1/invoices/{invoice_id}", key)
            if view["state"] == "DONE":
                finals[invoice_id] = view
                inflight.discard(invoice_id)
                if len(finals) % 100 == 0:
                    print(f"  {len(finals)} done", flush=True)
    t_end = max(_ts(_emitted(v) or v["statusHistory"][-1]["at"]) for v in finals.values())
    report(args, meter, platform, finals, issued_at, t_start, t_end, draft_seconds, draft_counts)
    platform.stop()
    # delivered = 201 Émise in the history (an internal delivery then shows the reception's 202/203)
    return 0 if all(_emitted(v) for v in finals.values()) else 1


def _emitted(view: dict) -> str | None:
    """When the invoice reached 201 Émise, or None."""
    return next((s["at"] for s in view["statusHistory"] if s["code"] == "201"), None)


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def report(args, meter, platform, finals, issued_at, t_start, t_end, draft_seconds, draft_counts):
    from einvoice.adapters.aws.clients import client
    from einvoice.routes import FUNCTIONS

    n = len(finals)
    codes = Counter(v["status"]["code"] for v in finals.values())
    latencies = sorted(_ts(_emitted(v)) - issued_at[i] for i, v in finals.items() if _emitted(v))
    memory = {f.name: f.memory_mb for f in FUNCTIONS}
    fns = TRANSMISSION_FUNCTIONS
    invocations = sum(meter.invocations[f] for f in fns)
    gb_s_wall = sum(meter.wall[f] * memory[f] / 1024 for f in fns)
    sfn = client("stepfunctions")
    machine = platform.settings.transmission_state_machine_arn
    executions, durations = [], []
    kwargs = {"stateMachineArn": machine, "maxResults": 1000}
    while True:
        page = sfn.list_executions(**kwargs)
        executions += page["executions"]
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    for ex in executions:
        d = sfn.describe_execution(executionArn=ex["executionArn"])
        if d.get("stopDate"):
            durations.append((d["stopDate"] - d["startDate"]).total_seconds())
    sample = executions[: min(50, len(executions))]
    transitions = statistics.mean(
        sum(1 for e in sfn.get_execution_history(executionArn=x["executionArn"], maxResults=1000)["events"]
            if e["type"].endswith("StateEntered")) for x in sample) if sample else 0
    express_gb_s = sum(math.ceil(d / 0.1) * 0.1 * 64 / 1024 for d in durations)
    # modelled for AWS: each task lasts its CPU time plus ~15 ms per AWS request and the peer's answer
    aws_calls = sum(sum(meter.requests[f].values()) for f in fns)
    modelled_task_s = (sum(meter.cpu[f] for f in fns) + 0.015 * aws_calls) / n
    modelled_gb_s = sum(meter.cpu[f] * memory[f] / 1024 for f in fns) + sum(
        0.015 * sum(meter.requests[f].values()) * memory[f] / 1024 for f in fns)
    modelled_express_gb_s = len(executions) * math.ceil((modelled_task_s + 0.2) / 0.1) * 0.1 * 64 / 1024
    wru, rru = meter.total("wru"), meter.total("rru")
    s3_put = meter.request_total("s3.", names=S3_PUT_CLASS)
    s3_get = meter.request_total("s3.") - s3_put
    kms = sum(meter.seals[f] for f in fns)
    entries = sum(meter.entries[f] for f in fns)
    # sends by the functions, plus one receive and one delete batch per delivered batch (the poller's empty
    # long polls are left out: Lambda's own poller makes them whatever the traffic)
    sqs = meter.request_total("sqs.", names={"SendMessage"}) + platform.poller.batches * 2
    per = 1000 / n
    lines = [
        ("Lambda requests", invocations, invocations * PRICE["lambda_request"]),
        ("Lambda GB-s (wall, local)", gb_s_wall, gb_s_wall * PRICE["lambda_gb_s"]),
        ("Express requests", len(executions), len(executions) * PRICE["express_request"]),
        ("Express GB-s (64 MB, 100 ms steps)", express_gb_s, express_gb_s * PRICE["express_gb_s"]),
        ("DynamoDB WRU", wru, wru * PRICE["wru"]),
        ("DynamoDB RRU", rru, rru * PRICE["rru"]),
        ("S3 PUT/LIST-class requests", s3_put, s3_put * PRICE["s3_put"]),
        ("S3 GET-class requests", s3_get, s3_get * PRICE["s3_get"]),
        ("KMS Sign (one per seal)", kms, kms * PRICE["kms"]),
        ("EventBridge events", entries, entries * PRICE["events"]),
        ("SQS requests (send, receive, delete)", sqs, sqs * PRICE["sqs"]),
    ]
    total = sum(c for _, _, c in lines)
    print(f"\nTransmission through the local platform (`python bench/transmission_bench.py {args.n} "
          f"--window {args.window}`), load {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    print(f"  final statuses               {dict(codes)} (reached 201: {sum(1 for v in finals.values() if _emitted(v))})")
    print(f"  throughput                   {n / (t_end - t_start):6.2f} invoices/s (issue of the first -> 201 of the last)")
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"  issue -> 201                 p50 {statistics.median(latencies):5.2f} s   p99 {p99:5.2f} s")
    print(f"  drafts (POST /v1/invoices)   {n / draft_seconds:6.1f} per s (not priced below: {draft_counts})")
    print(f"  executions                   {len(executions)} Express ({transitions:.1f} state transitions each; "
          f"median {statistics.median(durations) if durations else 0:.2f} s)")
    print("  per function: invocations, wall s / CPU s per invoice, AWS requests per invoice")
    for f in fns:
        if meter.invocations[f]:
            reqs = ", ".join(f"{op} {c / n:.2f}" for op, c in sorted(meter.requests[f].items()))
            print(f"    {f:24s} {meter.invocations[f] / n:5.2f}  {meter.wall[f] / n:6.3f} / {meter.cpu[f] / n:6.3f}  {reqs}")
    print("  AWS requests and cost per 1,000 invoices (list prices, ../shared/docs/aws-costs.md)")
    for label, qty, cost in lines:
        print(f"    {label:38s} {qty * per:10.1f}   ${cost * per:.4f}")
    print(f"    {'total (processing)':38s} {'':10s}   ${total * per:.4f}   target <= $0.05")
    modelled = total - (gb_s_wall * PRICE["lambda_gb_s"] + express_gb_s * PRICE["express_gb_s"]) + (
        modelled_gb_s * PRICE["lambda_gb_s"] + modelled_express_gb_s * PRICE["express_gb_s"])
    print(f"    modelled for AWS (durations = CPU time + 15 ms per AWS request, not the local wall time that waits "
          f"for the GIL and moto on {os.cpu_count()} CPUs): Lambda {modelled_gb_s * per:.1f} GB-s, Express "
          f"{modelled_express_gb_s * per:.1f} GB-s -> total ${modelled * per:.4f} per 1,000 invoices")
    print(f"    with KMS asymmetric signing at 5x the symmetric price: +${4 * kms * PRICE['kms'] * per:.4f}")
    standard = transitions * len(executions) * PRICE["standard_transition"]
    print(f"    the same flow as a Standard workflow: ${standard * per:.4f} for the state transitions alone")
    archive_report(finals, n)


def archive_report(finals, n):
    """Ten years of archive storage per 1,000 invoices, with the measured container sizes."""
    from einvoice.resources import ARCHIVE_COLD_AFTER_DAYS, ARCHIVE_HOT_EXPIRE_DAYS

    sizes = []
    from einvoice.adapters.aws.clients import table
    from einvoice.invoicing.dynamodb import DynamoInvoiceRepository
    from einvoice.settings import get_settings

    repo = DynamoInvoiceRepository(table(get_settings().data_table))
    for invoice_id in list(finals)[:200]:
        record = repo.get("demo-account-a", invoice_id, with_invoice=False)
        if record and record.archive:
            sizes.append(record.archive["size"])
    avg = statistics.mean(sizes)
    gb = avg * 1000 / 1024**3
    months = 120
    hot = gb * PRICE["s3_standard_gb_month"] * ARCHIVE_HOT_EXPIRE_DAYS / 30
    bundle_standard = gb * PRICE["s3_standard_gb_month"] * ARCHIVE_COLD_AFTER_DAYS / 30
    deep = gb * PRICE["s3_deep_gb_month"] * (months - ARCHIVE_COLD_AFTER_DAYS / 30)
    glacier_ir = gb * PRICE["s3_glacier_ir_gb_month"] * (months - ARCHIVE_COLD_AFTER_DAYS / 30)
    per_object_ir = max(avg, 128 * 1024) * 1000 / 1024**3 * PRICE["s3_glacier_ir_gb_month"] * (months - 3) + \
        gb * PRICE["s3_standard_gb_month"] * 3 + 0.02
    print(f"  archive: one container per invoice, {avg / 1024:.1f} KB on average ({len(sizes)} measured)")
    print(f"    hot container {ARCHIVE_HOT_EXPIRE_DAYS} d Standard ${hot:.4f} + daily bundle {ARCHIVE_COLD_AFTER_DAYS} d "
          f"Standard ${bundle_standard:.4f} + Deep Archive to 10 y ${deep:.4f} = ${hot + bundle_standard + deep:.4f} "
          f"per 1,000 invoices (target <= $0.05)")
    print(f"    with Glacier Instant Retrieval for the bundles instead: ${hot + bundle_standard + glacier_ir:.4f}; "
          f"one object per invoice in Glacier IR (128 KB minimum, transitions): ${per_object_ir:.4f}")


if __name__ == "__main__":
    raise SystemExit(main())
