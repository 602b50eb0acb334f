"""The transmission's AWS resources on the synthesized template."""

from aws_cdk.assertions import Match

from einvoice.resources import ARCHIVE_BUNDLE_PREFIX, ARCHIVE_HOT_PREFIX


def _of(template, kind):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_transmission_is_an_express_workflow_with_logs(template):
    template.has_resource_properties("AWS::StepFunctions::StateMachine", {
        "StateMachineType": "EXPRESS", "StateMachineName": Match.string_like_regexp("transmission"),
        "LoggingConfiguration": Match.object_like({"Level": "ALL", "IncludeExecutionData": False})})


def test_redelivery_queue_has_a_dead_letter_queue_an_alarm_and_a_batch_consumer(synthesized, template):
    queues = _of(synthesized["template"], "AWS::SQS::Queue")
    redelivery = [q for k, q in queues.items() if k.startswith("RedeliveryQueue") and "DeadLetters" not in k]
    assert len(redelivery) == 1 and redelivery[0]["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 5
    alarms = _of(synthesized["template"], "AWS::CloudWatch::Alarm")
    assert any(k.startswith("RedeliveryQueueDeadLettersAlarm") for k in alarms)
    template.has_resource_properties("AWS::Lambda::EventSourceMapping", {
        "BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]})


def test_archive_lifecycle_bundles_go_cold_and_hot_containers_expire(synthesized):
    buckets = _of(synthesized["template"], "AWS::S3::Bucket")
    (archive,) = [b for b in buckets.values() if b["Properties"].get("ObjectLockEnabled")]
    rules = {r["Prefix"]: r for r in archive["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules[ARCHIVE_HOT_PREFIX]["ExpirationInDays"] > 90
    assert rules[ARCHIVE_BUNDLE_PREFIX]["Transitions"][0]["StorageClass"] == "DEEP_ARCHIVE"


def test_bundler_is_scheduled_and_status_events_have_a_bus(template):
    template.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "cron(30 2 * * ? *)"})
    template.resource_count_is("AWS::Events::EventBus", 1)
