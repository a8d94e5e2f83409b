"""Billing (R12, R13): bill one shard of the month, page by page, exactly once per line."""

import os
from typing import Any

from anshin.adapters import metrics
from anshin.domain import clock
from anshin.domain.terms import BillingMonth
from anshin.runtime.tasks import correlate
from anshin.services import billing, jobs
from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    correlate(event)
    month = BillingMonth.parse(event["month"])
    fee = int(os.environ["MONTHLY_FEE_JPY"])
    started = clock.now()

    def page(cursor: dict[str, Any] | None) -> dict[str, Any]:
        result = billing.bill_shard(
            month,
            int(event["shard"]),
            started,
            fee,
            run_id=event["runId"],
            cursor=cursor,
            dry_run=bool(event.get("dryRun")),
        )
        result["contractsQuarantined"] = jobs.set_aside(
            "BILLING", str(month), event["runId"], result.pop("quarantined", [])
        )
        if result.get("linesWritten"):
            metrics.count("InvoiceLinesWritten", result["linesWritten"], dimensions={"Month": str(month)})
            metrics.count("YenBilled", result["yenWritten"], MetricUnit.NoUnit, {"Month": str(month)})
        return result

    result = jobs.run_shard(page, event, context.get_remaining_time_in_millis)
    logger.info(
        "billing shard page done",
        extra={"shard": event["shard"], "month": event["month"], "more": result["cursor"] is not None},
    )
    return result
