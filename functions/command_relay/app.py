"""Relay of device commands: subscribed to the device-command topic (with a DLQ)."""

from __future__ import annotations

import json
from typing import Any

from anshin import clock, commands
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import SnsModel
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=SnsModel)
def handler(event: SnsModel, context: LambdaContext) -> dict[str, Any]:
    relayed = 0
    for record in event.Records:
        message = json.loads(record.Sns.Message)
        command_id = str(message["commandId"])
        if commands.record_attempt(command_id, record.Sns.MessageId, clock.now()):
            relayed += 1
            logger.info("command relayed", extra={"commandId": command_id})
        else:
            logger.info("duplicate or finished command ignored", extra={"commandId": command_id})
    return {"relayed": relayed}
