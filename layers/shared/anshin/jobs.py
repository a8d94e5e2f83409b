"""Scheduled jobs: which month they work on, and the record each run leaves.

The month comes from the schedule's input (``<aws.scheduler.scheduled-time>``), never from the
wall clock: a job scheduled in the first minutes of a month closes the month before it, and
``make month-end MONTH=…`` runs any month through the very same input.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from anshin import aws
from anshin.clock import iso, now, parse_iso
from anshin.shards import SHARDS
from anshin.terms import JST, BillingMonth, billing_month_of


def month_closed_by(scheduled_time: str) -> BillingMonth:
    """The billing month a run scheduled at ``scheduled_time`` closes: the one before it (JST)."""
    return billing_month_of(parse_iso(scheduled_time)) - 1


def scheduled_time_for(month: BillingMonth) -> str:
    """The ``scheduled-time`` of the run that closes ``month`` (00:05 JST on the next 1st)."""
    return iso((month + 1).start() + timedelta(minutes=5))


def run_key(job: str, month: str, run_id: str) -> dict[str, str]:
    return {"pk": f"RUN#{job}#{month}", "sk": f"EXEC#{run_id}"}


def start(job: str, event: dict[str, Any]) -> dict[str, Any]:
    """Resolve the month from the schedule's input and record the run as RUNNING."""
    month = month_closed_by(str(event["scheduledTime"]))
    run_id = str(event["runId"]).rsplit(":", 1)[-1]
    dry_run = bool(event.get("dryRun", False))
    aws.contracts_table().put_item(
        Item={
            **run_key(job, str(month), run_id),
            "type": "JOB_RUN",
            "job": job,
            "month": str(month),
            "runId": run_id,
            "dryRun": dry_run,
            "status": "RUNNING",
            "scheduledTime": str(event["scheduledTime"]),
            "startedAt": iso(now()),
        }
    )
    return {
        "job": job,
        "month": str(month),
        "runId": run_id,
        "dryRun": dry_run,
        "shards": list(range(SHARDS)),
        "monthEnd": iso(month.end().astimezone(JST)),
    }


def finish(
    job: str, month: str, run_id: str, shard_results: list[dict[str, Any]], status: str = "SUCCEEDED"
) -> dict[str, Any]:
    """Record what the run did: the sums of its shards' counts."""
    totals: dict[str, int] = {}
    for result in shard_results:
        for name, value in (result or {}).items():
            if isinstance(value, int) and not isinstance(value, bool) and name != "shard":
                totals[name] = totals.get(name, 0) + value
    aws.contracts_table().update_item(
        Key=run_key(job, month, run_id),
        UpdateExpression="SET #s = :status, finishedAt = :at, totals = :totals",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":status": status, ":at": iso(now()), ":totals": totals},
    )
    return {"job": job, "month": month, "runId": run_id, "status": status, "totals": totals}


def run_shard(
    page: Any, event: dict[str, Any], remaining_ms: Any, reserve_ms: int = 60_000
) -> dict[str, Any]:
    """Run ``page(cursor)`` over one shard until it is done or the invocation's time runs low;
    the workflow calls again with the returned cursor and totals (a shard never needs to fit in
    one Lambda's 15 minutes)."""
    totals: dict[str, Any] = dict(event.get("totals") or {})
    cursor = event.get("cursor")
    while True:
        result = page(cursor)
        for name, value in result.items():
            if name in ("cursor", "shard"):
                continue
            if isinstance(value, list):
                totals[name] = [*totals.get(name, []), *value]
            elif isinstance(value, int):
                totals[name] = totals.get(name, 0) + value
        cursor = result["cursor"]
        if cursor is None or remaining_ms() < reserve_ms:
            break
    return {
        **{k: event[k] for k in ("month", "shard", "runId", "dryRun") if k in event},
        "cursor": cursor,
        "totals": totals,
    }
