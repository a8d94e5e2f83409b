"""Replays the stack's dead letters (``make redrive``): see anshin.redrive for what each queue
holds and why a replay is safe."""

from typing import Any

from anshin.services import redrive
from anshin.settings import settings
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = redrive.redrive(
        settings.dead_letter_queues,
        {
            "DEVICE_COMMAND_TOPIC_ARN": settings.device_command_topic_arn,
            "ACCOUNT_EVENTS_FUNCTION": settings.account_events_function,
        },
        limit=int(event.get("limit", 100)),
    )
    logger.info("dead letters redriven", extra={"report": report})
    return report
