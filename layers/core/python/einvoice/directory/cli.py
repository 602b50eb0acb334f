"""``einvoice directory load FILE.csv`` and ``einvoice directory generate N -o FILE.csv``."""

from __future__ import annotations

import argparse
import json
import sys

from einvoice.cli import add_target_arguments, target_settings


def register(subparsers) -> None:
    p = subparsers.add_parser("directory", help="Directory (Annuaire) operator tools")
    sub = p.add_subparsers(dest="directory_command", required=True)

    load = sub.add_parser("load", help="Load a directory extract (CSV) into the directory table (idempotent); "
                                       "the local platform by default, AWS with --aws")
    load.add_argument("file", help="CSV: siren;siret;name;establishment;city;vat_liable;status;reception_platform")
    load.add_argument("--table", help="Directory table name (default: EINVOICE_DIRECTORY_TABLE or einvoice-directory)")
    add_target_arguments(load)
    load.set_defaults(func=_load)

    gen = sub.add_parser("generate", help="Generate a made-up directory extract with valid keys")
    gen.add_argument("n", type=int, help="number of legal units (1-3 establishments each)")
    gen.add_argument("-o", "--output", required=True, help="output CSV file ('-' for stdout)")
    gen.add_argument("--seed", type=int, default=42)
    gen.set_defaults(func=_generate)


def _load(args: argparse.Namespace) -> int:
    from einvoice.directory.loader import load_csv

    s = target_settings(args)
    with open(args.file, "rb"):  # a missing or unreadable file fails before anything is written
        pass
    report = load_csv(args.file, args.table or s.directory_table, settings=s)
    print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    return 0 if report.rows else 1


def _generate(args: argparse.Namespace) -> int:
    from einvoice.directory.seed import write_seed

    if args.output == "-":
        rows = write_seed(sys.stdout, args.n, args.seed)
    else:
        rows = write_seed(args.output, args.n, args.seed)
        print(f"{rows} rows written to {args.output}", file=sys.stderr)
    return 0
