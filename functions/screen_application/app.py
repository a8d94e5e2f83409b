"""Approval workflow task: screen an application (R6.3)."""

from __future__ import annotations

from typing import Any

from anshin import screening
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return screening.start_screening(event["applicationId"])
