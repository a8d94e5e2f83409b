"""What e-mail and SMS delivery would receive: an SQS subscriber of the customer-notification
topic, shared by the simulated devices, the demo scenario and the e2e tests; and the local inbox
that keeps every notification for a person to read (``/inbox.html``, ``make inbox``)."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
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


class InboxCollector:
    """The local inbox (issue 23): every notification the service sends to subscribers (the
    customer-notification topic: the member code and support number at formation, one-time
    codes, credential-change notices, cancellation confirmations), kept in ``path`` (JSON lines)
    as it arrives, so a person can read them on ``/inbox.html`` and with ``make inbox``.

    A thread drains a queue subscribed to the topic (raw delivery) with long polls; a restart of
    ``make run`` reuses the queue, its one subscription and the file."""

    QUEUE = "local-inbox"

    def __init__(self, endpoint: str, topic_arn: str, path: Path) -> None:
        self.endpoint = endpoint
        self.topic_arn = topic_arn
        self.path = path
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.url = self._subscribed_queue()

    def _subscribed_queue(self) -> str:
        sqs, sns = client("sqs", self.endpoint), client("sns", self.endpoint)
        url = str(sqs.create_queue(QueueName=self.QUEUE)["QueueUrl"])
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        subscribed = any(
            s["Endpoint"] == arn
            for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=self.topic_arn)
            for s in page["Subscriptions"]
        )
        if not subscribed:
            sns.subscribe(
                TopicArn=self.topic_arn,
                Protocol="sqs",
                Endpoint=arn,
                Attributes={"RawMessageDelivery": "true"},
            )
        return url

    def start(self) -> InboxCollector:
        self._thread = threading.Thread(target=self._run, name="anshin-inbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.collect(wait_seconds=1)
            except Exception:
                self._stop.wait(1.0)

    def collect(self, wait_seconds: int = 0) -> int:
        """Move what the queue holds into the inbox file; returns how many came."""
        sqs = client("sqs", self.endpoint)
        answer = sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_seconds,
            MessageAttributeNames=["All"],
        )
        received = answer.get("Messages", [])
        for message in received:
            attributes = message.get("MessageAttributes") or {}
            try:
                body = json.loads(message["Body"])
            except ValueError:
                body = {"text": message["Body"]}
            entry = {
                "receivedAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "notificationId": (attributes.get("notificationId") or {}).get("StringValue"),
                "kind": body.get("kind") if isinstance(body, dict) else None,
                "message": body,
            }
            with self._lock, self.path.open("a", encoding="utf-8") as file:
                file.write(json.dumps(entry, ensure_ascii=False) + "\n")
            sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return len(received)

    def messages(self) -> list[dict[str, Any]]:
        """Every notification received, newest first."""
        return read_inbox(self.path)


def read_inbox(path: Path) -> list[dict[str, Any]]:
    """The inbox file's notifications, newest first (none when there is no file)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in reversed(lines) if line.strip()]


def describe(entry: dict[str, Any]) -> str:
    """One notification as ``make inbox`` prints it: when, to whom, what, and what it carries."""
    message = entry.get("message") or {}
    to = ", ".join(str(message[k]) for k in ("email", "phone") if message.get(k)) or "-"
    carried = {
        k: v for k, v in message.items() if k not in ("kind", "email", "phone") and v not in (None, "")
    }
    details = "  ".join(f"{k}={v}" for k, v in carried.items())
    return f"{entry.get('receivedAt', '')}  {entry.get('kind') or '?':<24} to {to}\n    {details}"
