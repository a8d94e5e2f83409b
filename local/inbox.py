"""What e-mail and SMS delivery would receive: an SQS subscriber of the customer-notification
topic, shared by the simulated devices, the demo scenario and the e2e tests."""

from __future__ import annotations

import json
import uuid
from typing import Any

from local.deploy import client


def subscribe_queue(endpoint: str, topic_arn: str, name: str) -> str:
    """A queue subscribed to ``topic_arn`` with raw delivery; returns its URL."""
    sqs = client("sqs", endpoint)
    url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client("sns", endpoint).subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    return url


class NotificationInbox:
    """The contract notifications received so far, by application id, and every other notice
    (a device registered again, a passphrase changed) in the order it came."""

    def __init__(self, endpoint: str, topic_arn: str, prefix: str = "inbox") -> None:
        self.endpoint = endpoint
        self.url = subscribe_queue(endpoint, topic_arn, f"{prefix}-{uuid.uuid4().hex[:8]}")
        self.received: dict[str, dict[str, Any]] = {}
        self.notices: list[dict[str, Any]] = []

    def message_for(self, application_id: str) -> dict[str, Any] | None:
        """The notification of ``application_id`` if it arrived (reads what is waiting), else None:
        a probe for a bounded poll."""
        sqs = client("sqs", self.endpoint)
        for message in sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            body = json.loads(message["Body"])
            if body.get("kind") == "CONTRACT_FORMED":
                self.received[body["applicationId"]] = body
            else:
                self.notices.append(body)
            sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return self.received.get(application_id)

    def notices_for(self, contract_id: str) -> list[dict[str, Any]]:
        """The notices about ``contract_id`` received so far (reads what is waiting)."""
        self.message_for("")
        return [n for n in self.notices if n.get("contractId") == contract_id]
