"""What the subscriber is told, through the customer-notification topic (its e-mail/SMS
subscribers deliver it to the contact on file): the contract's forming (R6.4), every change
of the credentials that protect their phone (anshin.devices), and cancelling online (R9,
anshin.services.cancellations): ``CANCELLATION_CODE`` (the one-time code, to the e-mail on file
only) and ``CANCELLATION_CONFIRMED`` (the notice's receipt and the end it gives)."""

from __future__ import annotations

import json
from typing import Any

from anshin.adapters import aws
from anshin.settings import settings


def publish(message: dict[str, Any], *, notification_id: str, correlation_id: str | None = None) -> None:
    """At least once: a step that dies after SNS accepted the message and is retried sends it
    again, identical; deliverers drop repeats of ``notification_id``."""
    attributes = {
        "kind": {"DataType": "String", "StringValue": str(message["kind"])},
        "notificationId": {"DataType": "String", "StringValue": notification_id},
    }
    if correlation_id:
        attributes["correlationId"] = {"DataType": "String", "StringValue": correlation_id}
    aws.client("sns").publish(
        TopicArn=settings.customer_notification_topic_arn,
        Message=json.dumps(message, ensure_ascii=False),
        MessageAttributes=attributes,
    )
