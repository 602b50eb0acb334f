"""The CDK stack: properties the issue requires, checked on the synthesized template."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Match

from einvoice.resources import ARCHIVE_RETENTION_YEARS, TABLES
from einvoice.routes import FUNCTIONS, STATE_MACHINES, routes
from infra.layers import LAMBDA_RUNTIME

ROOT = Path(__file__).resolve().parents[2]


def _resources(template, kind):
    return {k: v for k, v in template.items() if isinstance(v, dict) and v.get("Type") == kind}


def test_tables_on_demand_pitr_encrypted_retained(synthesized, template):
    tables = _resources(synthesized["template"]["Resources"], "AWS::DynamoDB::Table")
    assert len(tables) == len(TABLES)
    for res in tables.values():
        props = res["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["SSESpecification"]["SSEEnabled"] is True
        assert res["DeletionPolicy"] == "Retain"
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {"GlobalSecondaryIndexes": Match.array_with([Match.object_like({"IndexName": "gsi2"})])},
    )


def test_archive_bucket_object_lock_compliance_ten_years(synthesized):
    buckets = _resources(synthesized["template"]["Resources"], "AWS::S3::Bucket")
    locked = [b for b in buckets.values() if b["Properties"].get("ObjectLockEnabled")]
    assert len(locked) == 1
    archive = locked[0]
    retention = archive["Properties"]["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention["Mode"] == "COMPLIANCE"
    assert retention["Days"] >= 365 * ARCHIVE_RETENTION_YEARS + ARCHIVE_RETENTION_YEARS // 4
    assert archive["Properties"]["VersioningConfiguration"]["Status"] == "Enabled"
    assert archive["DeletionPolicy"] == "Retain" and archive["UpdateReplacePolicy"] == "Retain"
    for bucket in buckets.values():
        pab = bucket["Properties"]["PublicAccessBlockConfiguration"]
        assert all(pab[k] for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))


def test_every_bucket_enforces_tls(synthesized):
    res = synthesized["template"]["Resources"]
    buckets = _resources(res, "AWS::S3::Bucket")
    policies = _resources(res, "AWS::S3::BucketPolicy").values()
    for logical_id in buckets:
        policy = [p for p in policies if p["Properties"]["Bucket"] == {"Ref": logical_id}]
        assert policy, f"{logical_id} has no bucket policy"
        statements = policy[0]["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        ), f"{logical_id} does not deny plain HTTP"


def test_one_lambda_per_manifest_function_with_its_own_role(synthesized):
    res = synthesized["template"]["Resources"]
    functions = {
        k: v for k, v in _resources(res, "AWS::Lambda::Function").items() if v["Properties"].get("Handler") == "handler.lambda_handler"
    }
    assert len(functions) == len(FUNCTIONS)
    roles = [f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()]
    assert len(set(roles)) == len(roles), "functions must not share a role"
    for role_id in roles:
        assert "ManagedPolicyArns" not in res[role_id]["Properties"], "least privilege: inline policies only"
    for fn in functions.values():
        props = fn["Properties"]
        assert props["Runtime"] == LAMBDA_RUNTIME
        assert props["TracingConfig"]["Mode"] == "Active"
        assert "EINVOICE_DATA_TABLE" in props["Environment"]["Variables"]


def test_function_roles_only_get_what_the_manifest_grants(synthesized):
    res = synthesized["template"]["Resources"]
    policies = _resources(res, "AWS::IAM::Policy")
    for fn in FUNCTIONS:
        pascal = "".join(p.capitalize() for p in fn.name.split("_"))
        role_policies = [p for k, p in policies.items() if k.startswith(f"{pascal}RoleDefaultPolicy")]
        actions = set()
        for p in role_policies:
            for st in p["Properties"]["PolicyDocument"]["Statement"]:
                acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                actions.update(acts)
        wants_ddb = any(a.split(":")[0] in ("tenancy", "data", "directory", "idempotency") for a in fn.access)
        assert wants_ddb == any(a.startswith("dynamodb:") for a in actions), fn.name
        assert ("ses:send" in fn.access) == any(a.startswith("ses:") for a in actions), fn.name
        if not any(a.endswith(":rw") or a.endswith(":w") for a in fn.access):
            assert not any(a in ("dynamodb:PutItem", "dynamodb:DeleteItem", "s3:PutObject") for a in actions), fn.name


def test_api_methods_match_the_manifest(synthesized, template):
    res = synthesized["template"]["Resources"]
    methods = [m["Properties"] for m in _resources(res, "AWS::ApiGateway::Method").values()]
    assert len(methods) == len(routes())
    for route, _fn in routes():
        matches = [m for m in methods if m["HttpMethod"] == route.method and m.get("OperationName") == f"{_fn.name}_{route.method.lower()}"]
        assert len(matches) == 1, route
        assert matches[0]["ApiKeyRequired"] is (route.auth == "api_key")
        assert matches[0]["Integration"]["Type"] == "AWS_PROXY"
        if route.auth == "oauth2":  # the Flow API: Cognito authorizer with the route's scopes
            assert matches[0]["AuthorizationType"] == "COGNITO_USER_POOLS"
            assert matches[0]["AuthorizationScopes"] == list(route.scopes) and matches[0]["AuthorizerId"]
    template.has_resource_properties("AWS::ApiGateway::RestApi", {"ApiKeySourceType": "HEADER"})
    template.has_resource_properties(
        "AWS::ApiGateway::UsagePlan",
        {"Throttle": Match.object_like({"RateLimit": Match.any_value()}), "Quota": Match.object_like({"Period": "MONTH"})},
    )
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)


def test_state_machines_come_from_the_asl_files_fully_substituted(synthesized):
    res = synthesized["template"]["Resources"]
    machines = _resources(res, "AWS::StepFunctions::StateMachine")
    assert len(machines) == len(STATE_MACHINES)
    for sm in STATE_MACHINES:
        text = (ROOT / "statemachines" / f"{sm.name}.asl.json").read_text()
        wanted = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", text))
        found = [m for m in machines.values() if set(m["Properties"].get("DefinitionSubstitutions", {})) >= wanted]
        assert found, f"{sm.name}: substitutions missing"
        assert found[0]["Properties"]["TracingConfiguration"]["Enabled"] is True
        assert found[0]["Properties"]["LoggingConfiguration"]["Level"] == "ALL"


def test_dead_letters_alarm_and_log_retention(synthesized, template):
    res = synthesized["template"]["Resources"]
    alarms = [a["Properties"] for a in _resources(res, "AWS::CloudWatch::Alarm").values()]
    assert any(a["MetricName"] == "ApproximateNumberOfMessagesVisible" for a in alarms)
    for lg in _resources(res, "AWS::Logs::LogGroup").values():
        assert lg["Properties"].get("RetentionInDays"), "every log group has a retention"


def test_cdk_nag_acknowledgements_carry_reasons(synthesized):
    """cdk-nag AwsSolutions runs as a synth plugin (findings fail synth); each acknowledgement has a reason.

    Acknowledgements are recorded in the validation report of the cloud assembly, not in the template
    (per-resource suppression metadata took most of CloudFormation's 1 MB template budget)."""
    report = json.loads((Path(synthesized["dir"]) / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success" and not nag["violations"]
    acks = nag["suppressedViolations"]
    assert acks, "acknowledgements are recorded in the validation report"
    for ack in acks:
        assert len(ack["reason"]) > 30, ack
    for res in synthesized["template"]["Resources"].values():
        assert "cdk_nag" not in res.get("Metadata", {}), "suppressions stay out of the template"


def test_template_fits_cloudformation_with_room_to_grow(synthesized):
    """CloudFormation refuses a template over 1,000,000 bytes (uploaded through S3)."""
    size = Path(synthesized["template_path"]).stat().st_size
    assert size < 800_000, f"{size} bytes: split the stack (nested stacks per area) before it reaches 1 MB"


def test_stack_stays_under_cloudformations_resource_limit_with_room(synthesized):
    """CloudFormation refuses more than 500 resources in a stack (CDK fails synthesis); keep 20 spare so
    the area that crosses the line is told to move to nested stacks before it breaks a deploy."""
    res = synthesized["template"]["Resources"]
    assert len(res) < 480, f"{len(res)} resources: split the stack (nested stacks per area)"


def test_functions_log_to_their_areas_group(synthesized):
    """One log group per area (Lambda names each stream after its function in a shared custom group)."""
    from einvoice.routes import AREA_OF

    res = synthesized["template"]["Resources"]
    groups = _resources(res, "AWS::Logs::LogGroup")
    by_area: dict[str, set[str]] = {}
    for logical, fn in _resources(res, "AWS::Lambda::Function").items():
        props = fn["Properties"]
        if props.get("Handler") != "handler.lambda_handler":
            continue  # CDK's own helper functions
        (name,) = [n for n in AREA_OF if logical.startswith("".join(p.title() for p in n.split("_")) + "Function")]
        group = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert group in groups and groups[group]["Properties"]["RetentionInDays"] == 90, logical
        by_area.setdefault(AREA_OF[name], set()).add(group)
    assert all(len(g) == 1 for g in by_area.values()) and len({g for v in by_area.values() for g in v}) == len(by_area)


def test_cfn_lint_has_no_errors(synthesized):
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", synthesized["template_path"]],
        capture_output=True,
        text=True,
    )
    errors = [line for line in proc.stdout.splitlines() if ":E" in line or line.split(":")[-2:-1] == ["E"]]
    assert proc.returncode & 2 == 0 and not errors, proc.stdout


ASL_FILES = sorted((ROOT / "statemachines").glob("*.asl.json"))


@pytest.mark.parametrize("path", ASL_FILES, ids=[p.name for p in ASL_FILES])
def test_statelint(path):
    proc = subprocess.run([str(Path(sys.executable).parent / "statelint"), str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    json.loads(path.read_text())


def test_only_sealing_functions_may_sign_with_the_seal_key(synthesized):
    res = synthesized["template"]["Resources"]
    keys = {k: v for k, v in _resources(res, "AWS::KMS::Key").items()}
    assert len(keys) == 1
    key_id, key = next(iter(keys.items()))
    assert key["Properties"]["KeyUsage"] == "SIGN_VERIFY" and key["Properties"]["KeySpec"] == "ECC_NIST_P256"
    assert key["DeletionPolicy"] == "Retain"
    policies = _resources(res, "AWS::IAM::Policy")
    for fn in FUNCTIONS:
        pascal = "".join(p.capitalize() for p in fn.name.split("_"))
        statements = [st for k, p in policies.items() if k.startswith(f"{pascal}RoleDefaultPolicy")
                      for st in p["Properties"]["PolicyDocument"]["Statement"]]
        signs = [st for st in statements if "kms:Sign" in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])]
        reads = [st for st in statements if st["Action"] == "ssm:GetParameter"
                 and "seal/certificate-chain" in json.dumps(st["Resource"])]
        if "seal" in fn.access:
            assert signs and signs[0]["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}, fn.name
            assert reads and "seal/certificate-chain" in json.dumps(reads[0]["Resource"]), fn.name
        else:
            assert not signs and not reads, fn.name
    fn_props = [v["Properties"] for v in _resources(res, "AWS::Lambda::Function").values()
                if v["Properties"].get("Handler") == "handler.lambda_handler"]
    for props in fn_props:
        variables = props["Environment"]["Variables"]
        assert variables["EINVOICE_SEAL_KEY_ID"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert variables["EINVOICE_SEAL_CERTIFICATE_PARAMETER"] == "/einvoice/test/seal/certificate-chain"
def test_api_gateway_own_answers_carry_the_error_body(synthesized):
    """403 (key, route), 413, 429, integration failures...: Gateway Responses with the one error body."""
    from einvoice.api.gateway import GATEWAY_RESPONSES

    resources = _resources(synthesized["template"]["Resources"], "AWS::ApiGateway::GatewayResponse")
    responses = {r["Properties"]["ResponseType"]: r["Properties"] for r in resources.values()}
    assert set(responses) == set(GATEWAY_RESPONSES)
    for kind in ("MISSING_AUTHENTICATION_TOKEN", "INVALID_API_KEY", "REQUEST_TOO_LARGE", "THROTTLED",
                 "INTEGRATION_FAILURE", "DEFAULT_5XX"):
        props = responses[kind]
        body = props["ResponseTemplates"]["application/json"]
        for key in ('"code"', '"message"', '"details"', '"requestId"', "$context.requestId"):
            assert key in body, (kind, body)
    assert responses["DEFAULT_5XX"]["StatusCode"] == "500", "no bare 502 from API Gateway"
    assert responses["REQUEST_TOO_LARGE"]["StatusCode"] == "413"


def test_flow_api_clients_pool_resource_server_and_token_endpoint(synthesized, template):
    res = synthesized["template"]["Resources"]
    (server,) = _resources(res, "AWS::Cognito::UserPoolResourceServer").values()
    assert server["Properties"]["Identifier"] == "einvoice"
    assert {s["ScopeName"] for s in server["Properties"]["Scopes"]} == {"flows.write", "flows.read"}
    template.resource_count_is("AWS::Cognito::UserPoolDomain", 1)
    template.has_resource_properties("AWS::ApiGateway::Authorizer", {"Type": "COGNITO_USER_POOLS"})
    outputs = synthesized["template"]["Outputs"]
    assert {"FlowUserPoolId", "FlowTokenUrl"} <= set(outputs)
    # one error alarm per group of at most 10 functions (the 500-resource limit), every function covered
    alarms = [a["Properties"] for k, a in res.items() if k.startswith("FunctionErrorsAlarm")]
    covered = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"] for a in alarms for m in a["Metrics"]
               if "MetricStat" in m}
    assert len(covered) == len(_resources(res, "AWS::Lambda::Function")) - 1  # minus the bucket-notification helper
    assert len(res) <= 500
