"""A scheduled job's runs (``RUN#<job>#<month>`` / ``EXEC#<runId>``) and the contracts each run set
aside (``QUARANTINE#<runId>#<contractId>``), and which failures of a record's processing are the
infrastructure's rather than the record's."""

from __future__ import annotations

from typing import cast

from boto3.dynamodb.conditions import Key
from botocore.exceptions import BotoCoreError, ClientError

from anshin.domain.entities import JobRun, QuarantineEntry
from anshin.store import db, keys

#: What a run's record lists of each contract it set aside.
QUARANTINE_FIELDS = ("contractId", "errorType", "code", "error")


def is_transient(error: BaseException) -> bool:
    """Whether a failure met while processing one record is the infrastructure's (throttling, a
    network fault: the step fails and is retried) rather than the record's (set it aside)."""
    if isinstance(error, BotoCoreError):
        return True
    if not isinstance(error, ClientError):
        return False
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code == "TransactionCanceledException":
        # A condition on the record or its account failed (say, an account with no slot held):
        # retrying changes nothing. Conflicts and throttling do pass with a retry.
        return not set(db.cancellation_reasons(error)) & {"ConditionalCheckFailed", "ValidationError"}
    return code != "ValidationException"


def record_start(job: str, month: str, run_id: str, *, dry_run: bool, scheduled_time: str, at: str) -> None:
    """The run's record, RUNNING (a retried start writes the same record again)."""
    run: JobRun = {
        "type": "JOB_RUN",
        "job": job,
        "month": month,
        "runId": run_id,
        "dryRun": dry_run,
        "status": "RUNNING",
        "scheduledTime": scheduled_time,
        "startedAt": at,
    }
    db.contracts_table().put_item(Item={**keys.run(job, month, run_id), **run})


def record_finish(
    job: str,
    month: str,
    run_id: str,
    *,
    status: str,
    at: str,
    totals: dict[str, int],
    quarantined_count: int,
    listed: list[QuarantineEntry],
) -> JobRun:
    """What the run did, on its record; the record as it now stands."""
    updated = db.contracts_table().update_item(
        Key=keys.run(job, month, run_id),
        UpdateExpression="SET #s = :status, finishedAt = :at, totals = :totals, "
        "quarantinedCount = :n, quarantined = :listed",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":status": status,
            ":at": at,
            ":totals": totals,
            ":n": quarantined_count,
            ":listed": listed,
        },
        ReturnValues="ALL_NEW",
    )
    # The storage boundary: the run's item is a JobRun (with its keys).
    return cast(JobRun, updated["Attributes"])


def quarantine(job: str, month: str, run_id: str, entries: list[QuarantineEntry], at: str) -> None:
    """Record on the run each contract it set aside. Idempotent: a retried page writes the same
    items again."""
    table = db.contracts_table()
    for entry in entries:
        table.put_item(
            Item={
                **keys.quarantined(job, month, run_id, entry["contractId"]),
                "type": "QUARANTINED_CONTRACT",
                "job": job,
                "month": month,
                "runId": run_id,
                **entry,
                "at": at,
            }
        )


def quarantined(job: str, month: str, run_id: str) -> list[QuarantineEntry]:
    """The contracts a run set aside, in contract id order."""
    items = db.query_all(
        db.contracts_table(),
        KeyConditionExpression=Key("pk").eq(keys.run_pk(job, month))
        & Key("sk").begins_with(keys.quarantine_prefix(run_id)),
        ConsistentRead=True,
    )
    # The storage boundary: each item is a quarantined contract, of which the entry's fields are kept.
    return [cast(QuarantineEntry, {k: i[k] for k in QUARANTINE_FIELDS}) for i in items]


def ran(job: str, month: str) -> bool:
    """Whether a run of ``job`` that writes (not a dry run) was started for ``month``, whatever
    became of it: running, finished or failed, it may have passed over any contract. One Query of
    the month's runs (a handful)."""
    items = db.query_all(
        db.contracts_table(),
        KeyConditionExpression=Key("pk").eq(keys.run_pk(job, month)) & Key("sk").begins_with(keys.RUN_PREFIX),
        ProjectionExpression="dryRun",
        ConsistentRead=True,
    )
    return any(item.get("dryRun") is not True for item in items)
