"""The device-command topic (SNS): the relay is subscribed to it (with a DLQ)."""

from __future__ import annotations

import json

from anshin.adapters import aws
from anshin.settings import settings


def publish(command_id: str, attempt: int, action: str, correlation_id: str | None) -> None:
    """Hand attempt ``attempt`` of the command to the relay; the action is a message attribute."""
    aws.client("sns").publish(
        TopicArn=settings.device_command_topic_arn,
        Message=json.dumps({"commandId": command_id, "attempt": attempt, "correlationId": correlation_id}),
        MessageAttributes={"action": {"DataType": "String", "StringValue": action}},
    )
