"""The cancellation-code queue (SQS, R9): a web cancellation's request asks for its one-time code
here, and the queue's worker (functions/cancellation_codes) draws, sends and stores it. Queueing
the send is what makes the request path the same work for a real member code and an unknown one
(anshin.services.cancellations): the message carries the request's id only, never a code."""

from __future__ import annotations

import json

from anshin.adapters import aws
from anshin.settings import settings


def send(request_id: str) -> None:
    """Ask for the request's code to be sent (at least once: the worker sends one code per
    request, whatever SQS delivers twice)."""
    aws.client("sqs").send_message(
        QueueUrl=settings.cancellation_code_queue_url, MessageBody=json.dumps({"requestId": request_id})
    )
