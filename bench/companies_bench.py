"""Companies benchmark: a 100,000-line CSV import and searches over 100,000 companies.

Runs the use cases (``einvoice.imports.service`` / ``einvoice.companies.service``) with their
DynamoDB / S3 adapters against a moto server started in a separate process (so this process's
peak RSS is the import's, not the fake AWS's storage): the path the chunk Lambda takes, driven
chunk task by chunk task as the state machine does. Prints a table.

    .venv/bin/python bench/companies_bench.py --in-process --no-search   # 100,000 lines, ~15 min
    .venv/bin/python bench/companies_bench.py --no-search --lines 20000   # moto server: clean peak RSS
    .venv/bin/python bench/companies_bench.py --search-only --fake-index  # search over 100,000 companies
    .venv/bin/python bench/companies_bench.py --endpoint-url http://127.0.0.1:5000   # running platform

moto's ``Query`` sorts the whole table on every call (O(n log n) in Python), so search latency
measured on moto grows with the table (seconds at a few thousand items) and says nothing about
DynamoDB; ``--search-only --fake-index`` measures the domain's own cost per search on an in-memory
sorted index with DynamoDB's paging rules, and the DynamoDB operations per search.

Measured:
* import wall time (start_import + every chunk), peak RSS (``resource.getrusage``);
* DynamoDB write requests per 1,000 lines (PutItem/UpdateItem/TransactWriteItems/..., counted by a
  botocore ``before-call`` hook on the client the domain uses; target <= 15: one transaction per
  98 companies created), and the write capacity those requests cost (DynamoDB bills a
  transactional write 2 WCU per KB, a plain one 1 WCU per KB);
* lines validated per CPU second (parser + field rules alone, ``time.process_time``; target >= 20,000);
* search p50/p95 and DynamoDB operations per search, by kind (identifier prefix, exact, name).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _start_moto() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    # moto's server with the local platform's cheaper TransactWriteItems (local/dispatch.py)
    code = (
        "from local.dispatch import cheap_transactions; cheap_transactions(); "
        f"from moto.server import main; main(['-H', '127.0.0.1', '-p', '{port}'])"
    )
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'layers' / 'core' / 'python'}:{ROOT}")
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("moto_server did not start")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=5000, help="lines per chunk (one Lambda invocation)")
    ap.add_argument("--searches", type=int, default=15, help="searches per kind")
    ap.add_argument("--search-seconds", type=float, default=300, help="time budget of the search phase")
    ap.add_argument(
        "--search-only",
        action="store_true",
        help="skip the import: write --lines companies directly (in-process moto), then search",
    )
    ap.add_argument(
        "--fake-index",
        action="store_true",
        help="with --search-only: an in-memory sorted index instead of moto (moto's Query sorts the whole "
        "table on every call, so its latency says nothing about DynamoDB); measures the domain's cost",
    )
    ap.add_argument("--endpoint-url", help="use this running moto/local platform instead of starting one")
    ap.add_argument(
        "--in-process",
        action="store_true",
        help="moto in this process (faster than the server; RSS then includes moto's tables)",
    )
    ap.add_argument("--no-search", action="store_true", help="import only (moto's Query is O(table) per call)")
    args = ap.parse_args(argv)
    if args.search_only and args.fake_index:
        return _search_fake(args)
    if args.search_only:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
        return _search_only(args)

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
    if args.in_process:
        from moto import mock_aws

        from local.dispatch import cheap_transactions

        with mock_aws():
            cheap_transactions()
            return _run(args, None)
    proc = None
    url = args.endpoint_url
    if not url:
        proc, url = _start_moto()
    try:
        return _run(args, url)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _run(args, url: str) -> int:
    from einvoice.adapters.aws.clients import client
    from einvoice.directory.loader import load_csv
    from einvoice.directory.seed import generate_seed, seed_bytes
    from einvoice.directory.table import TableDirectory
    from einvoice.imports import csv_format, service
    from einvoice.imports.memory import MemoryWorkflow
    from einvoice.settings import Settings
    from einvoice.tenancy import Tenant

    stage = f"bench{random.randrange(10**6)}"
    s = Settings(
        endpoint_url=url,
        data_table=f"{stage}-data",
        directory_table=f"{stage}-directory",
        tenancy_table=f"{stage}-tenancy",
        drop_bucket=f"{stage}-drop",
        import_chunk_lines=args.chunk,
    )
    _create_resources(s)

    # Directory: enough generated legal units for `lines` distinct SIREN/SIRET identifiers.
    units = max(10, int(args.lines / 2.55) + 50)
    t0 = time.perf_counter()
    seed = seed_bytes(units, seed=7)
    dir_report = load_csv(seed, settings=s)
    dir_seconds = time.perf_counter() - t0

    rows = list(generate_seed(units, seed=7))
    idents: list[tuple[str, str]] = []
    seen_sirens: set[str] = set()
    for r in rows:
        if r[0] not in seen_sirens:
            seen_sirens.add(r[0])
            idents.append(("SIREN", r[0]))
        idents.append(("SIRET", r[1]))
    rng = random.Random(11)
    rng.shuffle(idents)
    idents = idents[: args.lines]
    options = ["1;0;1;1", "1;1;0;0", "0;0;1;0", "1;0;0;1"]
    ranges = ["1-10", "11-20", "21-50", "51-250", "250-+"]
    lines = ["type;identifiant;effectif;achats;paiement;ventes;doublons"]
    lines += [f"{t};{i};{rng.choice(ranges)};{rng.choice(options)}" for t, i in idents]
    body = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    del lines, rows

    # Validation alone (reader + field rules), CPU time.
    c0 = time.process_time()
    n_valid = sum(1 for row, _ in csv_format.parse_bytes(body, None) if row is not None)
    validate_cpu = time.process_time() - c0

    tenant = Tenant(partner_id="p-bench", account_id="acc-bench", api_key_id="k-bench")
    deps = service.ImportDeps(settings=s, workflow=MemoryWorkflow(), directory=TableDirectory(settings=s))
    ddb = client("dynamodb", s)
    counts: dict[str, int] = {}
    wcu = [0.0]

    def count(model, params, **kw):
        counts[model.name] = counts.get(model.name, 0) + 1
        if model.name == "TransactWriteItems":  # 2 WCU per started KB of each item, transactional
            for a in params["TransactItems"]:
                item = (a.get("Put") or {}).get("Item")
                wcu[0] += 2 * -(-len(json.dumps(item)) // 1024) if item else 2

    ddb.meta.events.register("before-parameter-build.dynamodb", count)
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    imp = service.start_upload(tenant, body, None, None, deps=deps)
    task = deps.workflow.started[-1][1]
    invocations = 0
    while not task["done"]:
        task = service.run_task(task, deps=deps)
        invocations += 1
    import_wall = time.perf_counter() - t0
    rss_after = _rss_mb()
    ddb.meta.events.unregister("before-parameter-build.dynamodb", count)
    out = service.get_import(tenant, imp.id, deps=deps)
    writes = sum(
        v
        for k, v in counts.items()
        if k in ("PutItem", "UpdateItem", "BatchWriteItem", "DeleteItem", "TransactWriteItems")
    )
    reads = sum(v for k, v in counts.items() if k in ("GetItem", "BatchGetItem", "Query", "Scan"))
    chunks = (args.lines + args.chunk - 1) // args.chunk

    print()
    print(
        f"Companies import benchmark ({args.lines:,} lines, chunks of {args.chunk:,}, DynamoDB: moto {url or 'in-process'})"
    )
    print("-" * 78)
    rows_out = [
        (
            "directory seed loaded",
            f"{dir_report.items:,} items in {dir_seconds:.1f} s ({dir_report.requests} BatchWriteItem)",
        ),
        (
            "import state",
            (
                f"{out.state}: read {out.lines_read:,}, imported {out.imported:,}, "
                f"rejected {out.rejected:,}, existing {out.existing:,}"
            ),
        ),
        ("import wall time", f"{import_wall:.1f} s ({chunks} chunks, {import_wall / chunks:.2f} s per chunk)"),
        ("peak RSS (this process)", f"{rss_after:.0f} MB (before import {rss_before:.0f} MB)"),
        ("DynamoDB write requests", f"{writes:,} -> {writes * 1000 / args.lines:.1f} per 1,000 lines (target <= 15)"),
        ("  of which transactions", f"{counts.get('TransactWriteItems', 0):,} ({wcu[0] * 1000 / args.lines:,.0f} WCU "
                                   "per 1,000 lines, transactional)"),
        ("DynamoDB read requests", f"{reads:,} -> {reads * 1000 / args.lines:.1f} per 1,000 lines (batched lookups)"),
        (
            "validation alone",
            f"{args.lines / validate_cpu:,.0f} lines per CPU second (target >= 20,000), {n_valid:,} valid",
        ),
    ]
    for k, v in rows_out:
        print(f"{k:<28} {v}")
    sys.stdout.flush()
    if not args.no_search:
        _search(args, s, tenant, [i for _, i in idents], out.imported, rng)
    ok = writes * 1000 / args.lines <= 15 and args.lines / validate_cpu >= 20000 and out.state == "SUCCEEDED"
    return 0 if ok else 1


def _search(args, s, tenant, companies: list[str], count: int, rng: random.Random, repository=None) -> None:
    from einvoice.companies import service

    kinds = {
        "identifier exact": lambda: {"identifier": rng.choice(companies), "exact": True},
        "identifier prefix (6 digits)": lambda: {"identifier": rng.choice(companies)[:6]},
        "name word (common)": lambda: {"name": rng.choice(["boulangerie", "girard", "martin", "hôtel"])},
        "name + identifier prefix": lambda: {"name": "sarl", "identifier": rng.choice(companies)[:4]},
        "list (first page)": lambda: {},
        "name (no match, 1 request)": lambda: {"name": "zzzz"},
    }
    budget = args.search_seconds / len(kinds)
    print("-" * 78)
    print(f"{f'search over {count:,} companies (limit 50)':<34}{'p50 ms':>9}{'max ms':>9}{'ops/search':>12}{'n':>5}")
    for kind, make in kinds.items():
        res = []
        started = time.perf_counter()
        while len(res) < args.searches and (not res or time.perf_counter() - started < budget):
            counter = service.OpCounter()
            q0 = time.perf_counter()
            service.search_companies(tenant, limit=50, settings=s, counter=counter, repository=repository, **make())
            res.append(((time.perf_counter() - q0) * 1000, counter.operations))
        ms = sorted(r[0] for r in res)
        ops = statistics.mean(r[1] for r in res)
        print(f"{kind:<34}{statistics.median(ms):>9.1f}{ms[-1]:>9.1f}{ops:>12.1f}{len(res):>5}")
        sys.stdout.flush()
    print()


def _search_only(args) -> int:
    """Write ``--lines`` company items straight into an in-process moto table, then search."""
    from moto import mock_aws

    from einvoice.adapters.aws.clients import client, reset_clients
    from einvoice.directory.loader import BatchWriter
    from einvoice.settings import Settings
    from einvoice.tenancy import Tenant

    with mock_aws():
        reset_clients()
        s = Settings()
        _create_resources(s)
        tenant = Tenant(partner_id="p-bench", account_id="acc-bench", api_key_id="k-bench")
        writer = BatchWriter(client("dynamodb", s), s.data_table)
        t0 = time.perf_counter()
        companies = _write_companies(args.lines, writer.put)
        writer.flush()
        print(f"{len(companies):,} companies written in {time.perf_counter() - t0:.1f} s (in-process moto)")
        _search(args, s, tenant, companies, len(companies), random.Random(11))
    return 0


class _FakeIndex:
    """Just enough of DynamoDB ``Query`` on ``gsi1`` for ``search_companies`` (key conditions, ``contains``
    filters, ``Limit``, 1 MB pages, ``ExclusiveStartKey``), on a sorted list: O(log n + page)."""

    def __init__(self) -> None:
        import bisect
        import json

        self._bisect, self._json = bisect, json
        self.parts: dict[str, list[tuple[str, str, dict, int]]] = {}

    def put(self, item: dict) -> None:
        self.parts.setdefault(item["gsi1pk"]["S"], []).append(
            (item["gsi1sk"]["S"], item["sk"]["S"], item, len(self._json.dumps(item)))
        )

    def freeze(self) -> None:
        self.keys = {}
        for pk, rows in self.parts.items():
            rows.sort(key=lambda r: (r[0], r[1]))
            self.keys[pk] = [(r[0], r[1]) for r in rows]

    def query(self, **kw):
        v = kw["ExpressionAttributeValues"]
        rows = self.parts.get(v[":p"]["S"], [])
        keys = self.keys.get(v[":p"]["S"], [])
        cond = kw["KeyConditionExpression"]
        prefix = v[":i"]["S"] if ":i" in v else ""
        exact = "gsi1sk = :i" in cond
        start = self._bisect.bisect_left(keys, (prefix,)) if prefix else 0
        if "ExclusiveStartKey" in kw:
            esk = kw["ExclusiveStartKey"]
            start = max(start, self._bisect.bisect_right(keys, (esk["gsi1sk"]["S"], esk["sk"]["S"])))
        words = [v[k]["S"] for k in sorted(v) if k.startswith(":n")]
        limit = kw.get("Limit")
        items, size, scanned, last = [], 0, 0, None
        for i in range(start, len(rows)):
            sk1, sk, item, n = rows[i]
            if (exact and sk1 != prefix) or (prefix and not sk1.startswith(prefix)):
                break
            if size + n > 1_048_576 or (limit and scanned >= limit):
                last = rows[i - 1]
                break
            size += n
            scanned += 1
            if all(w in item["nameNorm"]["S"] for w in words):
                items.append(item)
        out = {"Items": items, "Count": len(items), "ScannedCount": scanned}
        if last is not None:
            out["LastEvaluatedKey"] = {
                "pk": last[2]["pk"],
                "sk": last[2]["sk"],
                "gsi1pk": last[2]["gsi1pk"],
                "gsi1sk": last[2]["gsi1sk"],
            }
        return out


def _write_companies(count: int, put) -> list[str]:
    """``count`` companies of account ``acc-bench`` (SIRENs and SIRETs of the generated directory),
    each passed to ``put(item)``; returns their identifiers."""
    from einvoice.companies.dynamodb import to_item
    from einvoice.companies.model import new_company, now_iso
    from einvoice.directory.models import LegalUnit
    from einvoice.directory.seed import generate_seed

    companies, seen = [], set()
    now = now_iso()
    for siren, siret, name, *_ in generate_seed(int(count / 2.55) + 50, seed=7):
        for itype, ident in (("SIREN", siren), ("SIRET", siret)):
            if ident in seen or len(companies) >= count:
                continue
            seen.add(ident)
            companies.append(ident)
            put(
                to_item(
                    new_company(
                        account_id="acc-bench",
                        identifier_type=itype,
                        identifier=ident,
                        employees="1-10",
                        purchase_invoices=True,
                        purchase_payment=False,
                        sales_invoices=True,
                        duplicate_control=False,
                        record=LegalUnit(ident[:9], name, True),
                        now=now,
                    )
                )
            )
    return companies


def _search_fake(args) -> int:
    from einvoice.companies.dynamodb import DynamoCompanyRepository
    from einvoice.settings import Settings
    from einvoice.tenancy import Tenant

    fake = _FakeIndex()
    companies = _write_companies(args.lines, fake.put)
    fake.freeze()
    print(f"{len(companies):,} companies in an in-memory sorted index (domain cost only, no moto)")
    tenant = Tenant(partner_id="p-bench", account_id="acc-bench", api_key_id="k-bench")
    repository = DynamoCompanyRepository(fake, "fake-index")  # the adapter's queries, on the fake index
    _search(args, Settings(), tenant, companies, len(companies), random.Random(11), repository=repository)
    return 0


def _create_resources(s) -> None:
    from local.bootstrap import create_buckets, create_tables

    create_tables(s)  # both skip what already exists
    create_buckets(s)


if __name__ == "__main__":
    sys.exit(main())
