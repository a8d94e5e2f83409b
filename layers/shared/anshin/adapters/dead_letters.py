"""The stack's SQS dead-letter queues, and the targets their messages are replayed to (SNS, Lambda, Step
Functions) by anshin.services.redrive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from anshin.adapters import aws


class Refused(Exception):
    """The target did not take a replayed message (AWS answered with an error)."""


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        raise Refused(str(error)) from error


def receive(queue_url: str, most: int = 10, visibility_timeout: int = 60) -> list[dict[str, Any]]:
    """Up to ``most`` messages (``MessageId``, ``Body``, ``ReceiptHandle``), hidden from other
    readers for ``visibility_timeout`` seconds; none waited for."""
    messages: list[dict[str, Any]] = (
        aws.client("sqs")
        .receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=most,
            VisibilityTimeout=visibility_timeout,
            WaitTimeSeconds=0,
        )
        .get("Messages", [])
    )
    return messages


def delete(queue_url: str, receipt_handle: str) -> None:
    aws.client("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=receipt_handle)


def publish(topic_arn: str, message: Any) -> None:
    """Publish ``message`` (as JSON) to the SNS topic; :class:`Refused` if SNS refuses it."""
    with _refusals():
        aws.client("sns").publish(TopicArn=topic_arn, Message=json.dumps(message))


def invoke_async(function_name: str, payload: Any) -> None:
    """Invoke the function with ``payload`` (as JSON), not waiting for it; :class:`Refused` if
    Lambda refuses it."""
    with _refusals():
        aws.client("lambda").invoke(
            FunctionName=function_name, InvocationType="Event", Payload=json.dumps(payload)
        )


def start_execution(state_machine_arn: str, name: str, payload: Any) -> None:
    """Start the execution ``name`` with ``payload`` (as JSON); :class:`Refused` if Step Functions
    refuses it."""
    with _refusals():
        aws.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload)
        )
