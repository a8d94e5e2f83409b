"""The month's charge file (R12, R13): a projection of the ledger, exported after billing,
streamed, versioned, announced.

Three steps of the ChargeExport workflow (``statemachines/charge_export.asl.json``):

1. :func:`export_shard` (a Map over the 16 account shards): reads the month's ledger lines of
   one account shard from the ledger's gsi1 (``CHARGES#<month>#<shard>``, in account then
   contract order) and writes them as CSV records, one part object per page of at most
   :data:`RECORDS_PER_PART` accounts, under the run's staging prefix; the shard loops over pages
   across invocations.
2. :func:`assemble`: concatenates the header and the parts in key order into one object (S3
   multipart upload, UploadPartCopy for parts of 5 MiB and more), hashing it as it streams, then
   decides the version (anshin.domain.charges.decide): the ledger only grows, so as many lines
   as the latest version holds are that version again, and more lines are the next version. The
   file is copied into place under its SHA-256 first, then the manifest naming it is written
   only if absent (the claim of the version): a version exists once its manifest does, and its
   file is there before.
3. :func:`announce`: the ``ChargesExported`` event on the default bus.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

from anshin.adapters import charge_files, events
from anshin.domain import charges
from anshin.domain.billing_rules import Line
from anshin.services import jobs
from anshin.settings import settings
from anshin.store import invoices

logger = Logger()

#: The most account records one part holds (about 100 bytes each).
RECORDS_PER_PART = 20_000
#: How many invoice lines one Query of gsi3 reads.
QUERY_PAGE = 1000
#: The detail-type of the export's announcement (source ``anshin.contracts``).
EXPORTED = "ChargesExported"


class ExportIncomplete(RuntimeError):
    """The parts hold fewer ledger lines than the billing run charged, or than the month's latest
    version holds (the index has not caught up with the ledger): the export fails rather than
    write a file that misses charges, and is tried again after a wait."""


class VersionTaken(RuntimeError):
    """Another run claimed the version this one was about to write: deciding again (the step's
    retry) finds it."""


def export_page(
    month: str, run_id: str, shard: int, cursor: dict[str, Any] | None, per_part: int | None = None
) -> dict[str, Any]:
    """One part of one shard: up to ``per_part`` account records after the cursor's position,
    written as ``part-<shard>-<page>.csv``; the counts and the cursor of the next part (None: the
    shard is done)."""
    per_part = per_part or RECORDS_PER_PART
    page = int((cursor or {}).get("page", 0))
    lines = invoices.charges_of_shard(month, shard, (cursor or {}).get("after"), QUERY_PAGE)
    body = bytearray()
    totals = charges.Totals()
    last: charges.Record | None = None
    for record in charges.records(lines):
        body += record.csv()
        totals.add(record)
        last = record
        if totals.records == per_part:
            break
    if last is None:
        return {**totals.as_dict(), "parts": 0, "cursor": None}
    charge_files.put(settings.charges_bucket, charges.part_key(month, run_id, shard, page), bytes(body))
    done = totals.records < per_part
    after = Line(last.mobile_contract_id, last.month, last.lines[-1][0], last.lines[-1][1])
    next_cursor = None if done else {"page": page + 1, "after": invoices.charge_position(after)}
    return {**totals.as_dict(), "parts": 1, "cursor": next_cursor}


def export_shard(event: dict[str, Any], remaining_ms: Callable[[], int]) -> dict[str, Any]:
    """The export's shard step: parts until the shard is done or time runs low (the workflow
    calls again with the cursor and totals)."""
    return jobs.run_shard(
        lambda cursor: export_page(str(event["month"]), str(event["runId"]), int(event["shard"]), cursor),
        event,
        remaining_ms,
    )


def _latest(bucket: str, month: str) -> dict[str, Any] | None:
    """The month's latest version's manifest, if it has one."""
    versions = [
        (version, key)
        for key, _ in charge_files.listed(bucket, charges.month_prefix(month))
        if (version := charges.version_of(key)) is not None
    ]
    if not versions:
        return None
    return charge_files.read_json(bucket, max(versions)[1])


def _parts(bucket: str, staging: str, results: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The parts this attempt's shards wrote, in key order: exactly the pages each shard counted
    (a shard's pages are numbered from 0), so a part left by an earlier attempt of the same run is
    never taken. A counted part that is not there fails the step (it is retried)."""
    stored = dict(charge_files.listed(bucket, staging))
    wanted = sorted(
        charges.part_key_in(staging, int(result["shard"]), page)
        for result in results
        if "shard" in result
        for page in range(int((result.get("totals") or {}).get("parts", 0)))
    )
    missing = [key for key in wanted if key not in stored]
    if missing:
        raise ExportIncomplete(f"{len(missing)} counted parts are not in the staging area")
    return [(key, stored[key]) for key in wanted]


def _answer(bucket: str, month: str, version: int, status: str) -> dict[str, Any]:
    written = charge_files.read_json(bucket, charges.manifest_key(month, version))
    return {
        "bucket": bucket,
        "month": month,
        "version": version,
        "status": status,
        "key": written["key"],
        "manifestKey": charges.manifest_key(month, version),
        "records": written["records"],
        "lines": written["lines"],
        "totalYen": written["totalYen"],
        "sha256": written["sha256"],
        "supersedes": (written.get("supersedes") or {}).get("version"),
    }


def assemble(event: dict[str, Any]) -> dict[str, Any]:
    """Assemble the run's parts into the month's file and make it a version, or find the ledger
    holds no line the latest version lacks. ``event``: month, runId, the shards' results and the
    lines the billing run charged (``expectedLines``, when a billing run started it)."""
    bucket = settings.charges_bucket
    month, run_id = str(event["month"]), str(event["runId"])
    results = list(event.get("results") or [])
    totals = charges.Totals.summed(r.get("totals") or {} for r in results)
    expected = int(event.get("expectedLines") or 0)
    if totals.lines < expected:
        raise ExportIncomplete(f"{totals.lines} lines exported of the {expected} the billing run charged")
    staging = charges.staging_prefix(month, run_id)
    staged = f"{staging}charges.csv"
    assembled = charge_files.assemble(bucket, staged, charges.HEADER, _parts(bucket, staging, results))
    # The file itself must hold what the shards wrote: a retry that found parts gone, or a part
    # cut short, never becomes a version.
    if assembled.lines - charges.HEADER.count(b"\n") != totals.records:
        raise ExportIncomplete(
            f"the assembled file has {assembled.lines - 1} records, the shards wrote {totals.records}"
        )
    latest = _latest(bucket, month)
    try:
        decision = charges.decide(
            None if latest is None else (int(latest["version"]), int(latest["lines"]), str(latest["sha256"])),
            totals.lines,
            assembled.sha256,
        )
    except charges.LedgerBehind as behind:
        raise ExportIncomplete(str(behind)) from None
    if not decision.new:
        return _answer(bucket, month, decision.version, charges.UNCHANGED)
    # The file first, under its own SHA-256 (the same key is always the same bytes), then the
    # manifest that names it: no version is ever claimed without its file.
    charge_files.copy(bucket, staged, charges.csv_key(month, decision.version, assembled.sha256))
    body = charges.manifest(
        month=month,
        decision=decision,
        totals=totals,
        sha256=assembled.sha256,
        size=assembled.size,
        run_id=run_id,
        superseded=latest,
    )
    if not charge_files.put_if_absent(bucket, charges.manifest_key(month, decision.version), body):
        raise VersionTaken(f"{month} v{decision.version}")
    # The run's parts stay until the bucket's lifecycle rule removes them (7 days): a retry of
    # this step (it may have finished its work and failed before answering) assembles the same
    # bytes again and finds the version written.
    return _answer(bucket, month, decision.version, charges.CREATED)


def announce(export: dict[str, Any]) -> dict[str, Any]:
    """``ChargesExported`` for the carrier's billing system: where the file and its manifest are.
    Sent by every export run (``status`` CREATED or UNCHANGED): a consumer keys on (month,
    version) and takes each version once."""
    detail = {
        name: export[name]
        for name in (
            "bucket",
            "key",
            "manifestKey",
            "version",
            "month",
            "records",
            "totalYen",
            "sha256",
            "status",
            "supersedes",
        )
    }
    events.publish(EXPORTED, [detail])
    return detail
