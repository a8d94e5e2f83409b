"""Dead letters are replayed to their targets (make redrive); what cannot be replayed stays."""

import json
from typing import Any

import boto3
import pytest
from anshin.services import redrive

from tests.integration.conftest import handler_fixture

redrive_fn = handler_fixture("redrive")


def sns_event(message: dict[str, Any]) -> str:
    return json.dumps({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(message)}}]})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"commandId": "cmd-1", "attempt": 2}', [{"commandId": "cmd-1", "attempt": 2}]),
        (sns_event({"commandId": "cmd-1", "attempt": 3}), [{"commandId": "cmd-1", "attempt": 3}]),
        (
            json.dumps({"Type": "Notification", "Message": json.dumps({"commandId": "cmd-1", "attempt": 4})}),
            [{"commandId": "cmd-1", "attempt": 4}],
        ),
    ],
)
def test_relay_dead_letters_in_each_form_give_back_the_relay_message(body: str, expected: list[Any]) -> None:
    assert redrive.sources(body, "command-relay") == expected


def test_replays_to_the_topic_and_the_job_then_deletes_and_keeps_what_it_cannot(
    aws_env: dict[str, str], redrive_fn: Any, monkeypatch: pytest.MonkeyPatch, lambda_context: object
) -> None:
    sqs = boto3.client("sqs")
    events_dlq = sqs.create_queue(QueueName="events-dlq")["QueueUrl"]
    job_dlq = sqs.create_queue(QueueName="job-dlq")["QueueUrl"]
    other_job_dlq = sqs.create_queue(QueueName="other-job-dlq")["QueueUrl"]
    relay_dlq = sqs.create_queue(QueueName="relay-dlq")["QueueUrl"]
    job = aws_env["COMMAND_DELIVERY_STATE_MACHINE_ARN"]  # any state machine stands in for a job
    other_job = aws_env["APPROVAL_STATE_MACHINE_ARN"]
    sqs.send_message(QueueUrl=relay_dlq, MessageBody=sns_event({"commandId": "cmd-1", "attempt": 2}))
    sqs.send_message(QueueUrl=relay_dlq, MessageBody="not json")
    sqs.send_message(QueueUrl=job_dlq, MessageBody=json.dumps({"scheduledTime": "2026-12-01T00:05:00+09:00"}))
    # The setting as the stack writes it (the permission check maps each queue to the template's).
    dead_letters = [
        {"url": events_dlq, "kind": "account-events"},
        {"url": job_dlq, "kind": f"job:{job}"},
        {"url": other_job_dlq, "kind": f"job:{other_job}"},
        {"url": relay_dlq, "kind": "command-relay"},
    ]
    monkeypatch.setenv("DEAD_LETTER_QUEUES", json.dumps(dead_letters))
    monkeypatch.setenv("ACCOUNT_EVENTS_FUNCTION", "account-events")
    relay_subscriber = sqs.create_queue(QueueName="relay-spy")["QueueUrl"]
    boto3.client("sns").subscribe(
        TopicArn=aws_env["DEVICE_COMMAND_TOPIC_ARN"],
        Protocol="sqs",
        Endpoint=sqs.get_queue_attributes(QueueUrl=relay_subscriber, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )

    report = redrive_fn.handler({}, lambda_context)

    assert report == {
        "events-dlq": {"replayed": 0, "kept": 0},
        "job-dlq": {"replayed": 1, "kept": 0},
        "other-job-dlq": {"replayed": 0, "kept": 0},
        "relay-dlq": {"replayed": 1, "kept": 1},
    }
    republished = sqs.receive_message(QueueUrl=relay_subscriber)["Messages"]
    assert [json.loads(m["Body"]) for m in republished] == [{"commandId": "cmd-1", "attempt": 2}]
    executions = boto3.client("stepfunctions").list_executions(stateMachineArn=job)["executions"]
    assert len(executions) == 1 and executions[0]["name"].startswith("redrive-")
    started = boto3.client("stepfunctions").describe_execution(executionArn=executions[0]["executionArn"])
    assert json.loads(started["input"]) == {"scheduledTime": "2026-12-01T00:05:00+09:00"}
    # The message that could not be replayed is still there (after its visibility timeout).
    left = sqs.get_queue_attributes(
        QueueUrl=relay_dlq, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )
    assert left["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
