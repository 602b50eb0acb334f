"""OCR field accuracy and speed (`make bench` runs it; `python bench/ocr_bench.py --help`).

Two sets:

* **text PDFs** of ``../shared/corpus/invoice2data`` (read through their text layer, no OCR),
  ground truth in each ``<name>.json`` (invoice2data's keys mapped to business terms, see
  ``I2D_FIELDS``); skipped when ``../shared`` is absent;
* **scans** of invoices the platform renders (``local.ocr_samples``: random suppliers, lines and
  rates; buyer = the company): rasterised at 300 and 200 dpi, rotated +/- 1-3 degrees, grey noise,
  specks, blur, JPEG q70-80, read by Tesseract. The directory is simulated to know the suppliers
  (as the real Annuaire knows real ones).

Prints, per set: accuracy per field and overall, the wrong fields and whether each was flagged
(confidence below the review threshold or named by an error finding), and p50 seconds per page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers/core/python"), str(ROOT)]
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

CORPUS = ROOT.parent / "shared/corpus/invoice2data/tests/compare"
# invoice2data key -> business term
I2D_FIELDS = {"invoice_number": "BT-1", "date": "BT-2", "currency": "BT-5", "date_due": "BT-9", "issuer": "BT-27",
              "siren": "BT-30", "vat": "BT-31", "amount_untaxed": "BT-109", "amount_tax": "BT-110", "amount": "BT-112"}
SCAN_FIELDS = ("BT-1", "BT-2", "BT-3", "BT-5", "BT-9", "BT-27", "BT-30", "BT-31", "BT-44", "BT-47", "BT-84",
               "BT-109", "BT-110", "BT-112", "BT-115")


def _norm(bt: str, value) -> str:
    from einvoice.identifiers import normalize_identifier
    from einvoice.ocr.normalize import fold

    if value is None:
        return ""
    if bt in ("BT-109", "BT-110", "BT-112", "BT-115"):
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    if bt in ("BT-30", "BT-31", "BT-47", "BT-84"):
        return normalize_identifier(str(value))
    if bt in ("BT-27", "BT-44"):
        return " ".join(fold(str(value)).replace(",", " ").split())
    return str(value).strip()


def _match(bt: str, got, want) -> bool:
    g, w = _norm(bt, got), _norm(bt, want)
    if bt in ("BT-27", "BT-44"):  # names: the issuer's name as printed may carry the legal form or not
        return bool(g) and (g == w or g.startswith(w) or w.startswith(g))
    if bt == "BT-1":
        return g.lstrip("#") == w.lstrip("#")
    return g == w


def _score(result, truth: dict[str, str], stats: dict, wrongs: list, label: str) -> None:
    data = result.to_json()["fields"]
    flagged = result.flagged()
    for bt, want in truth.items():
        got = data.get(bt, {}).get("value")
        ok = _match(bt, got, want)
        s = stats.setdefault(bt, [0, 0])
        s[0] += ok
        s[1] += 1
        if not ok:
            wrongs.append((label, bt, got, want, bt in flagged or got is None))


def _report(title: str, stats: dict, wrongs: list, times: list[float]) -> None:
    total = sum(s[1] for s in stats.values())
    right = sum(s[0] for s in stats.values())
    print(f"\n--- {title}")
    print(f"{'field':8} {'right':>6} {'of':>4} {'accuracy':>9}")
    for bt in sorted(stats, key=lambda b: int(b.split("-")[1])):
        r, t = stats[bt]
        print(f"{bt:8} {r:6} {t:4} {100 * r / t:8.1f}%")
    print(f"{'overall':8} {right:6} {total:4} {100 * right / max(total, 1):8.1f}%")
    flagged = sum(1 for w in wrongs if w[4])
    print(f"wrong fields: {len(wrongs)}, flagged for review: {flagged} ({100 * flagged / max(len(wrongs), 1):.0f} %)")
    for label, bt, got, want, was_flagged in wrongs:
        print(f"  {label:40} {bt:7} got {str(got)[:40]!r:44} want {str(want)[:40]!r} {'flagged' if was_flagged else 'NOT FLAGGED'}")
    if times:
        print(f"seconds per page: p50 {statistics.median(times):.2f}, max {max(times):.2f} ({len(times)} pages)")


def run_text_pdfs() -> None:
    from einvoice.ocr import pipeline

    if not CORPUS.is_dir():
        print("\n--- invoice2data text PDFs: skipped (../shared/corpus/invoice2data not found)")
        return
    stats: dict = {}
    wrongs: list = []
    times = []
    for path in sorted(CORPUS.glob("*.pdf")):
        truth_raw = json.loads(path.with_suffix(".json").read_text())[0]
        truth = {bt: truth_raw[k] for k, bt in I2D_FIELDS.items() if k in truth_raw}
        t0 = time.perf_counter()
        read = pipeline.read_document(path.read_bytes(), "application/pdf")
        result = pipeline.analyse(read.pages, pipeline.Context())
        times.append((time.perf_counter() - t0) / max(1, len(read.pages)))
        assert read.source == "text", path
        _score(result, truth, stats, wrongs, path.name)
    _report("invoice2data text PDFs (text layer, no OCR)", stats, wrongs, times)


def _truth(inv: dict) -> dict[str, str]:
    from einvoice.invoicing import calc
    from einvoice.invoicing.model import Invoice

    m = calc.compute(Invoice.model_validate(inv))
    t = m.totals
    out = {"BT-1": m.number, "BT-2": m.issue_date.isoformat(), "BT-3": m.type_code, "BT-5": m.currency,
           "BT-27": m.seller.name, "BT-30": m.seller.siren, "BT-31": m.seller.vat_id, "BT-44": m.buyer.name,
           "BT-47": m.buyer.siren, "BT-109": t.tax_exclusive, "BT-110": t.tax_amount, "BT-112": t.tax_inclusive,
           "BT-115": t.payable}
    if m.due_date:
        out["BT-9"] = m.due_date.isoformat()
    if m.payment_instructions and m.payment_instructions.credit_transfers:
        out["BT-84"] = m.payment_instructions.credit_transfers[0].account_id
    return out


def run_scans(count: int, dpis: tuple[int, ...], seed: int) -> None:
    import datetime as _dt

    from einvoice.ocr import pipeline
    from local import ocr_samples

    rng = random.Random(seed)
    company = ocr_samples.random_party(rng)
    for dpi in dpis:
        stats: dict = {}
        wrongs: list = []
        times = []
        rng_dpi = random.Random(seed + dpi)
        for i in range(count):
            inv = ocr_samples.random_invoice(rng_dpi, buyer=company)
            pdf = ocr_samples.render(inv)
            angle = rng_dpi.choice((-1, 1)) * rng_dpi.uniform(1.0, 3.0)
            jpeg = ocr_samples.scan(pdf, dpi=dpi, angle=angle, noise=rng_dpi.uniform(6, 14), quality=rng_dpi.randint(70, 80),
                                    seed=i)
            names = {inv["seller"]["siren"]: inv["seller"]["name"], company["siren"]: company["name"]}
            ctx = pipeline.Context(company_siren=company["siren"], company_name=company["name"],
                                   directory_name=names.get, today=_dt.date(2026, 12, 2))
            t0 = time.perf_counter()
            read = pipeline.read_document(jpeg, "image/jpeg")
            result = pipeline.analyse(read.pages, ctx)
            times.append((time.perf_counter() - t0) / len(read.pages))
            _score(result, {bt: v for bt, v in _truth(inv).items() if bt in SCAN_FIELDS}, stats, wrongs,
                   f"scan{dpi}-{i} {inv['number']} ({angle:+.1f} deg)")
        _report(f"scans of rendered invoices, {dpi} dpi JPEG, rotated 1-3 deg, noisy (Tesseract)", stats, wrongs, times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scans", type=int, default=20, help="scans per resolution")
    ap.add_argument("--dpi", default="300,200")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--no-corpus", action="store_true")
    args = ap.parse_args()
    if not args.no_corpus:
        run_text_pdfs()
    if args.scans:
        run_scans(args.scans, tuple(int(d) for d in args.dpi.split(",")), args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
