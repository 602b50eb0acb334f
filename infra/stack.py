"""The platform's AWS stack, driven by the same descriptions as the local platform.

* tables and buckets: ``einvoice.resources``
* Lambdas, API routes, event sources, permissions: ``einvoice.routes`` (the route manifest)
* state machines: ``statemachines/*.asl.json`` with the substitutions of ``local.bootstrap``
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import (
    aws_apigateway as apigw,
)
from aws_cdk import (
    aws_cloudwatch as cw,
)
from aws_cdk import (
    aws_cognito as cognito,
)
from aws_cdk import (
    aws_dynamodb as ddb,
)
from aws_cdk import (
    aws_events as events,
)
from aws_cdk import (
    aws_events_targets as targets,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_kms as kms,
)
from aws_cdk import (
    aws_lambda as lambda_,
)
from aws_cdk import (
    aws_lambda_event_sources as sources,
)
from aws_cdk import (
    aws_logs as logs,
)
from aws_cdk import (
    aws_s3 as s3,
)
from aws_cdk import (
    aws_sqs as sqs,
)
from aws_cdk import (
    aws_stepfunctions as sfn,
)
from aws_cdk import (
    aws_wafv2 as wafv2,
)
from constructs import Construct

from einvoice import resources
from einvoice.api.gateway import GATEWAY_RESPONSES, body_template
from einvoice.resources import ARCHIVE_RETENTION_YEARS, BUCKETS, EVENT_BUS, EVENT_RULES, QUEUES, TABLES
from einvoice.routes import AREA_OF, FUNCTIONS, STATE_MACHINES
from einvoice.routing import Function
from einvoice.settings import ENV
from infra import layers as layer_spec

ROOT = Path(__file__).resolve().parents[1]


def _runtime() -> lambda_.Runtime:
    return getattr(lambda_.Runtime, "PYTHON_" + layer_spec.PYTHON_VERSION.replace(".", "_"))


RUNTIME = _runtime()
ALARM_GROUP = 10  # metrics per metric-math alarm (CloudWatch allows 10)
PACKAGE_DIR = ROOT / "build" / "package"


class PackageError(RuntimeError):
    """``make package`` output is missing or does not match the manifest."""


def read_package(package_dir: Path = PACKAGE_DIR) -> dict:
    """The manifest ``make package`` wrote, checked against the route manifest and the layer specs."""
    manifest_path = package_dir / "manifest.json"
    if not manifest_path.exists():
        raise PackageError(f"{manifest_path} is missing: run `make package` first (make deploy does)")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("runtime") != layer_spec.LAMBDA_RUNTIME:
        raise PackageError(f"the package was built for {manifest.get('runtime')}: run `make package` again")
    for fn in FUNCTIONS:
        built = manifest["functions"].get(fn.name)
        if built is None or tuple(built["layers"]) != layer_spec.layers_for(fn):
            raise PackageError(f"the package does not match the manifest ({fn.name}): run `make package` again")
    for entry in [*manifest["layers"].values(), *manifest["functions"].values()]:
        if not (package_dir / entry["zip"]).exists():
            raise PackageError(f"{entry['zip']} is missing from {package_dir}: run `make package` again")
    return manifest


class EInvoiceStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.stage = stage
        self.sender_email = self.node.try_get_context("senderEmail") or "no-reply@example.com"
        self.tables: dict[str, ddb.Table] = {}
        self.buckets: dict[str, s3.Bucket] = {}
        self.functions: dict[str, lambda_.Function] = {}
        self.state_machines: dict[str, sfn.StateMachine] = {}
        self.queues: dict[str, sqs.Queue] = {}

        # "package": the zips `make package` built (what `make deploy` uploads); "source": stand-in
        # assets from the source tree, for offline synthesis and the tests (same template structure)
        self.package_mode = self.node.try_get_context("einvoice:package") or "package"
        self.package = read_package() if self.package_mode == "package" else None

        self._storage()
        self._seal_key()
        self._layers()
        self._functions()
        self._state_machines()
        self._api()
        self._alarms()
        self._suppressions()

    # --- storage -----------------------------------------------------------------------------------
    def _storage(self) -> None:
        for spec in TABLES:
            table = ddb.Table(
                self,
                spec.logical_id,
                partition_key=ddb.Attribute(name=spec.pk, type=ddb.AttributeType.STRING),
                sort_key=ddb.Attribute(name=spec.sk, type=ddb.AttributeType.STRING) if spec.sk else None,
                billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                encryption=ddb.TableEncryption.AWS_MANAGED,
                time_to_live_attribute=spec.ttl_attribute,
                deletion_protection=True,
                removal_policy=cdk.RemovalPolicy.RETAIN,
            )
            for idx in spec.indexes:
                table.add_global_secondary_index(
                    index_name=idx.name,
                    partition_key=ddb.Attribute(name=idx.pk, type=ddb.AttributeType.STRING),
                    sort_key=ddb.Attribute(name=idx.sk, type=ddb.AttributeType.STRING),
                    projection_type=ddb.ProjectionType.ALL,
                )
            self.tables[spec.setting] = table

        self.access_logs = s3.Bucket(
            self,
            "AccessLogsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(400))],
        )
        for spec in BUCKETS:
            kwargs: dict = {}
            if spec.object_lock_years:
                kwargs.update(
                    object_lock_enabled=True,
                    object_lock_default_retention=s3.ObjectLockRetention.compliance(
                        cdk.Duration.days(365 * ARCHIVE_RETENTION_YEARS + ARCHIVE_RETENTION_YEARS // 4 + 1)
                    ),
                    versioned=True,
                    lifecycle_rules=[
                        # per-invoice containers: hot copy under a short retention, then gone (the bundle stays)
                        s3.LifecycleRule(prefix=resources.ARCHIVE_HOT_PREFIX,
                                         expiration=cdk.Duration.days(resources.ARCHIVE_HOT_EXPIRE_DAYS),
                                         noncurrent_version_expiration=cdk.Duration.days(1)),
                        # daily bundles (ten-year COMPLIANCE): colder class after the first month
                        s3.LifecycleRule(prefix=resources.ARCHIVE_BUNDLE_PREFIX, transitions=[s3.Transition(
                            storage_class=s3.StorageClass.DEEP_ARCHIVE,
                            transition_after=cdk.Duration.days(resources.ARCHIVE_COLD_AFTER_DAYS))]),
                    ],
                )
            else:
                kwargs.update(
                    versioned=True,
                    lifecycle_rules=[
                        s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(30)),
                        # CSV bodies posted to the API are kept for the import's support window only
                        s3.LifecycleRule(prefix="uploads/", expiration=cdk.Duration.days(90)),
                    ],
                )
            self.buckets[spec.setting] = s3.Bucket(
                self,
                spec.logical_id,
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                removal_policy=cdk.RemovalPolicy.RETAIN,
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix=f"{spec.logical_id}/",
                **kwargs,
            )

        for spec in QUEUES:
            dead = sqs.Queue(self, f"{spec.logical_id}DeadLetters", retention_period=cdk.Duration.days(14),
                             enforce_ssl=True, encryption=sqs.QueueEncryption.SQS_MANAGED)
            self.queues[spec.setting] = sqs.Queue(
                self, spec.logical_id, visibility_timeout=cdk.Duration.seconds(spec.visibility_timeout_seconds),
                retention_period=cdk.Duration.days(4), enforce_ssl=True, encryption=sqs.QueueEncryption.SQS_MANAGED,
                dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=spec.max_receive_count, queue=dead),
            )
            self.queues[spec.setting + "#dlq"] = dead
        self.event_bus = events.EventBus(self, EVENT_BUS[0], event_bus_name=f"einvoice-{self.stage}")
        for rule in EVENT_RULES:
            events.Rule(self, rule.logical_id, event_bus=self.event_bus,
                        event_pattern=events.EventPattern(source=list(rule.sources)),
                        targets=[targets.SqsQueue(self.queues[rule.queue_setting])])


    # --- seal -------------------------------------------------------------------------------------
    def _seal_key(self) -> None:
        """The platform seal's KMS key (private key never leaves KMS). Its certificate chain (the RGS***
        seal certificate issued for this key's public key) is put by the operator in the SSM parameter
        ``seal_certificate_parameter`` (README, "Deploying to AWS")."""
        spec = self.node.try_get_context("sealKeySpec") or "ECC_NIST_P256"
        self.seal_key = kms.Key(
            self,
            "SealKey",
            key_spec=getattr(kms.KeySpec, spec),
            key_usage=kms.KeyUsage.SIGN_VERIFY,
            alias=f"alias/einvoice-{self.stage}-seal",
            description="einvoice platform seal (PAdES): sign only",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.seal_parameter = f"/einvoice/{self.stage}/seal/certificate-chain"
        cdk.CfnOutput(self, "SealKeyArn", value=self.seal_key.key_arn).override_logical_id("SealKeyArn")
        cdk.CfnOutput(self, "SealCertificateParameter", value=self.seal_parameter).override_logical_id(
            "SealCertificateParameter")

    # --- code ---------------------------------------------------------------------------------------
    def _layers(self) -> None:
        self.layers: dict[str, lambda_.LayerVersion] = {}
        for layer in layer_spec.LAYERS:
            if self.package is not None:
                code = lambda_.Code.from_asset(str(PACKAGE_DIR / self.package["layers"][layer.name]["zip"]))
            else:
                code = lambda_.Code.from_asset(str(ROOT / "layers" / "core"), exclude=["__pycache__", "*.pyc"])
            self.layers[layer.name] = lambda_.LayerVersion(
                self,
                f"{_pascal(layer.name)}Layer",
                code=code,
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[lambda_.Architecture.X86_64],
                description=layer.description[:256],
            )

    def _code(self, name: str) -> lambda_.Code:
        if self.package is not None:
            return lambda_.Code.from_asset(str(PACKAGE_DIR / self.package["functions"][name]["zip"]))
        return lambda_.Code.from_asset(str(ROOT / "functions" / name), exclude=["__pycache__", "*.pyc"])

    def _sm_arn(self, name: str) -> str:
        # Constructed (not referenced) so functions and machines can refer to each other without cycles.
        return cdk.Stack.of(self).format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self._sm_name(name),
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )

    def _execution_arns(self, name: str) -> str:
        return cdk.Stack.of(self).format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self._sm_name(name)}:*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )

    def _sm_name(self, name: str) -> str:
        return f"einvoice-{self.stage}-{name}"

    def _environment(self) -> dict[str, str]:
        env = {
            "POWERTOOLS_SERVICE_NAME": "einvoice",
            "POWERTOOLS_METRICS_NAMESPACE": "EInvoice",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            ENV["stage"]: self.stage,
            "OMP_THREAD_LIMIT": "1",
        }
        for setting, table in self.tables.items():
            env[ENV[setting]] = table.table_name
        for setting, bucket in self.buckets.items():
            env[ENV[setting]] = bucket.bucket_name
        for sm in STATE_MACHINES:
            env[ENV[sm.setting]] = self._sm_arn(sm.name)
        for spec in QUEUES:
            env[ENV[spec.setting]] = self.queues[spec.setting].queue_url
        env[ENV[EVENT_BUS[1]]] = self.event_bus.event_bus_name
        env[ENV["ocr_engine"]] = "textract"
        env[ENV["seal_key_id"]] = self.seal_key.key_arn
        env[ENV["seal_certificate_parameter"]] = self.seal_parameter
        env[ENV["sender_email"]] = self.sender_email
        return env

    def _functions(self) -> None:
        env = self._environment()
        self.dlq = sqs.Queue(
            self,
            "AsyncDeadLetterQueue",
            retention_period=cdk.Duration.days(14),
            enforce_ssl=True,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
        )
        # One log group per area, shared by its functions: Lambda names each stream
        # YYYY/MM/DD/<function>[<version>]<environment> in a custom group, so every line still names its
        # function; one group per function was 66 resources of CloudFormation's 500 (decision log).
        area_logs: dict[str, logs.LogGroup] = {}
        for fn in FUNCTIONS:
            area = AREA_OF[fn.name]
            if area not in area_logs:
                area_logs[area] = logs.LogGroup(
                    self,
                    f"{_pascal(area)}FunctionLogs",
                    retention=logs.RetentionDays.THREE_MONTHS,
                    removal_policy=cdk.RemovalPolicy.DESTROY,
                )
            log_group = area_logs[area]
            role = iam.Role(
                self,
                f"{_pascal(fn.name)}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"Least-privilege role of the {fn.name} function",
            )
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:*"],
                )
            )
            role.add_to_policy(
                iam.PolicyStatement(actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"])
            )
            self._ack(role, "Resource::*", "X-Ray and Textract actions have no resource-level permissions.")
            self._ack(role, f"Resource::<{self._lid(log_group)}.Arn>:*", "Log streams of its area's log group (stream names carry the function name).")
            is_async = fn.s3_trigger is not None
            function = lambda_.Function(
                self,
                f"{_pascal(fn.name)}Function",
                runtime=RUNTIME,
                architecture=lambda_.Architecture.X86_64,
                handler="handler.lambda_handler",
                code=self._code(fn.name),
                layers=[self.layers[name] for name in layer_spec.layers_for(fn)],
                memory_size=fn.memory_mb,
                timeout=cdk.Duration.seconds(fn.timeout_seconds),
                environment={**env, **fn.env},
                role=role,
                log_group=log_group,
                tracing=lambda_.Tracing.ACTIVE,
                description=fn.description or fn.name,
                dead_letter_queue=self.dlq if is_async else None,
                retry_attempts=2 if is_async else None,
            )
            self._grant(fn, function, role)
            self.functions[fn.name] = function
            if fn.schedule:
                events.Rule(self, f"{_pascal(fn.name)}Schedule", schedule=events.Schedule.expression(fn.schedule),
                            targets=[targets.LambdaFunction(function)])
            if fn.queue_trigger:
                function.add_event_source(sources.SqsEventSource(
                    self.queues[f"{fn.queue_trigger}_queue_url"], batch_size=10, report_batch_item_failures=True))
            if fn.s3_trigger:
                alias, suffix = fn.s3_trigger
                function.add_event_source(
                    sources.S3EventSource(
                        self.buckets[f"{alias}_bucket"],
                        events=[s3.EventType.OBJECT_CREATED],
                        filters=[s3.NotificationKeyFilter(suffix=suffix)],
                    )
                )

    def _lid(self, construct) -> str:
        return self.resolve(self.get_logical_id(construct.node.default_child))

    def _ack(self, scope, finding: str, reason: str) -> None:
        cdk.Validations.of(scope).acknowledge(
            cdk.Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[{finding}]", reason=reason)
        )

    def _grant(self, fn: Function, function: lambda_.Function, role: iam.Role) -> None:
        # an idempotent route stores its answers in the idempotency table (Powertools Idempotency)
        idempotent = any(r.idempotent for r in fn.routes) and "idempotency:rw" not in fn.access
        for access in fn.access + (("idempotency:rw",) if idempotent else ()):
            kind, _, rest = access.partition(":")
            if kind in ("tenancy", "data", "directory", "idempotency"):
                table = self.tables[f"{kind}_table"]
                if rest == "r":
                    table.grant_read_data(role)
                else:
                    table.grant_read_write_data(role)
                self._ack(role, f"Resource::<{self._lid(table)}.Arn>/index/*", "Queries on the table's own GSIs.")
            elif kind in ("archive", "drop", "outbox"):
                bucket = self.buckets[f"{kind}_bucket"]
                if rest == "r":
                    bucket.grant_read(role)
                elif rest == "w":
                    bucket.grant_put(role)
                    role.add_to_policy(
                        iam.PolicyStatement(actions=["s3:PutObjectRetention"], resources=[bucket.arn_for_objects("*")])
                    )
                else:
                    bucket.grant_read_write(role)
                why = "Object keys of the platform's own bucket (keys are tenant-prefixed and content-addressed)."
                self._ack(role, f"Resource::<{self._lid(bucket)}.Arn>/*", why)
                for action in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*"):
                    self._ack(role, f"Action::{action}", "CDK grant action groups on the platform's own bucket.")
            elif access == "ses:send":
                role.add_to_policy(
                    iam.PolicyStatement(
                        actions=["ses:SendEmail", "ses:SendRawEmail"],
                        resources=[
                            self.format_arn(service="ses", resource="identity", resource_name=name)
                            for name in (self.sender_email, self.sender_email.split("@", 1)[1])
                        ],
                    )
                )
            elif kind == "sfn" and rest.startswith("start:"):
                name = rest.split(":", 1)[1]
                role.add_to_policy(
                    iam.PolicyStatement(
                        actions=["states:StartExecution", "states:DescribeExecution"],
                        resources=[self._sm_arn(name), self._execution_arns(name)],
                    )
                )
                region = "<AWS::Region>" if cdk.Token.is_unresolved(self.region) else self.region
                arn = f"arn:<AWS::Partition>:states:{region}:<AWS::AccountId>:execution:{self._sm_name(name)}:*"
                self._ack(role, f"Resource::{arn}", "Executions of its own state machine.")
            elif access == "sfn:callback":
                role.add_to_policy(
                    iam.PolicyStatement(
                        actions=["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                        resources=[self._sm_arn(sm.name) for sm in STATE_MACHINES] or ["*"],
                    )
                )
            elif access == "apigw:keys":
                role.add_to_policy(
                    iam.PolicyStatement(
                        actions=["apigateway:POST", "apigateway:GET"],
                        resources=[
                            self.format_arn(service="apigateway", account="", resource="/apikeys"),
                            self.format_arn(service="apigateway", account="", resource="/usageplans/*"),
                        ],
                    )
                )
            elif access == "seal":
                role.add_to_policy(
                    iam.PolicyStatement(actions=["kms:Sign", "kms:GetPublicKey"], resources=[self.seal_key.key_arn])
                )
                role.add_to_policy(
                    iam.PolicyStatement(
                        actions=["ssm:GetParameter"],
                        resources=[self.format_arn(service="ssm", resource="parameter",
                                                   resource_name=self.seal_parameter.lstrip("/"))],
                    )
                )
            elif access == "events:put":
                self.event_bus.grant_put_events_to(role)
            elif kind == "sqs" and rest.startswith("send:"):
                self.queues[f"{rest.split(':', 1)[1]}_queue_url"].grant_send_messages(role)
            elif access == "ssm:platforms":
                role.add_to_policy(iam.PolicyStatement(
                    actions=["ssm:GetParameter"],
                    resources=[self.format_arn(service="ssm", resource="parameter",
                                               resource_name=f"einvoice/{self.stage}/platforms/*")]))
                region = "<AWS::Region>" if cdk.Token.is_unresolved(self.region) else self.region
                self._ack(role, f"Resource::arn:<AWS::Partition>:ssm:{region}:<AWS::AccountId>:parameter/"
                                f"einvoice/{self.stage}/platforms/*",
                          "The OAuth2 client secrets of the platform registry, one parameter per platform.")
            elif access == "textract":
                role.add_to_policy(
                    iam.PolicyStatement(
                        actions=["textract:AnalyzeExpense", "textract:StartExpenseAnalysis", "textract:GetExpenseAnalysis",
                                 "textract:AnalyzeDocument", "textract:DetectDocumentText"],
                        resources=["*"],
                    )
                )
            else:
                raise ValueError(f"{fn.name}: unknown access {access!r}")

    # --- workflows ----------------------------------------------------------------------------------
    def _state_machines(self) -> None:
        arns = {}
        for fn in FUNCTIONS:
            for sub in fn.asl_substitutions:
                arns[sub] = self.functions[fn.name].function_arn
        for sm in STATE_MACHINES:
            subs = {f"{t.logical_id}Name": self.tables[t.setting].table_name for t in TABLES}
            subs.update({f"{b.logical_id}Name": self.buckets[b.setting].bucket_name for b in BUCKETS})
            subs.update(arns)
            subs.update(sm.substitutions)
            log_group = logs.LogGroup(
                self,
                f"{_pascal(sm.name)}StateMachineLogs",
                retention=logs.RetentionDays.THREE_MONTHS,
                removal_policy=cdk.RemovalPolicy.DESTROY,
            )
            machine = sfn.StateMachine(
                self,
                f"{_pascal(sm.name)}StateMachine",
                state_machine_name=self._sm_name(sm.name),
                state_machine_type=sfn.StateMachineType.EXPRESS if sm.type == "EXPRESS" else sfn.StateMachineType.STANDARD,
                definition_body=sfn.DefinitionBody.from_file(str(ROOT / "statemachines" / f"{sm.name}.asl.json")),
                definition_substitutions=subs,
                tracing_enabled=True,
                logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            )
            text = (ROOT / "statemachines" / f"{sm.name}.asl.json").read_text()
            self._ack(machine.role, "Resource::*", "X-Ray tracing has no resource-level permissions.")
            for fn in FUNCTIONS:
                if any("${" + sub + "}" in text for sub in fn.asl_substitutions):
                    self.functions[fn.name].grant_invoke(machine)
                    self._ack(
                        machine.role,
                        f"Resource::<{self._lid(self.functions[fn.name])}.Arn>:*",
                        "Versions and aliases of the task functions this machine calls.",
                    )
            self.state_machines[sm.name] = machine

    # --- API ----------------------------------------------------------------------------------------
    def _api(self) -> None:
        access_logs = logs.LogGroup(
            self, "ApiAccessLogs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"einvoice-{self.stage}",
            description="French e-invoicing platform API",
            api_key_source_type=apigw.ApiKeySourceType.HEADER,
            binary_media_types=["application/pdf", "application/octet-stream", "image/*", "multipart/form-data"],
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=self.stage,
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=200,
                throttling_burst_limit=400,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False, http_method=True, ip=True, protocol=True, request_time=True,
                    resource_path=True, response_length=True, status=True, user=False,
                ),
            ),
            endpoint_types=[apigw.EndpointType.REGIONAL],
        )
        self.api.add_request_validator("BodyValidator", validate_request_body=False, validate_request_parameters=True)
        for response_type, (status, code) in GATEWAY_RESPONSES.items():  # API Gateway's own answers: the error body
            self.api.add_gateway_response(
                f"Gw{''.join(p.title() for p in response_type.split('_'))}",
                type=apigw.ResponseType.of(response_type),
                status_code=status,
                templates={"application/json": body_template(code)},
            )
        authorizer = self._flow_clients()
        for fn in FUNCTIONS:
            for route in fn.routes:
                resource = self.api.root.resource_for_path(route.path)
                oauth2 = route.auth == "oauth2"
                resource.add_method(
                    route.method,
                    apigw.LambdaIntegration(self.functions[fn.name], proxy=True, allow_test_invoke=False),
                    api_key_required=route.auth == "api_key",
                    authorizer=authorizer if oauth2 else None,
                    authorization_type=apigw.AuthorizationType.COGNITO if oauth2 else None,
                    authorization_scopes=list(route.scopes) if oauth2 else None,
                    operation_name=f"{fn.name}_{route.method.lower()}",
                )
        self.usage_plan = self.api.add_usage_plan(
            "DefaultUsagePlan",
            name=f"einvoice-{self.stage}-default",
            throttle=apigw.ThrottleSettings(rate_limit=50, burst_limit=100),
            quota=apigw.QuotaSettings(limit=1_000_000, period=apigw.Period.MONTH),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
        )
        waf = wafv2.CfnWebACL(
            self,
            "ApiWebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name="einvoice-api", sampled_requests_enabled=True
            ),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name=name,
                    priority=i,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS", name=name
                        )
                    ),
                    visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
                    ),
                )
                for i, name in enumerate(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"])
            ],
        )
        wafv2.CfnWebACLAssociation(
            self, "ApiWebAclAssociation", resource_arn=self.api.deployment_stage.stage_arn, web_acl_arn=waf.attr_arn
        )
        for name, function in self.functions.items():
            if "apigw:keys" in _fn(name).access:
                function.add_environment(ENV["usage_plan_id"], self.usage_plan.usage_plan_id)
        cdk.CfnOutput(self, "ApiUrl", value=self.api.url).override_logical_id("ApiUrl")
        cdk.CfnOutput(self, "UsagePlanId", value=self.usage_plan.usage_plan_id).override_logical_id("UsagePlanId")

    def _flow_clients(self) -> apigw.CognitoUserPoolsAuthorizer:
        """OAuth2 client credentials of the Flow API: a user pool without users (app clients only, one per
        platform or account software, created by ``einvoice admin create-flow-client --user-pool-id``), the
        ``einvoice`` resource server with the flows.write / flows.read scopes, its token endpoint (a Cognito
        domain) and the authorizer API Gateway runs on the ``oauth2`` routes with their scopes."""
        from einvoice.flows.clients import SCOPES

        self.user_pool = cognito.UserPool(
            self, "FlowClientsPool", user_pool_name=f"einvoice-{self.stage}-flow-clients", self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True), removal_policy=cdk.RemovalPolicy.RETAIN,
            password_policy=cognito.PasswordPolicy(min_length=16, require_symbols=True, require_uppercase=True,
                                                   require_digits=True, require_lowercase=True),
            feature_plan=cognito.FeaturePlan.ESSENTIALS, mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
        )
        cdk.Validations.of(self.user_pool).acknowledge(cdk.Acknowledgment(
            id="AwsSolutions::AwsSolutions-COG8",
            reason="The pool has no users: only app clients with the client-credentials grant (other platforms, "
                   "account software); threat protection (Plus plan) guards user sign-ins, which never happen."))
        identifier, _, _ = SCOPES[0].partition("/")
        self.user_pool.add_resource_server("FlowApiResourceServer", identifier=identifier, scopes=[
            cognito.ResourceServerScope(scope_name=scope.partition("/")[2], scope_description=scope)
            for scope in SCOPES])
        prefix = self.node.try_get_context("flowAuthDomainPrefix") or f"einvoice-{self.stage}-flows"
        domain = self.user_pool.add_domain("FlowClientsDomain",
                                           cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix))
        cdk.CfnOutput(self, "FlowUserPoolId", value=self.user_pool.user_pool_id).override_logical_id("FlowUserPoolId")
        cdk.CfnOutput(self, "FlowTokenUrl", value=domain.base_url() + "/oauth2/token").override_logical_id(
            "FlowTokenUrl")
        for fn in self.functions.values():
            fn.add_environment(ENV["oauth_token_url"], domain.base_url() + "/oauth2/token")
        return apigw.CognitoUserPoolsAuthorizer(self, "FlowApiAuthorizer", cognito_user_pools=[self.user_pool],
                                                authorizer_name=f"einvoice-{self.stage}-flow-clients")

    # --- monitoring ---------------------------------------------------------------------------------
    def _alarms(self) -> None:
        cw.Alarm(
            self,
            "DeadLettersAlarm",
            alarm_description="Asynchronous invocations failed after retries (S3 drop imports...)",
            metric=self.dlq.metric_approximate_number_of_messages_visible(period=cdk.Duration.minutes(5)),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        for spec in QUEUES:
            cw.Alarm(
                self,
                f"{spec.logical_id}DeadLettersAlarm",
                alarm_description=f"Messages of {spec.logical_id} failed {spec.max_receive_count} times",
                metric=self.queues[spec.setting + "#dlq"].metric_approximate_number_of_messages_visible(
                    period=cdk.Duration.minutes(5)),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
        for name, machine in self.state_machines.items():
            cw.Alarm(
                self,
                f"{_pascal(name)}FailedExecutionsAlarm",
                alarm_description=f"{name} executions failed",
                metric=machine.metric_failed(period=cdk.Duration.minutes(5)),
                threshold=1,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
        # One alarm per group of functions (metric math: the largest error count of the group in 5 minutes),
        # so each function still alarms at 5 errors, in 6 alarms instead of one per function: the stack is
        # near CloudFormation's 500-resource limit (decision log 2026-12-02, reception).
        names = sorted(self.functions)
        for start in range(0, len(names), ALARM_GROUP):
            group = names[start:start + ALARM_GROUP]
            cw.Alarm(
                self,
                f"FunctionErrorsAlarm{start // ALARM_GROUP + 1}",
                alarm_description=("Errors (5 in 5 minutes in one of): " + ", ".join(group))[:1024],
                metric=cw.MathExpression(
                    expression="MAX(METRICS())", period=cdk.Duration.minutes(5), label="largest error count",
                    using_metrics={f"m{i}": self.functions[n].metric_errors(period=cdk.Duration.minutes(5))
                                   for i, n in enumerate(group)}),
                threshold=5,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )

    # --- cdk-nag ------------------------------------------------------------------------------------
    def _suppressions(self) -> None:
        """Stack-level findings, acknowledged on the constructs they concern only: cdk-nag copies an
        acknowledgement into the metadata of every resource below its scope, and acknowledging them on
        the stack pushed the template past CloudFormation's 1 MB limit."""
        api_methods = [m for m in self.api.node.find_all() if isinstance(m, apigw.Method)]
        notifications = [c for c in self.node.children if c.node.id.startswith("BucketNotificationsHandler")]
        functions = list(self.functions.values()) + notifications
        dead_letters = [self.dlq] + [q for k, q in self.queues.items() if k.endswith("#dlq")]
        for ack, scopes in [
                (cdk.Acknowledgment(
                    id="AwsSolutions-APIG4",
                    reason="Callers are white-label partners and portal back ends authenticated by API keys "
                    "(usage plans with throttle and quota); the key is resolved to a tenant in every handler.",
                ), api_methods),
                (cdk.Acknowledgment(
                    id="AwsSolutions-COG4",
                    reason="No Cognito user pool: authentication is by partner/account API keys (see APIG4).",
                ), api_methods),
                (cdk.Acknowledgment(
                    id="AwsSolutions-APIG2",
                    reason="Bodies are validated in each Lambda (pydantic models, 422 with field paths and "
                    "EN 16931 / BR-FR rule ids), which API Gateway models cannot express.",
                ), [self.api]),
                (cdk.Acknowledgment(
                    id="AwsSolutions-L1",
                    reason="Python 3.12 (Amazon Linux 2023): the layers' native wheels (saxonche, typst, lxml, "
                    "pydantic-core) are resolved and packaged for it by make package; moving to a newer runtime "
                    "is a deliberate change with its own packaging and test run.",
                ), functions),
                (cdk.Acknowledgment(
                    id="AwsSolutions-APIG6",
                    reason="Access logs (JSON) are enabled on the stage; execution logging needs the account-wide "
                    "API Gateway CloudWatch role, which this stack deliberately does not manage.",
                ), [self.api]),
                (cdk.Acknowledgment(
                    id="AwsSolutions-SQS3",
                    reason="This queue is itself a dead-letter queue (asynchronous invocations, redeliveries).",
                ), dead_letters),
                (cdk.Acknowledgment(
                    id="AwsSolutions-S1",
                    reason="The access-logs bucket receives the other buckets' server access logs; logging it "
                    "into itself would loop.",
                ), [self.access_logs]),
                (cdk.Acknowledgment(
                    id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                    reason="CDK's bucket-notification helper Lambda uses AWSLambdaBasicExecutionRole; the "
                    "platform's own functions have inline least-privilege roles.",
                ), notifications),
        ]:
            for scope in scopes:
                cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=f"AwsSolutions::{ack.id}",
                                                                         reason=ack.reason))


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _fn(name: str) -> Function:
    for f in FUNCTIONS:
        if f.name == name:
            return f
    raise KeyError(name)
