"""CLI: ``einvoice validate FILE...`` and ``einvoice validation-warmup``.

The lead adds ``"einvoice.validation.cli"`` to ``einvoice.cli.COMMAND_MODULES``.
Exit status of ``validate``: 0 all valid, 1 some invalid, 2 unreadable input or a layer error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("validate", help="validate CII/UBL XML or Factur-X PDF invoices (XSD, EN 16931, BR-FR)")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument(
        "--french-rules-severity",
        choices=("fatal", "warning"),
        default=None,
        help="default: Settings.french_rules_severity",
    )
    p.add_argument("--json", action="store_true", help="print the full reports as JSON lines")
    p.set_defaults(func=_validate)
    w = subparsers.add_parser("validation-warmup", help="compile every validation stylesheet and print the cost")
    w.set_defaults(func=_warmup)


def _validate(args: argparse.Namespace) -> int:
    from einvoice.errors import DomainError
    from einvoice.validation import validate

    status = 0
    for path in args.files:
        try:
            report = validate(path.read_bytes(), filename=path.name, french_rules_severity=args.french_rules_severity)
        except DomainError as exc:
            print(
                json.dumps({"file": str(path), "error": exc.code, "message": exc.message})
                if args.json
                else f"{path}: {exc.code}: {exc.message}"
            )
            status = max(status, 2)
            continue
        if args.json:
            print(json.dumps({"file": str(path), **report.model_dump(mode="json")}, ensure_ascii=False))
        else:
            fatal = sorted(report.rule_ids("fatal"))
            print(
                f"{path}: {report.verdict} ({report.format}, {report.profile}, {report.duration_ms:.0f} ms)"
                + (f" fatal: {', '.join(fatal)}" if fatal else "")
            )
        status = max(status, {"valid": 0, "invalid": 1, "error": 2}[report.verdict])
    return status


def _warmup(args: argparse.Namespace) -> int:  # noqa: ARG001
    from einvoice.validation import warm_up

    for key, ms in warm_up().items():
        print(f"{key:32} {ms:8.0f} ms")
    return 0


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser(prog="einvoice-validation")
    register(parser.add_subparsers(dest="command", required=True))
    ns = parser.parse_args()
    sys.exit(ns.func(ns))
