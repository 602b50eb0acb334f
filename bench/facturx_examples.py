"""Verdicts on the official Factur-X / ZUGFeRD hybrid examples of ../shared/corpus (a report, not a benchmark).

For every hybrid PDF of the corpus (FNFE-MPE Factur-X examples and XP Z12 Factur-X use cases, the
ZUGFeRD corpus PDFs), run ``einvoice validate --json`` in-process (the real CLI code path) and print a
Markdown table: the rule verdict (XSD + EN 16931 / Factur-X + BR-FR layers), the container verdict
(layer ``pdfa``, with the fatal and warning rule ids), the overall verdict and the exit code, under the
default French-rules policy (fatal) and with ``--french-rules warning``.

    .venv/bin/python bench/facturx_examples.py [--all] [--markdown-only]

``--all`` adds the ZUGFeRD 1.0 PDFs and the plain PDFs (they are refused with exit 2).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO / "../shared/corpus").resolve()
sys.path.insert(0, str(REPO / "layers/core/python"))

OFFICIAL = ("xp-z12-french-ctc", "zugferd-corpus/ZUGFeRDv2", "zugferd-corpus/XML-Rechnung/FX", "akretion-factur-x")
OTHER = ("zugferd-corpus/ZUGFeRDv1", "zugferd-corpus/unstructured", "invoice2data")


def run_cli(path: Path, *extra: str) -> tuple[int, dict]:
    from einvoice.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["validate", "--json", *extra, str(path)])
    return code, json.loads(out.getvalue())


def layer_verdict(findings: list[dict], pdfa: bool) -> str:
    from einvoice.validation.engine import verdict_of
    from einvoice.validation.models import Finding

    return verdict_of([Finding.model_validate(f) for f in findings if (f["layer"] == "pdfa") == pdfa])


def ids(findings: list[dict], severity: str, pdfa: bool) -> str:
    found = sorted({f["ruleId"] for f in findings if f["severity"] == severity and (f["layer"] == "pdfa") == pdfa})
    return ", ".join(found)


def row(path: Path) -> dict:
    code, result = run_cli(path)
    if "error" in result:
        return {"file": path, "refused": result["error"].split(": ", 1)[-1][:70], "exit": code}
    code_w, result_w = run_cli(path, "--french-rules", "warning")
    report, report_w = result["report"], result_w["report"]
    findings = report["findings"]
    return {
        "file": path,
        "profile": report["profile"] or "?",
        "rules": layer_verdict(findings, pdfa=False),
        "rules_w": layer_verdict(report_w["findings"], pdfa=False),
        "container": layer_verdict(findings, pdfa=True),
        "container_fatal": ids(findings, "fatal", pdfa=True),
        "container_warning": ids(findings, "warning", pdfa=True),
        "verdict": report["verdict"],
        "verdict_w": report_w["verdict"],
        "exit": code,
        "exit_w": code_w,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="also ZUGFeRD 1.0 and plain PDFs")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}")
        return 1
    folders = OFFICIAL + (OTHER if args.all else ())
    pdfs = sorted(p for folder in folders for p in (CORPUS / folder).rglob("*.pdf"))
    rows = [row(p) for p in pdfs]
    print("| file | profile | rules (BR-FR fatal) | rules (BR-FR warning) | container (pdfa) | container fatal ids "
          "| container warnings | exit (default) | exit (--french-rules warning) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        name = str(r["file"].relative_to(CORPUS))
        if "refused" in r:
            print(f"| `{name}` | refused: {r['refused']} | | | | | | {r['exit']} | {r['exit']} |")
            continue
        print(
            f"| `{name}` | {r['profile']} | {r['rules']} | {r['rules_w']} | {r['container']} | {r['container_fatal']} "
            f"| {r['container_warning']} | {r['exit']} | {r['exit_w']} |"
        )
    checked = [r for r in rows if "refused" not in r]
    consistent = all(r["exit"] == (0 if r["verdict"] == "valid" else 1) for r in checked)
    print()
    print(f"{len(rows)} PDFs, {len(checked)} validated, {len(rows) - len(checked)} refused (exit 2)")
    print(f"container verdicts: {dict(Counter(r['container'] for r in checked))}")
    print(f"rule verdicts (BR-FR fatal): {dict(Counter(r['rules'] for r in checked))}; "
          f"(BR-FR warning): {dict(Counter(r['rules_w'] for r in checked))}")
    print(f"exit codes (default): {dict(Counter(r['exit'] for r in rows))}; "
          f"(--french-rules warning): {dict(Counter(r.get('exit_w', r['exit']) for r in rows))}")
    print(f"exit code == report verdict for every validated file: {consistent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
