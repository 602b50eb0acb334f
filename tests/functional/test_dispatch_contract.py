"""Contract test of the in-process Lambda dispatch on moto.

It fails loudly if a moto upgrade changes the internals the patches rely on: the Invoke API,
Step Functions task invocation with real error names (Retry/Catch), the task-token callback,
and S3 event notifications.
"""

import json
import time
import uuid

import pytest

from local import dispatch
from local.bootstrap import ACCOUNT_ID, function_arn
from local.bootstrap import _empty_zip as _zip


class FlakyError(Exception):
    pass


class PermanentError(Exception):
    pass


def _wait(sfn, arn, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        desc = sfn.describe_execution(executionArn=arn)
        if desc["status"] != "RUNNING":
            return desc
        time.sleep(0.05)
    pytest.fail(f"execution still running after {timeout} s")


def _machine(sfn, definition):
    return sfn.create_state_machine(
        name=f"contract-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/sfn",
    )["stateMachineArn"]


def test_patches_target_existing_moto_internals():
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

    assert hasattr(LambdaSimpleBackend, "invoke") and hasattr(LambdaFunction, "invoke")
    assert hasattr(retrier_decl, "time") and hasattr(wait_function.WaitFunction, "_wait_interval")
    from moto.dynamodb.responses import DynamoHandler

    assert hasattr(DynamoHandler, "call_action")


def test_dynamodb_actions_are_serialized_across_threads(aws):
    """moto's DynamoDB is not thread-safe; the local platform serializes its actions."""
    import threading

    from einvoice.adapters.aws.clients import table

    t = table(aws.settings.data_table)
    t.put_item(Item={"pk": "ACC#x", "sk": "ITEM", "n": 0, "tags": ["a"]})
    errors = []

    def writer():
        try:
            for i in range(200):
                t.update_item(Key={"pk": "ACC#x", "sk": "ITEM"}, UpdateExpression="SET n = :n, #f = :v",
                              ExpressionAttributeNames={"#f": f"f{i}"}, ExpressionAttributeValues={":n": i, ":v": i})
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    def reader():
        try:
            for _ in range(200):
                t.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "ACC#x"})
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader), threading.Thread(target=reader)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


def test_invoke_api_reaches_the_python_handler(aws):
    from einvoice.adapters.aws.clients import client

    dispatch.register("contract_echo", lambda event, ctx: {"echo": event, "fn": ctx.function_name})
    out = client("lambda").invoke(FunctionName="contract_echo", Payload=json.dumps({"n": 1}))
    assert json.loads(out["Payload"].read()) == {"echo": {"n": 1}, "fn": "contract_echo"}


def test_step_functions_retry_and_catch_see_real_error_names(aws):
    from einvoice.adapters.aws.clients import client

    calls = {"flaky": 0}

    def flaky(event, ctx):
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            raise FlakyError("try again")
        return {"ok": True}

    def permanent(event, ctx):
        raise PermanentError("no way")

    dispatch.register("contract_flaky", flaky)
    dispatch.register("contract_permanent", permanent)
    region = aws.settings.region
    sfn = client("stepfunctions")
    arn = _machine(
        sfn,
        {
            "StartAt": "Flaky",
            "States": {
                "Flaky": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": function_arn("contract_flaky", region), "Payload.$": "$"},
                    "ResultSelector": {"ok.$": "$.Payload.ok"},
                    "Retry": [{"ErrorEquals": ["FlakyError"], "IntervalSeconds": 60, "MaxAttempts": 3, "BackoffRate": 2}],
                    "Next": "Permanent",
                },
                "Permanent": {
                    "Type": "Task",
                    "Resource": function_arn("contract_permanent", region),
                    "Catch": [{"ErrorEquals": ["PermanentError"], "ResultPath": "$.error", "Next": "Caught"}],
                    "End": True,
                },
                "Caught": {"Type": "Fail", "Error": "Caught", "Cause": "PermanentError was caught by name"},
            },
        },
    )
    started = time.monotonic()
    ex = sfn.start_execution(stateMachineArn=arn, name=str(uuid.uuid4()), input="{}")
    desc = _wait(sfn, ex["executionArn"])
    assert time.monotonic() - started < 10, "fast_time() no longer removes Retry intervals"
    assert calls["flaky"] == 3
    assert desc["status"] == "FAILED"
    history = sfn.get_execution_history(executionArn=ex["executionArn"])["events"]
    failed = [e for e in history if e["type"] == "TaskFailed"]
    assert [e["taskFailedEventDetails"]["error"] for e in failed][:2] == ["FlakyError", "FlakyError"]
    assert any(e.get("taskFailedEventDetails", {}).get("error") == "PermanentError" for e in history) or any(
        e.get("lambdaFunctionFailedEventDetails", {}).get("error") == "PermanentError" for e in history
    )
    assert history[-1]["executionFailedEventDetails"]["error"] == "Caught"


def test_task_token_callback(aws):
    from einvoice.adapters.aws.clients import client

    tokens = []
    dispatch.register("contract_wait", lambda event, ctx: tokens.append(event["token"]) or {})
    sfn = client("stepfunctions")
    arn = _machine(
        sfn,
        {
            "StartAt": "Wait",
            "States": {
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {
                        "FunctionName": function_arn("contract_wait", aws.settings.region),
                        "Payload": {"token.$": "$$.Task.Token"},
                    },
                    "TimeoutSeconds": 30,
                    "End": True,
                }
            },
        },
    )
    ex = sfn.start_execution(stateMachineArn=arn, name=str(uuid.uuid4()), input="{}")
    deadline = time.monotonic() + 10
    while not tokens and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tokens, "the waitForTaskToken task never reached the handler"
    assert sfn.describe_execution(executionArn=ex["executionArn"])["status"] == "RUNNING"
    sfn.send_task_success(taskToken=tokens[0], output=json.dumps({"confirmed": True}))
    desc = _wait(sfn, ex["executionArn"])
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"]) == {"confirmed": True}


def test_s3_notification_reaches_the_python_handler(aws):
    from einvoice.adapters.aws.clients import client

    seen = []
    dispatch.register("contract_s3", lambda event, ctx: seen.append(event) or None)
    lam, s3 = client("lambda"), client("s3")
    lam.create_function(
        FunctionName="contract_s3",
        Runtime="python3.11",
        Role=f"arn:aws:iam::{ACCOUNT_ID}:role/einvoice-local",
        Handler="handler.lambda_handler",
        Code={"ZipFile": _zip()},
    )
    bucket = aws.settings.drop_bucket
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": function_arn("contract_s3", aws.settings.region),
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".csv"}]}},
                }
            ]
        },
    )
    s3.put_object(Bucket=bucket, Key="imports/acc/batch 1.csv", Body=b"x")
    s3.put_object(Bucket=bucket, Key="imports/acc/notes.txt", Body=b"x")
    assert len(seen) == 1
    from urllib.parse import unquote_plus

    key = seen[0]["Records"][0]["s3"]["object"]["key"]
    assert " " not in key, "S3 events carry URL-encoded keys"
    assert unquote_plus(key) == "imports/acc/batch 1.csv"


def test_cancelled_transaction_rolls_back_only_what_it_touched(aws):
    """The local platform's cheaper TransactWriteItems (no whole-table copies) keeps DynamoDB's
    all-or-nothing semantics and cancellation reasons."""
    import moto.dynamodb.models as models

    from einvoice.adapters.aws.clients import client

    assert getattr(models.DynamoDBBackend.transact_write_items, "_einvoice_cheap", False)
    ddb, name = client("dynamodb"), aws.settings.data_table
    ddb.put_item(TableName=name, Item={"pk": {"S": "T"}, "sk": {"S": "2"}, "v": {"S": "old"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "T"}, "sk": {"S": "other"}, "v": {"S": "kept"}})
    actions = [
        {"Put": {"TableName": name, "Item": {"pk": {"S": "T"}, "sk": {"S": "1"}}}},
        {"Update": {"TableName": name, "Key": {"pk": {"S": "T"}, "sk": {"S": "2"}}, "UpdateExpression": "SET v = :n",
                    "ExpressionAttributeValues": {":n": {"S": "new"}}}},
        {"Put": {"TableName": name, "Item": {"pk": {"S": "T"}, "sk": {"S": "2x"}}}},
        {"Put": {"TableName": name, "Item": {"pk": {"S": "T"}, "sk": {"S": "other"}},
                 "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
    ]
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as exc:
        ddb.transact_write_items(TransactItems=actions)
    reasons = exc.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert reasons[3]["Item"]["v"] == {"S": "kept"}
    items = ddb.query(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "T"}})
    assert {i["sk"]["S"]: i.get("v", {}).get("S") for i in items["Items"]} == {"2": "old", "other": "kept"}
    ddb.transact_write_items(TransactItems=actions[:3])
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "T"}, "sk": {"S": "2"}})["Item"]["v"] == {"S": "new"}
