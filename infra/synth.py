"""Offline synthesis (``make synth``, the tests): stand-in assets from the source tree instead of the
zips of ``make package`` (same template structure, layers and attachments; no network, fast)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from infra.app import build_app  # noqa: E402


def synth(outdir: str, stage: str = "dev"):
    app, stack = build_app({"einvoice:package": "source", "stage": stage}, outdir=outdir)
    assembly = app.synth()
    return assembly, stack


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "cdk.out"
    assembly, stack = synth(out)
    print(f"synthesized {stack.stack_name} into {assembly.directory} (cdk-nag AwsSolutions: no unacknowledged finding)")
