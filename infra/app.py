#!/usr/bin/env python3
"""CDK app: ``make synth`` (offline) / ``make deploy``."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.stack import EInvoiceStack  # noqa: E402

# Feature flags (also read by the CLI from cdk.json; repeated here for in-process synth and tests).
FEATURE_FLAGS = {
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
    "@aws-cdk/aws-iam:minimizePolicies": True,
    "@aws-cdk/aws-apigateway:disableCloudWatchRole": True,
    "@aws-cdk/aws-lambda:recognizeLayerVersion": True,
}


def build_app(context: dict | None = None, outdir: str | None = None) -> tuple[cdk.App, EInvoiceStack]:
    kwargs: dict = {"context": {**FEATURE_FLAGS, **(context or {})}}
    if outdir is not None:
        kwargs["outdir"] = outdir
    app = cdk.App(**kwargs)
    stage = app.node.try_get_context("stage") or "dev"
    stack = EInvoiceStack(
        app,
        f"EInvoice-{stage}",
        stage=stage,
        env=cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION", "eu-west-3")
        ),
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=False))
    return app, stack


if __name__ == "__main__":
    app, _ = build_app()
    app.synth()
