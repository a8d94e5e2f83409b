"""Replays the stack's dead letters (``make redrive``): see anshin.redrive for what each queue
holds and why a replay is safe."""

import json
import os
from typing import Any

from anshin.services import redrive
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = redrive.redrive(
        {queue["url"]: queue["kind"] for queue in json.loads(os.environ["DEAD_LETTER_QUEUES"])},
        {name: os.environ[name] for name in ("DEVICE_COMMAND_TOPIC_ARN", "ACCOUNT_EVENTS_FUNCTION")},
        limit=int(event.get("limit", 100)),
    )
    logger.info("dead letters redriven", extra={"report": report})
    return report
