"""``einvoice`` sub-commands of the invoicing area: validate, convert, render, generate.

    einvoice validate FILE... [--json] [--french-rules fatal|warning] [--no-container]
    einvoice convert FILE --to cii|ubl|facturx -o OUT [--profile P] [--tagged]
    einvoice render FILE -o OUT.pdf [--tagged]
    einvoice generate INVOICE.json --format facturx|cii|ubl -o OUT [--profile P] [--no-checks] [--tagged]

FILE may be a CII or UBL XML, a Factur-X / ZUGFeRD PDF or a JSON invoice (the body of
``POST /v1/invoices``). ``-o -`` writes to standard output. ``validate`` runs
:func:`einvoice.validation.validate` (for a PDF, the PDF/A-3 + Factur-X container rules are one more
layer of findings, ``pdfa``) and prints the report's verdict: the same verdict as the API.

Exit codes: 0 success / every file valid; 1 an invoice is invalid or could not be validated
(``ValidationReport.exit_code``: rule failures, listed on stdout or in the JSON report); 2 usage
error or unreadable input (missing file, not an invoice, malformed XML/JSON/PDF).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from einvoice.errors import DomainError, ErrorDetail, InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    from einvoice.invoicing.model import Invoice

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "load_invoice", "register"]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
PROFILE_CHOICES = ("en16931", "basicwl", "extended", "extended-ctc-fr")
FACTURX_PROFILES = ("en16931", "basicwl", "extended")


class CliError(Exception):
    """An error reported to the user with an exit code (and optional rule details)."""

    def __init__(self, message: str, code: int = EXIT_USAGE, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or []


# --------------------------------------------------------------------------- input


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory") from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror or exc})") from None


def sniff(data: bytes) -> str | None:
    """``pdf``, ``json``, ``xml`` or None from the first bytes."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head[:1] in (b"{", b"["):
        return "json"
    if head[:1] == b"<":
        return "xml"
    return None


def _from_domain_error(path: str, exc: DomainError) -> CliError:
    code = EXIT_INVALID if isinstance(exc, InvalidInputError) else EXIT_USAGE
    return CliError(f"{path}: {exc.message}", code, exc.details)


def _invoice_from_json(path: str, data: bytes) -> Invoice:
    from pydantic import ValidationError

    from einvoice.invoicing.model import Invoice

    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"{path}: malformed JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise CliError(f"{path}: a JSON invoice must be an object, not {type(payload).__name__}")
    try:
        return Invoice.model_validate(payload)
    except ValidationError as exc:
        details = [
            ErrorDetail(message=err["msg"], field=".".join(str(p) for p in err["loc"]) or None, rule="SCHEMA")
            for err in exc.errors()
        ]
        raise CliError(f"{path}: the JSON is not a valid invoice ({len(details)} error(s))", EXIT_INVALID,
                       details) from None


def load_invoice(path: str, data: bytes | None = None) -> Invoice:
    """Invoice model from a CII/UBL XML, a Factur-X PDF or a JSON invoice file."""
    if data is None:
        data = _read(path)
    kind = sniff(data)
    try:
        if kind == "json":
            return _invoice_from_json(path, data)
        if kind == "pdf":
            from einvoice.invoicing.facturx import parse_pdf

            return parse_pdf(data)
        if kind == "xml":
            from einvoice.invoicing import parse

            return parse.parse_xml(data)
    except DomainError as exc:
        raise _from_domain_error(path, exc) from None
    raise CliError(f"{path}: not an invoice (expected a CII or UBL XML, a Factur-X PDF or a JSON invoice)")


# --------------------------------------------------------------------------- output


def _write(out: str, data: bytes) -> None:
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(out)
    if target.is_dir():
        raise CliError(f"{out}: is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise CliError(f"{out}: directory {parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CliError(f"{out}: cannot write ({exc.strerror or exc})") from None


def _print_error(err: CliError) -> None:
    print(f"einvoice: error: {err.message}", file=sys.stderr)
    for d in err.details:
        where = f" {d.field}" if d.field else ""
        rule = f"[{d.rule}]" if d.rule else ""
        print(f"  - {rule}{where}: {d.message}".replace("- :", "-"), file=sys.stderr)


def _run(func: Any) -> Any:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return int(func(args) or 0)
        except ImportError as exc:  # a module of this build is missing (e.g. no UBL writer)
            err = CliError(f"this feature is not available in this build ({exc})", EXIT_USAGE)
            _print_error(err)
            return err.code
        except CliError as err:
            _print_error(err)
            return err.code
        except DomainError as exc:
            err = CliError(exc.message, EXIT_INVALID if isinstance(exc, InvalidInputError) else EXIT_USAGE,
                           exc.details)
            _print_error(err)
            return err.code

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


# --------------------------------------------------------------------------- serialisation


def _serialize(invoice: Invoice, fmt: str, profile: str | None, *, tagged: bool = False) -> bytes:
    from einvoice.invoicing import calc

    inv = calc.compute(invoice)
    if fmt == "cii":
        from einvoice.invoicing import cii

        return cii.to_cii(inv, profile)
    if fmt == "ubl":
        from einvoice.invoicing import ubl
        from einvoice.invoicing.model import UBL_SPECIFICATION_IDS

        if profile is not None:
            if profile not in UBL_SPECIFICATION_IDS:
                raise CliError(f"--profile {profile} does not exist in UBL (use en16931 or extended-ctc-fr)")
            inv = inv.model_copy(update={"specification_id": UBL_SPECIFICATION_IDS[profile]})
        return ubl.to_ubl(inv)
    if fmt == "facturx":
        from einvoice.invoicing.facturx import to_facturx

        if profile is None:
            from einvoice.invoicing.cii import profile_of

            derived = profile_of(inv.specification_id)
            profile = "extended" if derived == "extended-ctc-fr" else derived
            if profile not in FACTURX_PROFILES:
                profile = "en16931"
        if profile not in FACTURX_PROFILES:
            raise CliError(f"--profile {profile} is not a Factur-X profile (use {', '.join(FACTURX_PROFILES)})")
        return to_facturx(inv, profile, tagged=tagged)
    raise CliError(f"unknown output format {fmt!r}")  # pragma: no cover - argparse choices


# --------------------------------------------------------------------------- commands


LAYER_TITLES = {"pdfa": "pdfa (PDF/A-3 + Factur-X container rules, structural, not veraPDF)"}


def _finding_line(f: Any) -> str:
    loc = f" at {f.location}" if f.location else ""
    return f"  [{f.severity}] {f.rule_id} ({f.layer}){loc}: {f.message}"


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each FILE (XSD, EN 16931 / Factur-X, BR-FR; for a PDF also the PDF/A-3 + Factur-X
    container rules); exit 1 when one is not valid, 2 when one cannot be read."""
    from einvoice.validation import validate

    results: list[dict[str, Any]] = []
    worst = EXIT_OK
    for path in args.files:
        try:
            data = _read(path)
            if sniff(data) is None:
                raise CliError(f"{path}: not an invoice (expected a CII or UBL XML or a Factur-X PDF)")
            if sniff(data) == "json":
                raise CliError(f"{path}: JSON invoices are validated by 'einvoice generate' (checks), "
                               "not by the XML rule sets")
            try:
                report = validate(data, filename=Path(path).name, french_rules_severity=args.french_rules,
                                  check_container=not args.no_container)
            except DomainError as exc:
                raise _from_domain_error(path, exc) from None
        except CliError as err:
            worst = max(worst, err.code)
            results.append({"file": path, "error": err.message,
                            "details": [d.to_dict() for d in err.details]})
            if not args.json:
                _print_error(err)
            continue
        code = report.exit_code
        worst = max(worst, code)
        results.append({"file": path, "report": report.model_dump(mode="json", by_alias=True)})
        if not args.json:
            fatal = [f for f in report.findings if f.severity == "fatal"]
            others = [f for f in report.findings if f.severity != "fatal"]
            head = f"{path}: {report.verdict.upper()} ({report.format}, {report.profile or 'unknown profile'})"
            counts = f" — {len(fatal)} error(s), {len(others)} warning(s)" if report.findings else ""
            print(f"{head}{counts} [{report.duration_ms:.0f} ms]")
            layers = dict.fromkeys(rs.layer for rs in report.rule_sets if rs.layer)
            print("  checked: " + ", ".join(LAYER_TITLES.get(layer, layer) for layer in layers))
            for f in fatal + (others if not args.errors_only else []):
                print(_finding_line(f))
    if args.json:
        print(json.dumps(results if len(results) != 1 or args.always_list else results[0],
                         ensure_ascii=False, indent=2))
    return worst


def cmd_convert(args: argparse.Namespace) -> int:
    """Convert FILE (CII/UBL/Factur-X/JSON) to CII, UBL or Factur-X."""
    invoice = load_invoice(args.file)
    _write(args.output, _serialize(invoice, args.to, args.profile, tagged=args.tagged))
    if args.output != "-":
        print(f"{args.output}: {args.to} written", file=sys.stderr)
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    """Render FILE (CII/UBL/Factur-X/JSON) as a readable PDF/A-3b."""
    from einvoice.invoicing.render import render_pdf

    invoice = load_invoice(args.file)
    _write(args.output, render_pdf(invoice, tagged=args.tagged))
    if args.output != "-":
        print(f"{args.output}: PDF written", file=sys.stderr)
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate Factur-X / CII / UBL from a JSON invoice, after the French and EN 16931 checks."""
    data = _read(args.file)
    if sniff(data) != "json":
        raise CliError(f"{args.file}: 'generate' expects a JSON invoice (use 'convert' for XML or PDF input)")
    invoice = _invoice_from_json(args.file, data)
    if not args.no_checks:
        from einvoice.invoicing import calc, checks

        errors = checks.check(calc.compute(invoice))
        if errors:
            raise CliError(f"{args.file}: the invoice breaks {len(errors)} rule(s); nothing written "
                           "(--no-checks to force)", EXIT_INVALID, errors)
    _write(args.output, _serialize(invoice, args.format, args.profile, tagged=args.tagged))
    if args.output != "-":
        print(f"{args.output}: {args.format} written", file=sys.stderr)
    return EXIT_OK


def register(subparsers: Any) -> None:
    """Add the invoicing sub-commands to the ``einvoice`` parser."""
    p = subparsers.add_parser("validate", help="validate CII / UBL / Factur-X files (XSD, EN 16931, BR-FR)",
                              description=cmd_validate.__doc__)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the validation report(s) as JSON")
    p.add_argument("--always-list", action="store_true", help="with --json, print a list even for one file")
    p.add_argument("--errors-only", action="store_true", help="do not list warnings")
    p.add_argument("--no-container", action="store_true",
                   help="for PDFs, skip the PDF/A-3 + Factur-X container rules (layer pdfa)")
    p.add_argument("--french-rules", choices=("fatal", "warning"), default=None,
                   help="severity of the BR-FR rules (default: platform setting, fatal)")
    p.set_defaults(func=_run(cmd_validate))

    p = subparsers.add_parser("convert", help="convert an invoice to CII, UBL or Factur-X",
                              description=cmd_convert.__doc__)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--to", required=True, choices=("cii", "ubl", "facturx"))
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file ('-' = stdout)")
    p.add_argument("--profile", choices=PROFILE_CHOICES, default=None,
                   help="target profile (default: from the invoice BT-24; en16931 for Factur-X)")
    p.add_argument("--tagged", action="store_true", help="tagged PDF (accessibility structure; slower)")
    p.set_defaults(func=_run(cmd_convert))

    p = subparsers.add_parser("render", help="render an invoice as a readable PDF/A-3b",
                              description=cmd_render.__doc__)
    p.add_argument("file", metavar="FILE")
    p.add_argument("-o", "--output", required=True, metavar="OUT.pdf", help="output file ('-' = stdout)")
    p.add_argument("--tagged", action="store_true", help="tagged PDF (accessibility structure; slower)")
    p.set_defaults(func=_run(cmd_render))

    p = subparsers.add_parser("generate", help="generate Factur-X / CII / UBL from a JSON invoice",
                              description=cmd_generate.__doc__)
    p.add_argument("file", metavar="INVOICE.json")
    p.add_argument("--format", required=True, choices=("facturx", "cii", "ubl"))
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file ('-' = stdout)")
    p.add_argument("--profile", choices=PROFILE_CHOICES, default=None,
                   help="target profile (default: from specificationId; en16931 for Factur-X)")
    p.add_argument("--no-checks", action="store_true", help="skip the French / EN 16931 checks")
    p.add_argument("--tagged", action="store_true", help="tagged PDF (accessibility structure; slower)")
    p.set_defaults(func=_run(cmd_generate))
