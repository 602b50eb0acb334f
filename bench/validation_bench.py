"""Validation pipeline benchmark: one-time compile cost per artefact, warm p50/p99 per format.

Usage: .venv/bin/python bench/validation_bench.py [--repeat N] [--max-lines 100] [--breakdown]

Inputs: the corpus under ../shared/corpus (CII XML, UBL XML, Factur-X PDFs whose expected.json says
they are invoices with at most --max-lines lines and a supported BT-24). Targets: p50 <= 15 ms,
p99 <= 50 ms per invoice (warm, in-process).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO / "../shared/corpus").resolve()
FOLDERS = ("xp-z12-french-ctc", "en16931-cen", "zugferd-corpus", "akretion-factur-x")


def corpus_invoices(max_lines: int) -> dict[str, list[Path]]:
    from einvoice.validation.inputs import profile_from_specification_id

    out: dict[str, list[Path]] = {"cii": [], "ubl": [], "facturx": []}
    for folder in FOLDERS:
        path = CORPUS / folder / "expected.json"
        if not path.is_file():
            continue
        for e in json.loads(path.read_text(encoding="utf-8"))["files"]:
            syntax, fields = e.get("syntax") or "", e.get("fields") or {}
            if e.get("kind") not in ("xml", "pdf") or not (syntax.startswith("CII") or syntax.startswith("UBL")):
                continue
            if e.get("wellformed") is False or (fields.get("line_count") or 0) > max_lines:
                continue
            syn = "cii" if syntax.startswith("CII") else "ubl"
            if profile_from_specification_id(syn, fields.get("BT-24_specification_id")) is None:
                continue
            fmt = "facturx" if e["kind"] == "pdf" else syn
            out[fmt].append(CORPUS / folder / e["file"])
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def breakdown(data: bytes) -> dict[str, float]:
    """Stage CPU times for one document (ms): input+detect, XSD, Saxon parse, each stylesheet, SVRL parse."""
    from lxml import etree

    from einvoice.validation import rulesets, saxon, xsd
    from einvoice.validation.engine import prepare

    t = time.process_time()
    prepared = prepare(data)
    stages = {"input+detect": time.process_time() - t}
    plan = rulesets.plan_for(prepared.doc.syntax, prepared.doc.profile or "en16931", prepared.doc.root_name)
    t = time.process_time()
    xsd.validate(plan.schema, prepared.doc.root)
    stages[f"xsd:{plan.schema}"] = time.process_time() - t
    t = time.process_time()
    node = saxon.parse_document(etree.tostring(prepared.doc.root, encoding="unicode"))
    stages["saxon-parse"] = time.process_time() - t
    for key in plan.stylesheets:
        t = time.process_time()
        out = saxon.transform(key, node)
        stages[f"xslt:{key}"] = time.process_time() - t
        t = time.process_time()
        saxon.parse_svrl(out)
        stages[f"svrl:{key}"] = time.process_time() - t
    return {k: v * 1000 for k, v in stages.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="warm runs per file (default 5)")
    ap.add_argument("--max-lines", type=int, default=100)
    ap.add_argument("--breakdown", action="store_true", help="print per-stage timings per format")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    import einvoice.validation as validation

    import_ms = (time.perf_counter() - t0) * 1000
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"]
    print(
        f"load average at start: {' '.join(load)} (wall times inflate when the machine is shared; "
        "cpu = process CPU time)"
    )
    t0 = time.perf_counter()
    compile_ms = validation.warm_up()
    warm_total = (time.perf_counter() - t0) * 1000

    print(f"import einvoice.validation: {import_ms:.0f} ms; warm_up() total: {warm_total:.0f} ms")
    print("\nOne-time cost per artefact (compile XSLT incl. codedb / load XSD)")
    print(f"{'artefact':32} {'ms':>8}")
    for key, ms in sorted(compile_ms.items(), key=lambda kv: -kv[1]):
        print(f"{key:32} {ms:8.0f}")

    files = corpus_invoices(args.max_lines)
    results = {}
    print(f"\nWarm validation per invoice (full pipeline: detect+XSD+schematron+BR-FR), repeat={args.repeat}")
    print(
        f"{'format':8} {'files':>5} {'runs':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}"
        f" {'cpu p50':>8} {'cpu p99':>8}  target p50<=15 p99<=50 (wall)"
    )
    for fmt, paths in files.items():
        samples, cpu = [], []
        docs = [p.read_bytes() for p in paths]
        for data in docs:  # first (cold-ish) pass per file not measured
            validation.validate(data)
        for _ in range(args.repeat):
            for data in docs:
                t, c = time.perf_counter(), time.process_time()
                validation.validate(data)
                samples.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
        p50, p90, p99 = pct(samples, 0.5), pct(samples, 0.9), pct(samples, 0.99)
        ok = "OK" if p50 <= 15 and p99 <= 50 else "MISS"
        c50, c99 = pct(cpu, 0.5), pct(cpu, 0.99)
        results[fmt] = {
            "files": len(docs),
            "runs": len(samples),
            "p50": p50,
            "p90": p90,
            "p99": p99,
            "max": max(samples) if samples else float("nan"),
            "cpu_p50": c50,
            "cpu_p99": c99,
        }
        print(
            f"{fmt:8} {len(docs):5} {len(samples):5} {p50:8.1f} {p90:8.1f} {p99:8.1f} {results[fmt]['max']:8.1f}"
            f" {c50:8.1f} {c99:8.1f}  {ok}"
        )

    if args.breakdown:
        print("\nStage breakdown, process CPU time (median over the format's files, ms)")
        for fmt, paths in files.items():
            per_stage: dict[str, list[float]] = {}
            for p in paths:
                data = p.read_bytes()
                for _ in range(3):
                    for k, v in breakdown(data).items():
                        per_stage.setdefault(k, []).append(v)
            print(f"  {fmt}: " + ", ".join(f"{k}={statistics.median(v):.1f}" for k, v in per_stage.items()))
    if args.json:
        args.json.write_text(json.dumps({"compile_ms": compile_ms, "warm": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
