"""Month-end termination: end one shard's contracts whose end falls in the month (R9, R11), free
their slots (R4) and tell the rest of the system (EventBridge ContractEnded)."""

import json
from typing import Any

from anshin.adapters import aws, metrics
from anshin.domain import clock
from anshin.domain.terms import BillingMonth
from anshin.runtime.tasks import correlate
from anshin.services import jobs, lifecycle
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


def announce(ended: list[dict[str, Any]]) -> None:
    events = aws.client("events")
    for start in range(0, len(ended), 10):
        answer = events.put_events(
            Entries=[
                {"Source": "anshin.contracts", "DetailType": "ContractEnded", "Detail": json.dumps(item)}
                for item in ended[start : start + 10]
            ]
        )
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"{answer['FailedEntryCount']} ContractEnded events were not accepted")


def page(
    month: BillingMonth, shard: int, run_id: str, cursor: dict[str, Any] | None, dry_run: bool
) -> dict[str, Any]:
    if dry_run:
        return lifecycle.due_contracts(month, shard, clock.now(), cursor)
    result = lifecycle.end_due_contracts(month, shard, clock.now(), cursor)
    announce(result["ended"])
    for ended in result["ended"]:
        metrics.count("ContractsEnded", dimensions={"Reason": str(ended["endReason"])})
    # The ended contracts travel as ContractEnded events, not in the workflow's state (256 KB).
    return {
        "contractsEnded": len(result["ended"]),
        "contractsQuarantined": jobs.set_aside("MONTH_END", str(month), run_id, result["quarantined"]),
        "cursor": result["cursor"],
    }


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    correlate(event)
    month = BillingMonth.parse(event["month"])
    return jobs.run_shard(
        lambda cursor: page(month, int(event["shard"]), event["runId"], cursor, bool(event.get("dryRun"))),
        event,
        context.get_remaining_time_in_millis,
    )
