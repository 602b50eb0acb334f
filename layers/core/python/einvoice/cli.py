"""``einvoice`` command line. Each area registers its sub-commands in its own module.

Commands that reach AWS services (``directory load``, ``admin ...``) target the running local
platform by default (``make run``: ``http://127.0.0.1:4566`` with its fake credentials) and AWS
only when told to (``--aws`` / ``--profile``). Every failure is one line on stderr (exit 2 for an
environment problem: no credentials, nothing listening, a missing table or file), never a
traceback; ``EINVOICE_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any

# Modules exposing ``register(subparsers)``; each adds its own sub-commands.
COMMAND_MODULES = (
    "einvoice.admin_cli",
    "einvoice.invoicing.cli",
    "einvoice.directory.cli",
)

LOCAL_ENDPOINT = "http://127.0.0.1:4566"
# moto accepts any credentials; these are the local platform's (never real ones sent to loopback)
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
EXIT_ENVIRONMENT = 2


class CliFailure(Exception):
    """A one-line failure message (exit code 2)."""


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """``--endpoint-url`` (local, the default) or ``--aws`` / ``--profile`` (AWS), and ``--region``."""
    group = parser.add_argument_group("target (default: the local platform of `make run`)")
    group.add_argument("--endpoint-url", help=f"the local platform's AWS endpoint (default {LOCAL_ENDPOINT})")
    group.add_argument("--aws", action="store_true", help="target AWS with your credentials instead")
    group.add_argument("--profile", help="AWS profile to use (implies --aws)")
    group.add_argument("--region", help="AWS region (default: AWS_REGION or eu-west-3)")


def target_settings(args: argparse.Namespace) -> Any:
    """The settings for the chosen target; the local one gets the local platform's fake credentials."""
    from einvoice.settings import get_settings

    settings = get_settings()
    on_aws = bool(getattr(args, "aws", False) or getattr(args, "profile", None))
    if on_aws:
        if args.endpoint_url:
            raise CliFailure("--endpoint-url names the local platform; it cannot be combined with --aws/--profile")
        os.environ.pop("AWS_ENDPOINT_URL", None)
        if args.profile:
            os.environ["AWS_PROFILE"] = args.profile
        update: dict[str, Any] = {"endpoint_url": None}
    else:
        os.environ.update(LOCAL_CREDENTIALS)
        os.environ.pop("AWS_PROFILE", None)
        update = {"endpoint_url": args.endpoint_url or LOCAL_ENDPOINT}
    if getattr(args, "region", None):
        update["region"] = args.region
    args.target = "AWS" if on_aws else f"the local platform at {update['endpoint_url']}"
    return settings.model_copy(update=update)


def describe(exc: BaseException, args: argparse.Namespace | None = None) -> str:
    """One line saying what went wrong and what to do."""
    target = getattr(args, "target", "") if args is not None else ""
    local = target.startswith("the local platform")
    try:
        from botocore import exceptions as boto
    except ImportError:  # pragma: no cover - botocore is always installed with the CLI
        boto = None
    if isinstance(exc, CliFailure):
        return str(exc)
    if boto is not None:
        if isinstance(exc, (boto.NoCredentialsError, boto.PartialCredentialsError)):
            return "no AWS credentials found: set AWS_PROFILE or pass --profile (or drop --aws to use the local platform)"
        if isinstance(exc, boto.ProfileNotFound):
            return f"AWS profile not found: {exc.kwargs.get('profile')}"
        if isinstance(exc, boto.NoRegionError):
            return "no AWS region: pass --region or set AWS_REGION"
        if isinstance(exc, (boto.EndpointConnectionError, boto.ConnectTimeoutError, boto.ConnectionClosedError,
                            boto.ReadTimeoutError)):
            if local:
                return f"{target} is not reachable: start it with `make run` (or pass --aws to target AWS)"
            return f"cannot reach AWS: {exc}"
        if isinstance(exc, boto.ClientError):
            error = exc.response.get("Error", {})
            return (f"{target or 'AWS'} refused {exc.operation_name}: {error.get('Code', '')}: "
                    f"{error.get('Message', '')}")
        if isinstance(exc, boto.BotoCoreError):
            return f"AWS client error: {exc}"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return f"unexpected error: {type(exc).__name__}: {exc}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="einvoice", description="French e-invoicing platform tools")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("einvoice: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure is one line, never a traceback
        if os.environ.get("EINVOICE_DEBUG"):
            raise
        print(f"einvoice: {' '.join(describe(exc, args).split())}", file=sys.stderr)
        return EXIT_ENVIRONMENT


if __name__ == "__main__":
    sys.exit(main())
