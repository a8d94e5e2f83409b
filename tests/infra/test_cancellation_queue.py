"""R9, the web's one-time codes: asking for one queues the request's id (the same work for any
member code, so no timing tells whether one exists); a worker on that queue sends the codes, one
message failing alone (partial batch responses), dead-lettered after a few receives and alarmed.
Each side is granted what it calls: the API sends to the queue and no longer needs to reach the
contract for the code; the worker consumes it, computes the code's MAC and publishes it."""

from typing import Any

from aws_cdk import assertions

from infra.constructs.cancellations import MAX_RECEIVES, WORKER_TIMEOUT


def _resources(template: assertions.Template, kind: str) -> dict[str, Any]:
    return dict(template.find_resources(kind))


def _function(template: assertions.Template, prefix: str) -> tuple[str, dict[str, Any]]:
    [(logical, function)] = [
        (logical, f)
        for logical, f in _resources(template, "AWS::Lambda::Function").items()
        if logical.startswith(prefix) and not logical.startswith(f"{prefix}Logs")
    ]
    return logical, function


def _queue(template: assertions.Template, prefix: str) -> tuple[str, dict[str, Any]]:
    [(logical, queue)] = [
        (logical, q)
        for logical, q in _resources(template, "AWS::SQS::Queue").items()
        if logical.startswith(prefix)
    ]
    return logical, queue


def _grants(template: assertions.Template, function: dict[str, Any]) -> list[tuple[str, Any]]:
    """(action, resource) of every statement of the function's role policies."""
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    found = []
    for policy in _resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            found += [(action, resource) for action in actions for resource in resources]
    return found


def _arn(logical: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical, "Arn"]}


def test_the_queue_is_encrypted_and_dead_letters_after_a_few_receives(
    service_template: assertions.Template,
) -> None:
    queue_id, queue = _queue(service_template, "CancellationCodeQueue")
    dlq_id, dlq = _queue(service_template, "CancellationCodeDlq")
    for properties in (queue["Properties"], dlq["Properties"]):
        assert "KmsMasterKeyId" in properties  # the data key
    assert queue["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": _arn(dlq_id),
        "maxReceiveCount": MAX_RECEIVES,
    }
    assert MAX_RECEIVES == 3
    # Hidden while a worker runs (six times its timeout, AWS's advice for a Lambda source).
    _, worker = _function(service_template, "CancellationCodes")
    assert worker["Properties"]["Timeout"] == WORKER_TIMEOUT.to_seconds() == 10
    assert queue["Properties"]["VisibilityTimeout"] == 6 * worker["Properties"]["Timeout"]
    assert dlq["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    # Only over TLS, like every queue of the stack.
    policies = [
        p["Properties"]
        for p in _resources(service_template, "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
    ]
    assert policies and any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for p in policies
        for s in p["PolicyDocument"]["Statement"]
    )


def test_the_worker_reads_the_queue_and_reports_failed_messages_alone(
    service_template: assertions.Template,
) -> None:
    queue_id, _ = _queue(service_template, "CancellationCodeQueue")
    worker_id, _ = _function(service_template, "CancellationCodes")
    [mapping] = [
        m["Properties"]
        for m in _resources(service_template, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == _arn(queue_id)
    ]
    assert mapping["FunctionName"] == {"Ref": worker_id}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == 10


def test_the_dead_letters_and_late_codes_are_alarmed_to_the_operations_topic(
    service_template: assertions.Template,
) -> None:
    dlq_id, _ = _queue(service_template, "CancellationCodeDlq")
    alarms = [a["Properties"] for a in _resources(service_template, "AWS::CloudWatch::Alarm").values()]
    [depth] = [
        a
        for a in alarms
        if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and a["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}]
    ]
    [late] = [a for a in alarms if a.get("MetricName") == "CancellationCodesLate"]
    [topic_id] = [
        logical
        for logical in _resources(service_template, "AWS::SNS::Topic")
        if logical.startswith("OperationsAlarms")
    ]
    for alarm in (depth, late):
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert (late["Namespace"], late["Statistic"]) == ("Anshin", "Sum")
    assert late["Dimensions"] == [{"Name": "service", "Value": "anshin"}]  # as the worker's EMF records


def test_the_api_queues_the_request_and_the_worker_sends_the_code(
    service_template: assertions.Template,
) -> None:
    queue_id, _ = _queue(service_template, "CancellationCodeQueue")
    _, api = _function(service_template, "CancellationsApi")
    _, worker = _function(service_template, "CancellationCodes")
    api_grants, worker_grants = _grants(service_template, api), _grants(service_template, worker)
    variables = api["Properties"]["Environment"]["Variables"]
    assert variables["CANCELLATION_CODE_QUEUE_URL"] == {"Ref": queue_id}
    assert "CANCELLATION_CODE_QUEUE_URL" not in worker["Properties"]["Environment"]["Variables"]

    # The API sends to the queue, and reads nothing of it.
    api_sqs = {(a, str(r)) for a, r in api_grants if a.startswith("sqs:")}
    assert api_sqs == {("sqs:SendMessage", str(_arn(queue_id)))}
    # The worker consumes it (Lambda's poller uses its role) and never sends to it.
    worker_sqs = {a for a, r in worker_grants if a.startswith("sqs:") and r == _arn(queue_id)}
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"} <= worker_sqs
    assert "sqs:SendMessage" not in worker_sqs
    # The worker computes the one-time code's MAC and publishes the code to the contact.
    worker_actions = {a for a, _ in worker_grants}
    assert {
        "kms:GenerateMac",
        "sns:Publish",
        "kms:Decrypt",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
    } <= worker_actions
    # The API still publishes the notice's confirmation and computes MACs (member and one-time codes).
    assert {"kms:GenerateMac", "sns:Publish"} <= {a for a, _ in api_grants}
