"""Peak and retained memory of one validation, per input kind, each in a fresh interpreter.

Issue 9 target: any accepted input of at most 10 MB raises the process's peak memory by at most 200 MB,
and the memory is released afterwards. For each input the child process validates the small fixture
first (imports, stylesheet compilation, caches), resets the kernel's peak-RSS counter
(``/proc/self/clear_refs`` = 5), validates the input and reports the peak RSS (``VmHWM``) minus the RSS
before the call, and the RSS still held after it (``VmRSS``) minus the RSS before (Linux only).

    .venv/bin/python bench/validation_memory.py [--lines 8000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import gc, json, sys, time
sys.path[:0] = [{repo!r} + "/layers/core/python", {repo!r} + "/tests/unit/validation", {repo!r}]
from validation_test_support import fixture, hybrid_pdf, zeros_stream, flate
from einvoice.validation import validate
from einvoice.errors import DomainError

def status_mib(key):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key)) / 1024

validate(fixture("fr-en16931.facturx.pdf")); validate(fixture("fr-en16931.cii.xml")); validate(fixture("fr-en16931.ubl.xml"))
data = open({path!r}, "rb").read()
gc.collect()
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset the peak RSS (VmHWM) to the current RSS
base_rss = status_mib("VmRSS:")
t0 = time.perf_counter()
try:
    report = validate(data)
    outcome = f"{{report.verdict}} ({{len(report.findings)}} findings)"
except DomainError as exc:
    outcome = f"refused {{type(exc).__name__}}"
elapsed = time.perf_counter() - t0
peak = status_mib("VmHWM:")
report = None
gc.collect()
print(json.dumps({{"bytes": len(data), "outcome": outcome, "seconds": round(elapsed, 2),
                  "peak_rise_mib": round(peak - base_rss, 1), "retained_mib": round(status_mib("VmRSS:") - base_rss, 1)}}))
"""


def make_inputs(workdir: Path, lines: int) -> dict[str, Path]:
    sys.path[:0] = [str(REPO / "layers/core/python"), str(REPO / "tests/unit/validation")]
    import json as _json
    import os

    from validation_test_support import fixture, hybrid_pdf, zeros_stream

    from einvoice.invoicing import calc, cii, facturx, ubl
    from einvoice.invoicing.model import Invoice

    body = _json.loads((REPO / "tests/unit/invoicing/test_render_data/invoice_full.json").read_text(encoding="utf-8"))
    line = body["lines"][1]
    body["lines"] = [dict(line, id=str(i), name=f"Article numéro {i}") for i in range(1, lines + 1)]
    inv = calc.compute(Invoice.model_validate(body))
    big_cii = cii.to_cii(inv, "en16931", pretty=True)
    out = {
        f"cii-{lines}-lines.xml": big_cii,
        f"ubl-{lines}-lines.xml": ubl.to_ubl(inv),
        f"facturx-{lines}-lines.pdf": facturx.embed_xml(_render(inv), big_cii),
        # a 10 MB PDF of incompressible attachments next to the small invoice
        "facturx-10MB-random-attachments.pdf": hybrid_pdf(
            fixture("fr-en16931.cii.xml"),
            attachments={f"scan-{i}.bin": (b"/Length %d" % (3 << 20), os.urandom(3 << 20)) for i in range(3)},
        ),
        # a 220 KB PDF holding 3 x 70 MB zero-filled attachments (issue 9: cost 300 MB before)
        "facturx-3x70MB-zero-attachments.pdf": hybrid_pdf(
            fixture("fr-en16931.cii.xml"),
            attachments={f"annex-{i}.bin": zeros_stream(70 << 20) for i in range(3)},
        ),
        # an invoice XML that inflates to more than the raw-XML limit: refused (413) without holding it
        "facturx-xml-bomb.pdf": _xml_bomb(),
    }
    paths = {}
    for name, data in out.items():
        path = workdir / name
        path.write_bytes(data)
        paths[name] = path
    return paths


def _render(inv):
    from einvoice.invoicing.render import render_pdf

    return render_pdf(inv)


def _xml_bomb() -> bytes:
    from validation_test_support import PdfBuilder, zeros_stream

    b = PdfBuilder()
    entries, data = zeros_stream(1 << 30)
    ef = b.stream(b"/Type/EmbeddedFile/Subtype/text#2Fxml" + entries, data)
    spec = b.obj(b"<</Type/Filespec/F(factur-x.xml)/UF(factur-x.xml)/AFRelationship/Data/EF<</F %d 0 R>>>>" % ef)
    pages = b.obj(b"<</Type/Pages/Kids[]/Count 0>>")
    return b.build(b.obj(b"<</Type/Catalog/Pages %d 0 R/AF[%d 0 R]>>" % (pages, spec)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=8000, help="invoice lines of the large CII/UBL/Factur-X")
    args = parser.parse_args()
    workdir = REPO / "build" / "bench-validation-memory"
    workdir.mkdir(parents=True, exist_ok=True)
    inputs = make_inputs(workdir, args.lines)
    print("| input | bytes | outcome | seconds | peak RSS rise (MiB) | RSS retained after (MiB) |")
    print("|---|---|---|---|---|---|")
    for name, path in inputs.items():
        code = CHILD.format(repo=str(REPO), path=str(path))
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        if proc.returncode:
            print(f"| {name} | | child failed: {proc.stderr.strip().splitlines()[-1:]} | | | |")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {name} | {r['bytes']:,} | {r['outcome']} | {r['seconds']} | {r['peak_rise_mib']} | {r['retained_mib']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
