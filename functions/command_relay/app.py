"""Relay of device commands: subscribed to the device-command topic (with a DLQ); pushes each
attempt to the device's platform endpoint once, whatever SNS delivers twice."""

from __future__ import annotations

import json
from typing import Any

from anshin.domain import clock
from anshin.runtime.tasks import correlate
from anshin.services import delivery
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import SnsModel
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
@event_parser(model=SnsModel)
def handler(event: SnsModel, context: LambdaContext) -> dict[str, Any]:
    outcomes: dict[str, int] = {}
    for record in event.Records:
        message = json.loads(str(record.Sns.Message))
        command_id, attempt = str(message["commandId"]), int(message["attempt"])
        correlate(message)  # the staff request that asked for the command
        outcome = delivery.relay(command_id, attempt, clock.now())
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        logger.info(
            "command relayed", extra={"commandId": command_id, "attempt": attempt, "outcome": outcome}
        )
    return outcomes
