"""Create the platform's resources in moto from the same descriptions the CDK stack uses.

Tables and buckets come from ``einvoice.resources``; state machines from
``statemachines/*.asl.json`` with the same substitutions CDK applies; functions and routes
from ``einvoice.routes``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from einvoice import resources
from einvoice.resources import ARCHIVE_RETENTION_YEARS, BUCKETS, EVENT_BUS, EVENT_RULES, QUEUES, TABLES
from einvoice.settings import Settings

ACCOUNT_ID = "123456789012"
ROOT = Path(__file__).resolve().parents[1]  # repo root (local/bootstrap.py)
STATEMACHINES_DIR = ROOT / "statemachines"
_SUBST = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


@dataclass
class Bootstrapped:
    settings: Settings
    rest_api_id: str = ""
    usage_plan_id: str = ""
    state_machines: dict[str, str] = field(default_factory=dict)
    seal_ca_pem: str = ""  # trust root of the local seal certificate (local.seal)


def function_arn(name: str, region: str) -> str:
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


def substitutions(settings: Settings, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The ASL substitution map: table/bucket names and function ARNs (same names as in CDK)."""
    from einvoice.routes import FUNCTIONS

    values: dict[str, str] = {}
    for t in TABLES:
        values[f"{t.logical_id}Name"] = getattr(settings, t.setting)
    for b in BUCKETS:
        values[f"{b.logical_id}Name"] = getattr(settings, b.setting)
    for fn in FUNCTIONS:
        for sub in fn.asl_substitutions:
            values[sub] = function_arn(fn.name, settings.region)
    values.update(extra or {})
    return values


def render_definition(path: Path, values: dict[str, str]) -> str:
    text = path.read_text()
    missing = sorted({m for m in _SUBST.findall(text) if m not in values})
    if missing:
        raise ValueError(f"{path.name}: no value for substitutions {missing}")
    return _SUBST.sub(lambda m: values[m.group(1)], text)


def create_tables(settings: Settings) -> None:
    from einvoice.adapters.aws.clients import client

    ddb = client("dynamodb", settings)
    existing = set(ddb.list_tables().get("TableNames", []))
    for spec in TABLES:
        name = getattr(settings, spec.setting)
        if name in existing:
            continue
        attrs = {spec.pk: "S"}
        keys = [{"AttributeName": spec.pk, "KeyType": "HASH"}]
        if spec.sk:
            attrs[spec.sk] = "S"
            keys.append({"AttributeName": spec.sk, "KeyType": "RANGE"})
        gsis = []
        for idx in spec.indexes:
            attrs[idx.pk] = "S"
            attrs[idx.sk] = "S"
            gsis.append(
                {
                    "IndexName": idx.name,
                    "KeySchema": [
                        {"AttributeName": idx.pk, "KeyType": "HASH"},
                        {"AttributeName": idx.sk, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            )
        kwargs: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": k, "AttributeType": v} for k, v in attrs.items()],
            "KeySchema": keys,
            "BillingMode": "PAY_PER_REQUEST",
        }
        if gsis:
            kwargs["GlobalSecondaryIndexes"] = gsis
        ddb.create_table(**kwargs)
        if spec.ttl_attribute:
            ddb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )


def create_buckets(settings: Settings) -> None:
    from einvoice.adapters.aws.clients import client

    s3 = client("s3", settings)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for spec in BUCKETS:
        name = getattr(settings, spec.setting)
        if name in existing:
            continue
        kwargs: dict[str, Any] = {
            "Bucket": name,
            "CreateBucketConfiguration": {"LocationConstraint": settings.region},
        }
        if spec.object_lock_years:
            kwargs["ObjectLockEnabledForBucket"] = True
        s3.create_bucket(**kwargs)
        if spec.object_lock_years:
            s3.put_object_lock_configuration(
                Bucket=name,
                ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": ARCHIVE_RETENTION_YEARS}},
                },
            )
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
                {"ID": "hot-containers", "Status": "Enabled", "Filter": {"Prefix": resources.ARCHIVE_HOT_PREFIX},
                 "Expiration": {"Days": resources.ARCHIVE_HOT_EXPIRE_DAYS},
                 "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
                {"ID": "cold-bundles", "Status": "Enabled", "Filter": {"Prefix": resources.ARCHIVE_BUNDLE_PREFIX},
                 "Transitions": [{"Days": resources.ARCHIVE_COLD_AFTER_DAYS,
                                  "StorageClass": resources.ARCHIVE_COLD_CLASS}]},
            ]})
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )


def create_queues(settings: Settings) -> dict[str, str]:
    """Each queue of ``einvoice.resources.QUEUES`` with its dead-letter queue; returns {setting: url}."""
    from einvoice.adapters.aws.clients import client

    sqs = client("sqs", settings)
    urls = {}
    for spec in QUEUES:
        dead = sqs.create_queue(QueueName=f"einvoice-{spec.logical_id}-dlq")["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        urls[spec.setting] = sqs.create_queue(QueueName=f"einvoice-{spec.logical_id}", Attributes={
            "VisibilityTimeout": str(spec.visibility_timeout_seconds),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": spec.max_receive_count}),
        })["QueueUrl"]
    return urls


def create_event_bus(settings: Settings) -> None:
    from einvoice.adapters.aws.clients import client

    bus = getattr(settings, EVENT_BUS[1])
    events = client("events", settings)
    if not any(b["Name"] == bus for b in events.list_event_buses().get("EventBuses", [])):
        events.create_event_bus(Name=bus)


def create_event_rules(settings: Settings) -> None:
    """The bus rules of ``einvoice.resources.EVENT_RULES`` with their queue targets (the queues exist)."""
    from einvoice.adapters.aws.clients import client

    events, sqs = client("events", settings), client("sqs", settings)
    bus = getattr(settings, EVENT_BUS[1])
    for rule in EVENT_RULES:
        url = getattr(settings, rule.queue_setting)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=rule.logical_id, EventBusName=bus, EventPattern=json.dumps({"source": list(rule.sources)}))
        events.put_targets(Rule=rule.logical_id, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])


def create_event_sources(settings: Settings) -> None:
    """S3 notifications to functions (the functions must exist in moto for S3 to find them)."""
    from einvoice.adapters.aws.clients import client
    from einvoice.routes import FUNCTIONS

    targets = [f for f in FUNCTIONS if f.s3_trigger]
    role_arn = create_local_role(settings)
    if not targets:
        return
    lam = client("lambda", settings)
    s3 = client("s3", settings)
    by_bucket: dict[str, list[dict[str, Any]]] = {}
    for fn in targets:
        try:
            lam.create_function(
                FunctionName=fn.name,
                Runtime="python3.11",
                Role=role_arn,
                Handler="handler.lambda_handler",
                Code={"ZipFile": _empty_zip()},
            )
        except lam.exceptions.ResourceConflictException:
            pass
        bucket_alias, suffix = fn.s3_trigger  # type: ignore[misc]
        bucket = getattr(settings, f"{bucket_alias}_bucket")
        by_bucket.setdefault(bucket, []).append(
            {
                "LambdaFunctionArn": function_arn(fn.name, settings.region),
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": suffix}]}},
            }
        )
    for bucket, configs in by_bucket.items():
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": configs}
        )


def create_local_role(settings: Settings) -> str:
    """The IAM role moto wants for functions created in it (event-source targets)."""
    from einvoice.adapters.aws.clients import client

    iam = client("iam", settings)
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    try:
        iam.create_role(RoleName="einvoice-local", AssumeRolePolicyDocument=json.dumps(trust))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    return f"arn:aws:iam::{ACCOUNT_ID}:role/einvoice-local"


def _empty_zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def lambda_handler(event, context):\n    return None\n")
    return buf.getvalue()


def create_ses_identity(settings: Settings) -> None:
    from einvoice.adapters.aws.clients import client

    ses = client("ses", settings)
    domain = settings.sender_email.split("@", 1)[1]
    ses.verify_domain_identity(Domain=domain)
    ses.verify_email_identity(EmailAddress=settings.sender_email)


def create_api_gateway(settings: Settings) -> tuple[str, str]:
    """The REST API and usage plan in moto's control plane (keys are attached to it)."""
    from einvoice.adapters.aws.clients import client

    apigw = client("apigateway", settings)
    for api in apigw.get_rest_apis().get("items", []):
        if api["name"] == "einvoice-local":
            plans = [p for p in apigw.get_usage_plans().get("items", []) if p["name"] == "einvoice-default"]
            return api["id"], plans[0]["id"]
    api = apigw.create_rest_api(name="einvoice-local", apiKeySource="HEADER")
    plan = apigw.create_usage_plan(
        name="einvoice-default",
        throttle={"rateLimit": 50.0, "burstLimit": 100},
        quota={"limit": 1_000_000, "period": "MONTH"},
    )
    return api["id"], plan["id"]


def create_state_machines(settings: Settings, extra_substitutions: dict[str, str] | None = None) -> dict[str, str]:
    """Create (or update) every state machine of the manifest from its ASL file."""
    from einvoice.adapters.aws.clients import client
    from einvoice.routes import STATE_MACHINES

    sfn = client("stepfunctions", settings)
    existing = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines().get("stateMachines", [])}
    arns: dict[str, str] = {}
    for sm in STATE_MACHINES:
        values = substitutions(settings, {**sm.substitutions, **(extra_substitutions or {})})
        definition = render_definition(STATEMACHINES_DIR / f"{sm.name}.asl.json", values)
        name = f"einvoice-{sm.name}"
        if name in existing:
            sfn.update_state_machine(stateMachineArn=existing[name], definition=definition)
            arns[sm.setting] = existing[name]
        else:
            arns[sm.setting] = sfn.create_state_machine(
                name=name, definition=definition, roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/einvoice-sfn",
                type=sm.type,
            )["stateMachineArn"]
    return arns


def bootstrap(settings: Settings, extra_substitutions: dict[str, str] | None = None) -> Bootstrapped:
    """Create every resource; returns the settings completed with the created ARNs/ids."""
    create_tables(settings)
    create_buckets(settings)
    create_ses_identity(settings)
    create_event_bus(settings)
    api_id, plan_id = create_api_gateway(settings)
    settings = settings.model_copy(update={"usage_plan_id": plan_id, **create_queues(settings)})
    create_event_rules(settings)
    arns = create_state_machines(settings, extra_substitutions)
    settings = settings.model_copy(update=arns)
    create_event_sources(settings)
    from local.seal import create_seal_identity

    identity = create_seal_identity(settings)
    settings = settings.model_copy(update={"seal_key_id": identity.key_id})
    return Bootstrapped(settings=settings, rest_api_id=api_id, usage_plan_id=plan_id, state_machines=arns,
                        seal_ca_pem=identity.ca_pem)
