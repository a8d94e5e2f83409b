"""Replay dead letters (``make redrive``), relying on the idempotency already in place.

Each dead-letter queue has a kind, which says what its messages are and how to replay them:

- ``command-relay``: what SNS or Lambda could not deliver to the relay. Either the relay's own
  message ``{commandId, attempt, …}`` (the subscription's DLQ) or the SNS event the relay failed
  on (the function's DLQ). Replayed by publishing each message to the device-command topic again:
  the relay pushes an attempt at most once.
- ``account-events``: an upstream EventBridge event the account-events function never applied
  (the rule target's or the function's DLQ). Replayed by invoking the function with it: applying
  the same account event twice changes nothing more.
- ``job:<state machine ARN>``: a scheduled job the scheduler could not start; the message is the
  schedule's input. Replayed by starting the job again: its runs and invoice lines are
  idempotent per month.

A message is deleted only after its replay was accepted; one that cannot be replayed stays.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from anshin.adapters import dead_letters


def sources(body: str, kind: str) -> list[Any]:
    """What to replay for one dead letter of ``kind``."""
    payload = json.loads(body)
    if kind == "command-relay":
        if isinstance(payload, dict) and "Records" in payload:  # the function's DLQ: its SNS event
            return [json.loads(record["Sns"]["Message"]) for record in payload["Records"]]
        if isinstance(payload, dict) and payload.get("Type") == "Notification":  # an SNS envelope
            return [json.loads(payload["Message"])]
        return [payload]
    if kind == "account-events" or kind.startswith("job:"):
        return [payload]
    raise ValueError(f"unknown dead-letter kind {kind}")


def replay(kind: str, item: Any, targets: dict[str, str]) -> None:
    if kind == "command-relay":
        dead_letters.publish(targets["DEVICE_COMMAND_TOPIC_ARN"], item)
    elif kind == "account-events":
        dead_letters.invoke_async(targets["ACCOUNT_EVENTS_FUNCTION"], item)
    else:
        dead_letters.start_execution(kind.removeprefix("job:"), f"redrive-{uuid.uuid4().hex[:12]}", item)


def redrive(queues: dict[str, str], targets: dict[str, str], limit: int = 100) -> dict[str, dict[str, int]]:
    """Replay up to ``limit`` dead letters from each queue (URL -> kind). Returns, per queue, how
    many were replayed and how many stayed."""
    report: dict[str, dict[str, int]] = {}
    for url, kind in queues.items():
        counts = {"replayed": 0, "kept": 0}
        seen: set[str] = set()
        while counts["replayed"] + counts["kept"] < limit:
            fresh = [m for m in dead_letters.receive(url) if m["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh:
                seen.add(message["MessageId"])
                try:
                    for item in sources(message["Body"], kind):
                        replay(kind, item, targets)
                except (ValueError, KeyError, TypeError, dead_letters.Refused):
                    counts["kept"] += 1  # left in the queue for a person to look at
                    continue
                dead_letters.delete(url, message["ReceiptHandle"])
                counts["replayed"] += 1
        report[url.rsplit("/", 1)[-1]] = counts
    return report
