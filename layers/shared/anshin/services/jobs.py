"""Scheduled jobs: which month they work on, and the record each run leaves.

The month comes from the schedule's input (``<aws.scheduler.scheduled-time>``), never from the
wall clock: a job scheduled in the first minutes of a month closes the month before it, and
``make month-end MONTH=…`` runs any month through the very same input.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger

from anshin.adapters import metrics
from anshin.domain.clock import iso, now, parse_iso
from anshin.domain.entities import QuarantineEntry
from anshin.domain.terms import JST, BillingMonth, billing_month_of
from anshin.store import jobs as job_runs
from anshin.store.keys import SHARDS

#: The jobs (the job names of the runs' records, and of the workflows).
MONTH_END = "MONTH_END"
BILLING = "BILLING"


def month_closed_by(scheduled_time: str) -> BillingMonth:
    """The billing month a run scheduled at ``scheduled_time`` closes: the one before it (JST)."""
    return billing_month_of(parse_iso(scheduled_time)) - 1


def scheduled_time_for(month: BillingMonth) -> str:
    """The ``scheduled-time`` of the run that closes ``month`` (00:05 JST on the next 1st)."""
    return iso((month + 1).start() + timedelta(minutes=5))


logger = Logger()

#: Statuses a run's record ends in. A run that set contracts aside finished every other one.
SUCCEEDED = "SUCCEEDED"
SUCCEEDED_WITH_QUARANTINE = "SUCCEEDED_WITH_QUARANTINE"
FAILED = "FAILED"
#: How many set-aside contracts the run's own record lists (all of them are items of the run).
QUARANTINE_LISTED = 100
#: How many entries of a dry run's lists one shard carries in the workflow's state (256 KB).
LISTED = 200


def unprocessable(item: Mapping[str, Any], error: Exception) -> QuarantineEntry:
    """What is recorded of a contract a job set aside: its id and the error (no personal data:
    the error's own message, never the record)."""
    return {
        "contractId": str(item.get("contractId") or item.get("pk") or "?"),
        "errorType": type(error).__name__,
        "code": str(getattr(error, "code", "UNPROCESSABLE")),
        "error": str(error)[:300],
    }


def set_aside(job: str, month: str, run_id: str, entries: list[QuarantineEntry]) -> int:
    """Quarantine: record on the run each contract a shard could not process, count them in the
    ``ContractsQuarantined`` metric (an alarm watches it) and say so in the log. The month goes
    on without them; once repaired, running the month again processes exactly what is missing.
    Idempotent: a retried page records the same items again."""
    job_runs.quarantine(job, month, run_id, entries, iso(now()))
    if entries:
        metrics.count("ContractsQuarantined", len(entries), dimensions={"Job": job})
        logger.warning(
            "contracts set aside",
            extra={
                "job": job,
                "month": month,
                "contracts": [{k: e[k] for k in ("contractId", "errorType", "code")} for e in entries],
            },
        )
    return len(entries)


def start(job: str, event: dict[str, Any]) -> dict[str, Any]:
    """Resolve the month from the schedule's input and record the run as RUNNING."""
    month = month_closed_by(str(event["scheduledTime"]))
    run_id = str(event["runId"]).rsplit(":", 1)[-1]
    dry_run = bool(event.get("dryRun", False))
    job_runs.record_start(
        job, str(month), run_id, dry_run=dry_run, scheduled_time=str(event["scheduledTime"]), at=iso(now())
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
    job: str, month: str, run_id: str, shard_results: list[dict[str, Any]], status: str = SUCCEEDED
) -> dict[str, Any]:
    """Record what the run did: the sums of its shards' counts, and the contracts it set aside
    (a run that set any aside ends SUCCEEDED_WITH_QUARANTINE: every other contract was done)."""
    totals: dict[str, int] = {}
    for result in shard_results:
        for name, value in (result or {}).items():
            if isinstance(value, int) and not isinstance(value, bool) and name != "shard":
                totals[name] = totals.get(name, 0) + value
    set_aside_contracts = job_runs.quarantined(job, month, run_id)
    if set_aside_contracts and status == SUCCEEDED:
        status = SUCCEEDED_WITH_QUARANTINE
    job_runs.record_finish(
        job,
        month,
        run_id,
        status=status,
        at=iso(now()),
        totals=totals,
        quarantined_count=len(set_aside_contracts),
        listed=set_aside_contracts[:QUARANTINE_LISTED],
    )
    answer: dict[str, Any] = {
        "job": job,
        "month": month,
        "runId": run_id,
        "status": status,
        "totals": totals,
        "quarantined": set_aside_contracts[:QUARANTINE_LISTED],
    }
    return answer


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
            if isinstance(value, list):  # a dry run's lists: the first LISTED, and how many more
                kept = [*totals.get(name, []), *value]
                totals[name] = kept[:LISTED]
                if len(kept) > LISTED:
                    totals[f"{name}NotListed"] = totals.get(f"{name}NotListed", 0) + len(kept) - LISTED
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
