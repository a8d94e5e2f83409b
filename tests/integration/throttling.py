"""DynamoDB throttling for handler tests: from a given call on, the next N DynamoDB requests of
the anshin clients answer ``ProvisionedThroughputExceededException`` (HTTP 400), as a hot
partition would. botocore retries them with its backoff; the backoff is recorded, not slept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import pytest
from anshin.store import db
from botocore.awsrequest import AWSResponse
from moto.core.models import botocore_stubber


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@dataclass
class Throttle:
    #: Let this many DynamoDB requests through first.
    after: int = 0
    #: Then refuse this many (0: none).
    times: int = 0
    seen: int = 0
    refused: int = 0
    #: The backoff delays botocore asked for between its retries.
    backoff: list[float] = field(default_factory=list)

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.seen += 1
        refuse = self.after < self.seen and self.refused < self.times
        # Runs before moto's own before-send handler: a refused request must not reach moto's
        # tables (a throttled write does not happen), so moto skips it.
        botocore_stubber.enabled = not refuse
        if not refuse:
            return None
        self.refused += 1
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded.",
            }
        ).encode()
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body))


@contextmanager
def throttled(monkeypatch: pytest.MonkeyPatch, *, after: int = 0, times: int = 0) -> Iterator[Throttle]:
    """Throttle the DynamoDB clients anshin uses (resource and low-level client)."""
    throttle = Throttle(after=after, times=times)
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=throttle.backoff.append))
    clients = [db._resource().meta.client, db.dynamodb()]
    for client in clients:
        client.meta.events.register_first("before-send.dynamodb", throttle)
    try:
        yield throttle
    finally:
        botocore_stubber.enabled = True
        for client in clients:
            client.meta.events.unregister("before-send.dynamodb", throttle)
