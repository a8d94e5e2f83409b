"""What every workflow task handler shares: logging, tracing and the event shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def workflow_task(name: str, step: Callable[[dict[str, Any]], dict[str, Any]]) -> Handler:
    """A Step Functions task: the event is the task's Payload; the step's answer is its result.
    The application id is appended to every log line of the invocation."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if "applicationId" in event:
            logger.append_keys(applicationId=event["applicationId"])
        result = step(event)
        logger.info(
            "step done",
            extra={
                "step": step.__name__,
                "result": {k: v for k, v in result.items() if k in ("status", "outcome", "reason")},
            },
        )
        return result

    return handler
