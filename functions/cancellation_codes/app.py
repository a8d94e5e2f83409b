"""Sends web cancellations' one-time codes (R9): the worker of the cancellation-code queue (SQS,
with a dead-letter queue). For each request the API queued, anshin.services.cancellations.send_code
draws the code, sends it to the holder's e-mail, audits and stores its digest, or does nothing (no
live contract, sent already, expired). A message that fails is retried alone (partial batch
response), then dead-lettered."""

import json
from typing import Any

from anshin.domain import clock
from anshin.services import cancellations
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def send(record: SQSRecord) -> str:
    """One queued request: ``{"requestId"}``."""
    request_id = str(json.loads(record.body)["requestId"])
    return cancellations.send_code(request_id, clock.now())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=send, processor=processor, context=context)
