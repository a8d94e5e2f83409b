"""What every workflow task handler shares: logging and the event shape (tracing is Lambda's
active tracing, without the X-Ray SDK)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from anshin.adapters import metrics

logger = Logger()

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]
#: From a step's result: the business metric it is (name and dimensions), or None.
MetricOf = Callable[[dict[str, Any]], tuple[str, dict[str, str]] | None]


def correlate(event: dict[str, Any]) -> None:
    """Log under the correlation id the event carries: the API request's id, passed through the
    workflows and SNS messages; a scheduled job's run id; else the business key."""
    for key in ("correlationId", "runId", "applicationId", "commandId"):
        if event.get(key):
            # A run id is the execution's name, also when given as the execution's ARN.
            logger.set_correlation_id(str(event[key]).rsplit(":", 1)[-1])
            return


def workflow_task(
    name: str, step: Callable[[dict[str, Any]], dict[str, Any]], metric: MetricOf | None = None
) -> Handler:
    """A Step Functions task: the event is the task's Payload; the step's answer is its result.
    The application id is appended to every log line of the invocation; ``metric`` names the
    business event the result is, if any (anshin.metrics)."""

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        correlate(event)
        if "applicationId" in event:
            logger.append_keys(applicationId=event["applicationId"])
        result = step(event)
        if metric is not None and (event_metric := metric(result)) is not None:
            metrics.count(event_metric[0], dimensions=event_metric[1])
        logger.info(
            "step done",
            extra={
                "step": name,
                "result": {k: v for k, v in result.items() if k in ("status", "outcome", "reason")},
            },
        )
        return result

    return handler
