"""OCR field accuracy and speed (`make bench` runs it; `python bench/ocr_bench.py --help`).

Sets (``--sets``, comma-separated):

* ``i2d``: the **text PDFs** of ``../shared/corpus/invoice2data`` (text layer, no OCR), ground truth in
  each ``<name>.json`` (invoice2data's keys mapped to business terms, ``I2D_FIELDS``); skipped when
  ``../shared`` is absent;
* ``layouts``: the **text PDFs** of diverse synthetic supplier invoices (``local.ocr_layouts``: seven
  layouts, French and English wordings, number and date formats, VAT tables, credit notes,
  multi-page...), buyer = the company;
* ``scan300`` / ``scan200``: the same invoices **scanned** (rasterised at 300 / 200 dpi, rotated up
  to 3 degrees, uneven lighting, faded contrast, noise, blur, JPEG q60-85, a perspective skew for
  some; multi-page ones as a PDF of JPEG pages), read by Tesseract;
* ``platform``: scans of the platform's own rendered layout (``local.ocr_samples``), as before.

The directory is simulated to know the suppliers (as the real Annuaire knows real ones).

Prints, per set: accuracy per field and overall, the wrong fields (each flagged or NOT: confidence
below the review threshold or named by an error finding), the share of documents accepted without
review (SUCCEEDED) and how many of those hold a wrong field, and p50 seconds per page.
``--cache DIR`` keeps the recognised words of each scan (keyed by the scan's bytes and the OCR
code), so that extraction changes can be measured without running Tesseract again.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
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
SCAN_FIELDS = ("BT-1", "BT-2", "BT-3", "BT-5", "BT-9", "BT-25", "BT-27", "BT-29", "BT-30", "BT-31", "BT-44", "BT-84",
               "BT-109", "BT-110", "BT-112", "BT-115")
AMOUNTS = ("BT-109", "BT-110", "BT-112", "BT-115")


def _norm(bt: str, value) -> str:
    from einvoice.identifiers import normalize_identifier
    from einvoice.ocr.normalize import fold

    if value is None:
        return ""
    if bt in AMOUNTS:
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    if bt in ("BT-29", "BT-30", "BT-31", "BT-47", "BT-84"):
        return normalize_identifier(str(value))
    if bt in ("BT-27", "BT-44"):
        return " ".join(fold(str(value)).replace(",", " ").split())
    return str(value).strip()


def _match(bt: str, got, want) -> bool:
    g, w = _norm(bt, got), _norm(bt, want)
    if bt in ("BT-27", "BT-44"):  # names: the issuer's name as printed may carry the legal form or not
        return bool(g) and (g == w or g.startswith(w) or w.startswith(g))
    if bt in ("BT-1", "BT-25"):
        return g.lstrip("#") == w.lstrip("#")
    return g == w


class Stats:
    def __init__(self, title: str) -> None:
        self.title = title
        self.fields: dict[str, list[int]] = {}
        self.wrongs: list[tuple] = []
        self.times: list[float] = []
        self.docs = 0
        self.accepted = 0
        self.accepted_wrong = 0

    def score(self, result, truth: dict[str, str], label: str) -> None:
        data = result.to_json()["fields"]
        flagged = result.flagged()
        wrong_here = 0
        for bt, want in truth.items():
            got = data.get(bt, {}).get("value")
            ok = _match(bt, got, want)
            s = self.fields.setdefault(bt, [0, 0])
            s[0] += ok
            s[1] += 1
            if not ok:
                was_flagged = bt in flagged or got is None
                wrong_here += not was_flagged
                self.wrongs.append((label, bt, got, want, was_flagged))
        self.docs += 1
        if not result.needs_review:
            self.accepted += 1
            self.accepted_wrong += bool(wrong_here)

    def summary(self) -> dict:
        total = sum(s[1] for s in self.fields.values())
        right = sum(s[0] for s in self.fields.values())
        flagged = sum(1 for w in self.wrongs if w[4])
        return {"set": self.title, "right": right, "fields": total, "accuracy": right / max(total, 1),
                "wrong": len(self.wrongs), "wrong_flagged": flagged, "docs": self.docs, "accepted": self.accepted,
                "accepted_with_unflagged_error": self.accepted_wrong,
                "p50_s_per_page": statistics.median(self.times) if self.times else None}

    def report(self, verbose: bool = True) -> None:
        s = self.summary()
        print(f"\n--- {self.title}")
        print(f"{'field':8} {'right':>6} {'of':>4} {'accuracy':>9}")
        for bt in sorted(self.fields, key=lambda b: int(b.split("-")[1])):
            r, t = self.fields[bt]
            print(f"{bt:8} {r:6} {t:4} {100 * r / t:8.1f}%")
        print(f"{'overall':8} {s['right']:6} {s['fields']:4} {100 * s['accuracy']:8.1f}%")
        print(f"wrong fields: {s['wrong']}, flagged for review: {s['wrong_flagged']} "
              f"({100 * s['wrong_flagged'] / max(s['wrong'], 1):.0f} %)")
        print(f"documents: {s['docs']}, accepted without review (SUCCEEDED): {s['accepted']} "
              f"({100 * s['accepted'] / max(s['docs'], 1):.0f} %), of which with an unflagged wrong field: "
              f"{s['accepted_with_unflagged_error']}")
        if verbose:
            for label, bt, got, want, was_flagged in self.wrongs:
                print(f"  {label:34} {bt:6} got {str(got)[:38]!r:42} want {str(want)[:38]!r} "
                      f"{'flagged' if was_flagged else 'NOT FLAGGED'}")
        if self.times:
            print(f"seconds per page: p50 {statistics.median(self.times):.2f}, max {max(self.times):.2f} "
                  f"({len(self.times)} pages)")


def run_i2d() -> Stats | None:
    from einvoice.ocr import pipeline

    if not CORPUS.is_dir():
        print("\n--- invoice2data text PDFs: skipped (../shared/corpus/invoice2data not found)")
        return None
    st = Stats("invoice2data text PDFs (text layer, no OCR)")
    for path in sorted(CORPUS.glob("*.pdf")):
        truth_raw = json.loads(path.with_suffix(".json").read_text())[0]
        truth = {bt: truth_raw[k] for k, bt in I2D_FIELDS.items() if k in truth_raw}
        t0 = time.perf_counter()
        read = pipeline.read_document(path.read_bytes(), "application/pdf")
        result = pipeline.analyse(read.pages, pipeline.Context())
        st.times.append((time.perf_counter() - t0) / max(1, len(read.pages)))
        assert read.source == "text", path
        st.score(result, truth, path.name)
    return st


@functools.cache
def _ocr_version() -> str:
    """The OCR code as imported by this run (read once: editing it during a run does not mislabel the cache)."""
    h = hashlib.sha256()
    for name in ("tesseract.py", "preprocess.py", "document.py"):
        h.update((ROOT / "layers/core/python/einvoice/ocr" / name).read_bytes())
    return h.hexdigest()[:12]


def _read_cached(data: bytes, ctype: str, cache: Path | None):
    """(pages, seconds per page): Tesseract's words, from the cache when this scan was read by this code."""
    from einvoice.ocr import pipeline
    from einvoice.ocr.layout import Page

    key = hashlib.sha256(data).hexdigest()[:20] + "-" + _ocr_version()
    path = cache / f"{key}.json" if cache else None
    if path and path.exists():
        saved = json.loads(path.read_text())
        return [Page.from_json(p) for p in saved["pages"]], saved["seconds_per_page"]
    t0 = time.perf_counter()
    read = pipeline.read_document(data, ctype)
    spp = (time.perf_counter() - t0) / max(1, len(read.pages))
    if path:
        path.write_text(json.dumps({"pages": [p.to_json() for p in read.pages], "seconds_per_page": spp}))
    return read.pages, spp


def run_layouts(sets: list[str], count: int, seed: int, cache: Path | None, first: int = 0) -> list[Stats]:
    import datetime as _dt

    from einvoice.ocr import document, pipeline
    from local import ocr_layouts

    buyer = ocr_layouts.company()
    out = {name: Stats(title) for name, title in (
        ("layouts", "diverse layouts, text PDFs (text layer, no OCR)"),
        ("scan300", "diverse layouts, scans 300 dpi (Tesseract)"),
        ("scan200", "diverse layouts, scans 200 dpi (Tesseract)")) if name in sets}
    for i in range(first, first + count):
        sample = ocr_layouts.sample(seed * 1000 + i, buyer)
        truth = {bt: v for bt, v in sample.truth.items() if bt in SCAN_FIELDS}
        names = {sample.doc.seller["siren"]: sample.doc.seller["name"], buyer["siren"]: buyer["name"]}
        ctx = pipeline.Context(company_siren=buyer["siren"], company_name=buyer["name"], directory_name=names.get,
                               today=_dt.date(2026, 12, 2))
        if "layouts" in out:
            t0 = time.perf_counter()
            pages = document.text_layer(sample.pdf)
            result = pipeline.analyse(pages, ctx)
            out["layouts"].times.append((time.perf_counter() - t0) / len(pages))
            out["layouts"].score(result, truth, sample.label)
        for dpi in (300, 200):
            name = f"scan{dpi}"
            if name not in out:
                continue
            data, ctype = ocr_layouts.scan(sample.pdf, random.Random(seed * 7919 + i * 31 + dpi), dpi)
            pages, spp = _read_cached(data, ctype, cache)
            result = pipeline.analyse(pages, ctx)
            out[name].times.append(spp)
            out[name].score(result, truth, f"{sample.label}@{dpi}")
    return list(out.values())


def _platform_truth(inv: dict) -> dict[str, str]:
    from einvoice.invoicing import calc
    from einvoice.invoicing.model import Invoice

    m = calc.compute(Invoice.model_validate(inv))
    t = m.totals
    out = {"BT-1": m.number, "BT-2": m.issue_date.isoformat(), "BT-3": m.type_code, "BT-5": m.currency,
           "BT-27": m.seller.name, "BT-30": m.seller.siren, "BT-31": m.seller.vat_id, "BT-44": m.buyer.name,
           "BT-109": t.tax_exclusive, "BT-110": t.tax_amount, "BT-112": t.tax_inclusive, "BT-115": t.payable}
    if m.due_date:
        out["BT-9"] = m.due_date.isoformat()
    if m.payment_instructions and m.payment_instructions.credit_transfers:
        out["BT-84"] = m.payment_instructions.credit_transfers[0].account_id
    return out


def run_platform(count: int, seed: int, cache: Path | None) -> Stats:
    import datetime as _dt

    from einvoice.ocr import pipeline
    from local import ocr_samples

    rng = random.Random(seed)
    company = ocr_samples.random_party(rng)
    st = Stats("platform's own layout, scans 300/200 dpi (Tesseract)")
    for dpi in (300, 200):
        rng_dpi = random.Random(seed + dpi)
        for i in range(count):
            inv = ocr_samples.random_invoice(rng_dpi, buyer=company)
            angle = rng_dpi.choice((-1, 1)) * rng_dpi.uniform(1.0, 3.0)
            jpeg = ocr_samples.scan(ocr_samples.render(inv), dpi=dpi, angle=angle, noise=rng_dpi.uniform(6, 14),
                                    quality=rng_dpi.randint(70, 80), seed=i)
            names = {inv["seller"]["siren"]: inv["seller"]["name"], company["siren"]: company["name"]}
            ctx = pipeline.Context(company_siren=company["siren"], company_name=company["name"],
                                   directory_name=names.get, today=_dt.date(2026, 12, 2))
            pages, spp = _read_cached(jpeg, "image/jpeg", cache)
            st.times.append(spp)
            st.score(pipeline.analyse(pages, ctx), _platform_truth(inv), f"platform{dpi}-{i} {inv['number']}")
    return st


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="i2d,layouts,scan300,scan200",
                    help="comma-separated: i2d, layouts, scan300, scan200, platform")
    ap.add_argument("--docs", type=int, default=20, help="synthetic invoices per layout set")
    ap.add_argument("--first", type=int, default=0, help="index of the first synthetic invoice")
    ap.add_argument("--platform-docs", type=int, default=10, help="platform-layout scans per resolution")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--cache", type=Path, default=None, help="directory caching Tesseract's words per scan")
    ap.add_argument("--quiet", action="store_true", help="no list of wrong fields")
    ap.add_argument("--json", type=Path, default=None, help="write the summaries here")
    args = ap.parse_args()
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    results: list[Stats] = []
    if "i2d" in sets:
        st = run_i2d()
        if st:
            results.append(st)
    if {"layouts", "scan300", "scan200"} & set(sets):
        results += run_layouts(sets, args.docs, args.seed, args.cache, args.first)
    if "platform" in sets:
        results.append(run_platform(args.platform_docs, args.seed, args.cache))
    for st in results:
        st.report(verbose=not args.quiet)
    print("\n--- summary")
    print(f"{'set':58} {'fields':>7} {'accuracy':>9} {'wrong':>6} {'flagged':>8} {'auto-accepted':>14} {'p50 s/page':>11}")
    for st in results:
        s = st.summary()
        p50 = f"{s['p50_s_per_page']:.2f}" if s["p50_s_per_page"] is not None else "-"
        print(f"{s['set'][:58]:58} {s['fields']:7} {100 * s['accuracy']:8.1f}% {s['wrong']:6} "
              f"{100 * s['wrong_flagged'] / max(s['wrong'], 1):7.0f}% {s['accepted']:6}/{s['docs']:<3} "
              f"({100 * s['accepted'] / max(s['docs'], 1):3.0f}%) {p50:>6}")
    if args.json:
        args.json.write_text(json.dumps([st.summary() for st in results], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
