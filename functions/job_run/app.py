"""Scheduled jobs (month-end termination, billing): start and finish a run's record."""

from typing import Any

from anshin.runtime.tasks import correlate
from anshin.services import jobs
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    correlate(event)
    if event["action"] == "start":
        run = jobs.start(event["job"], event)
        logger.info(
            "job run started", extra={"job": run["job"], "month": run["month"], "runId": run["runId"]}
        )
        return run
    results = [item.get("totals", {}) for item in event.get("results", [])]
    status = jobs.SUCCEEDED if event["action"] == "finish" else jobs.FAILED
    record = jobs.finish(event["job"], event["month"], event["runId"], results, status)
    logger.info("job run finished", extra={k: record[k] for k in ("job", "month", "status", "totals")})
    return record
