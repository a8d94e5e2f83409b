"""The month's charge file (R12, R13): exported after billing, streamed, versioned, announced.

Three steps of the ChargeExport workflow (``statemachines/charge_export.asl.json``):

1. :func:`export_shard` (a Map over the 16 account shards): reads the month's invoice lines of
   one account shard from gsi3 (``CHARGES#<month>#<shard>``, in account then contract order) and
   writes them as CSV records, one part object per page of at most :data:`RECORDS_PER_PART`
   accounts, under the run's staging prefix; the shard loops over pages across invocations.
2. :func:`assemble`: concatenates the header and the parts in key order into one object (S3
   multipart upload, UploadPartCopy for parts of 5 MiB and more), hashing it as it streams, then
   decides the version (anshin.domain.charges.decide): the same bytes as the latest version are
   that version again; other bytes are the next version, a correction naming what it supersedes.
   The manifest is written only if absent (the claim of the version), then the file is copied into
   place; a retry after a crash finds the version claimed with the same SHA-256 and completes it.
3. :func:`announce`: the ``ChargesExported`` event on the default bus.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from aws_lambda_powertools import Logger

from anshin.adapters import charge_files, events, metrics
from anshin.domain import charges
from anshin.domain.billing_rules import Line
from anshin.services import jobs
from anshin.settings import settings
from anshin.store import invoices
from anshin.store.keys import shard_of

logger = Logger()

#: The most account records one part holds (about 100 bytes each).
RECORDS_PER_PART = 20_000
#: How many invoice lines one Query of gsi3 reads.
QUERY_PAGE = 1000
#: The detail-type of the export's announcement (source ``anshin.contracts``).
EXPORTED = "ChargesExported"


class ExportIncomplete(RuntimeError):
    """The parts hold fewer invoice lines than the billing run charged (gsi3 has not caught up):
    the export fails rather than write a file that misses charges; run the month again."""


class VersionIncomplete(RuntimeError):
    """The month's latest version has a manifest but no file, and the run that claimed it left no
    staged file to complete it from: an operator restores it (the manifest names its SHA-256)."""


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


def _latest(bucket: str, month: str) -> tuple[int, dict[str, Any]] | None:
    versions = [
        (version, key)
        for key, _ in charge_files.listed(bucket, charges.month_prefix(month))
        if (version := charges.version_of(key)) is not None
    ]
    if not versions:
        return None
    version, key = max(versions)
    return version, charge_files.read_json(bucket, key)


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


def _records(bucket: str, key: str) -> Iterator[charges.Record]:
    """A file's records, streamed (its header skipped)."""
    rows = charge_files.rows(bucket, key)
    next(rows, None)
    return (charges.parse(row) for row in rows if row)


def _position(mobile_contract_id: str) -> tuple[int, str]:
    """Where an account's record stands in the file: account shard, then id."""
    return shard_of(mobile_contract_id), mobile_contract_id


def _answer(bucket: str, month: str, version: int, status: str, **more: Any) -> dict[str, Any]:
    written = charge_files.read_json(bucket, charges.manifest_key(month, version))
    return {
        "bucket": bucket,
        "month": month,
        "version": version,
        "status": status,
        "key": charges.csv_key(month, version),
        "manifestKey": charges.manifest_key(month, version),
        "records": written["records"],
        "totalYen": written["totalYen"],
        "sha256": written["sha256"],
        "supersedes": (written.get("supersedes") or {}).get("version"),
        **more,
    }


def assemble(event: dict[str, Any]) -> dict[str, Any]:
    """Assemble the run's parts into the month's file and make it a version (or find it is the
    latest version already). ``event``: month, runId, the shards' results, the lines the billing
    run charged (``expectedLines``) and, when an operator started the export, their reason
    (``correction``).

    Bytes that differ from the latest version's become the next version by themselves only when
    they keep every line of it with its amount (a billing re-run that charged more, R13). Bytes
    that would remove or change a line are not written as a version: the answer is
    NEEDS_CORRECTION, what differs is kept under ``reviews/`` and ``ChargeFileNeedsCorrection`` is
    counted (alarmed); the month's latest version stays what the carrier has, until an operator
    starts the export as a correction with their reason."""
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
    correction = str(event.get("correction") or "")
    decision = charges.decide(
        None if latest is None else (latest[0], str(latest[1]["sha256"])), assembled.sha256
    )
    target = charges.csv_key(month, decision.version)
    if not decision.new:
        if not charge_files.exists(bucket, target):  # claimed by a run that stopped before copying
            charge_files.copy(bucket, staged, target)
        return _answer(bucket, month, decision.version, charges.UNCHANGED)
    changed: charges.Changes | None = None
    if latest is not None:
        _complete(bucket, month, latest[0], latest[1])
        changed = charges.changes(
            _records(bucket, str(latest[1]["key"])), _records(bucket, staged), _position
        )
        if not changed.keeps_every_line and not correction:
            return _needs_correction(bucket, month, run_id, latest[0], decision.version, changed)
    body = charges.manifest(
        month=month,
        decision=decision,
        totals=totals,
        sha256=assembled.sha256,
        size=assembled.size,
        run_id=run_id,
        superseded_sha256=None if latest is None else str(latest[1]["sha256"]),
        # Why it supersedes: the operator's reason for a correction they started, else a billing
        # re-run that charged more.
        correction=correction or charges.RERUN,
        changed=None if changed is None else changed.counts(),
    )
    if not charge_files.put_if_absent(bucket, charges.manifest_key(month, decision.version), body):
        raise VersionTaken(f"{month} v{decision.version}")
    charge_files.copy(bucket, staged, target)
    # The run's parts stay until the bucket's lifecycle rule removes them (7 days): a retry of
    # this step (it may have finished its work and failed before answering) assembles the same
    # bytes again and finds the version written, instead of an empty file.
    return _answer(bucket, month, decision.version, charges.CREATED)


def _complete(bucket: str, month: str, version: int, manifest: dict[str, Any]) -> None:
    """A version whose manifest was written by a run that stopped before copying its file is
    completed from that run's staged file (kept 7 days), checked against the manifest's size;
    without it the month cannot move on, and the step fails saying so."""
    key = charges.csv_key(month, version)
    if charge_files.exists(bucket, key):
        return
    staged = f"{charges.staging_prefix(month, str(manifest['runId']))}charges.csv"
    if charge_files.size(bucket, staged) != int(manifest["bytes"]):
        raise VersionIncomplete(f"{month} v{version}: its file was never copied and its staged file is gone")
    charge_files.copy(bucket, staged, key)


def _needs_correction(
    bucket: str, month: str, run_id: str, latest: int, would_be: int, changed: charges.Changes
) -> dict[str, Any]:
    """The month's data would remove or change lines of its latest version: say so, write nothing
    the carrier reads. The billing run itself is not failed (its charges are written)."""
    review = charges.review_key(month, run_id)
    charge_files.put(
        bucket,
        review,
        (
            json.dumps(
                {
                    "month": month,
                    "runId": run_id,
                    "latestVersion": latest,
                    "wouldBeVersion": would_be,
                    "changes": changed.counts(),
                    "examples": changed.examples,
                    "staged": f"{charges.staging_prefix(month, run_id)}charges.csv",
                },
                sort_keys=True,
                indent=2,
            )
            + "\n"
        ).encode("utf-8"),
        content_type="application/json",
    )
    metrics.count("ChargeFileNeedsCorrection")
    logger.warning(
        "charge file not versioned: it would remove or change charged lines",
        extra={"month": month, "latestVersion": latest, **changed.counts()},
    )
    return _answer(
        bucket, month, latest, charges.NEEDS_CORRECTION, reviewKey=review, changes=changed.counts()
    )


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
