"""EventBridge: what this service tells the rest of the company (``anshin.contracts`` events)."""

from __future__ import annotations

import json
from typing import Any

from anshin.adapters import aws

SOURCE = "anshin.contracts"
#: PutEvents takes at most 10 entries per request.
BATCH = 10


def publish(detail_type: str, details: list[dict[str, Any]]) -> None:
    """Publish one event per detail; raises if EventBridge refused any (the step is retried)."""
    events = aws.client("events")
    for start in range(0, len(details), BATCH):
        answer = events.put_events(
            Entries=[
                {"Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail)}
                for detail in details[start : start + BATCH]
            ]
        )
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"{answer['FailedEntryCount']} {detail_type} events were not accepted")
