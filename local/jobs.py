"""Run a month's scheduled jobs by hand against a running stack (``make month-end MONTH=…``).

The jobs get exactly the input their schedules give them (``scheduledTime`` of the run that
closes the month), so a manual run goes through the very same targets as the scheduled one.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from anshin.domain.terms import BillingMonth
from anshin.services.jobs import scheduled_time_for
from anshin.store import keys
from anshin.store.keys import SHARDS
from anshin_local.time_travel import OFFSET_VARIABLE

from local.deploy import client, outputs_of

JOBS = (("MonthEndStateMachineArn", "month-end termination"), ("BillingStateMachineArn", "billing"))


def run_job(
    endpoint: str, machine_arn: str, month: BillingMonth, dry_run: bool, timeout: float = 600
) -> dict[str, Any]:
    sfn = client("stepfunctions", endpoint)
    execution = sfn.start_execution(
        stateMachineArn=machine_arn,
        name=f"manual-{month}-{'dry-' if dry_run else ''}{uuid.uuid4().hex[:8]}",
        input=json.dumps({"scheduledTime": scheduled_time_for(month), "dryRun": dry_run}),
    )
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{machine_arn} still running after {timeout}s")
        time.sleep(0.25)
    output = json.loads(described.get("output") or "{}")
    return {"status": described["status"], "executionArn": execution["executionArn"], "output": output}


def run_month(endpoint: str, month: BillingMonth, dry_run: bool = False) -> list[dict[str, Any]]:
    """Month-end termination, then billing, for ``month``."""
    outputs = {**outputs_of(endpoint, "AnshinData"), **outputs_of(endpoint, "AnshinService")}
    return [{"job": name, **run_job(endpoint, outputs[key], month, dry_run)} for key, name in JOBS]


def all_done(results: list[dict[str, Any]]) -> bool:
    """Whether every run finished with nothing set aside (``make month-end`` exits 1 otherwise)."""
    return all(
        r["status"] == "SUCCEEDED"
        and (r["output"].get("finished") or {}).get("record", {}).get("status", "SUCCEEDED") == "SUCCEEDED"
        for r in results
    )


def describe(results: list[dict[str, Any]], dry_run: bool) -> str:
    lines = []
    for result in results:
        output = result["output"]
        record = (output.get("finished") or {}).get("record", {})
        status = record.get("status", result["status"])
        totals = record.get("totals", {})
        lines.append(f"{result['job']:<24} {status:<10} {json.dumps(totals, sort_keys=True)}")
        for item in record.get("quarantined", []):
            lines.append(f"  set aside {item['contractId']}  {item['code']}: {item['error']}")
        if record.get("quarantined"):
            lines.append("  (repair these contracts, then run the month again: it does only what is missing)")
        if (rebilling := record.get("rebilling")) and rebilling.get("settled") is False:
            lines.append("  rebilling    markers not settled (see job_run's log); run the month again")
        elif rebilling:  # REBILL#<month> markers of contracts recorded late
            owed = ", ".join(rebilling.get("stillOwedContracts", []))
            lines.append(
                f"  rebilling    {rebilling['cleared']} late-recorded contract(s) now charged"
                + (f"; still owed a line: {owed}" if owed else "")
            )
        if dry_run:
            for shard in output.get("results", []):
                for item in shard.get("totals", {}).get("wouldCharge", []):
                    lines.append(
                        f"  charge {item['mobileContractId']:<18} {item['contractId']} ¥{item['amount']}"
                    )
                for item in shard.get("totals", {}).get("wouldQuarantine", []):
                    lines.append(f"  would set aside {item['contractId']}  {item['code']}: {item['error']}")
                for item in shard.get("totals", {}).get("wouldEnd", []):
                    lines.append(
                        f"  end    {item['mobileContractId']:<18} {item['contractId']} {item['endsAt']}"
                    )
    return "\n".join(lines)


def charge_file(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What billing's charge export reported (bucket, key, manifestKey, version, status…), if any."""
    for result in results:
        export = (result["output"].get("export") or {}).get("value")
        if export:
            return dict(export)
    return None


def charge_file_lines(results: list[dict[str, Any]], endpoint: str) -> list[str]:
    """Where the month's charge file is, and how to read it through the emulator."""
    export = charge_file(results)
    if export is None:
        return []
    where = f"s3://{export['bucket']}/{export['key']}"
    held = []
    if export["status"] == "NEEDS_CORRECTION":
        changes = export.get("changes") or {}
        removed, changed, version = (
            changes.get("removedLines"),
            changes.get("changedLines"),
            export["version"],
        )
        held = [
            f"charge file  NOT VERSIONED: this run's data would remove {removed} and change {changed} "
            f"charged line(s) of v{version} (R13); v{version} stays the month's file.",
            f"  review     s3://{export['bucket']}/{export['reviewKey']}",
            f"  if it is right: make charge-correction MONTH={export['month']} REASON='<why>'",
        ]
    return [
        *held,
        f"charge file  {where}  v{export['version']} {export['status']}: {export['records']} accounts, "
        f"¥{export['totalYen']}, sha256 {export['sha256']}",
        f"  manifest   s3://{export['bucket']}/{export['manifestKey']}",
        "  read it:   AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 "
        f"aws --endpoint-url {endpoint} s3 cp {where} -",
    ]


def billed_lines(endpoint: str, table: str, month: BillingMonth) -> int:
    """The lines the month's latest finished billing run (not a dry run) charged."""
    runs = client("dynamodb", endpoint).query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :run)",
        ExpressionAttributeValues={
            ":pk": {"S": keys.run_pk("BILLING", month)},
            ":run": {"S": keys.RUN_PREFIX},
        },
        ConsistentRead=True,
    )["Items"]
    finished = [
        r
        for r in runs
        if r["status"]["S"].startswith("SUCCEEDED") and not r.get("dryRun", {}).get("BOOL", False)
    ]
    if not finished:
        raise ValueError(f"{month} has no finished billing run: bill it first (make month-end MONTH={month})")
    latest = max(finished, key=lambda r: r["finishedAt"]["S"])
    return int(latest["totals"]["M"]["lines"]["N"])


def correct_charges(endpoint: str, month: BillingMonth, reason: str, timeout: float = 600) -> dict[str, Any]:
    """An operator's correction: the ChargeExport workflow started by hand with the reason, so
    the month's data becomes its next version even where it removes or changes charged lines
    (the manifest names what it supersedes, why, and what it changes)."""
    if not reason.strip():
        raise ValueError("a correction says why")
    outputs = {**outputs_of(endpoint, "AnshinData"), **outputs_of(endpoint, "AnshinService")}
    machine = outputs["ChargeExportStateMachineArn"]
    name = f"correction-{month}-{uuid.uuid4().hex[:8]}"
    sfn = client("stepfunctions", endpoint)
    execution = sfn.start_execution(
        stateMachineArn=machine,
        name=name,
        input=json.dumps(
            {
                "month": str(month),
                "runId": name,
                "shards": list(range(SHARDS)),
                # The lines the month's last billing run charged: a correction is never a short file
                # either (an index behind billing fails it, as it does a billing run's export).
                "expectedLines": billed_lines(endpoint, outputs["ContractsTableName"], month),
                "correction": reason,
            }
        ),
    )
    deadline = time.monotonic() + timeout
    while (described := sfn.describe_execution(executionArn=execution["executionArn"]))[
        "status"
    ] == "RUNNING":
        if time.monotonic() > deadline:
            raise TimeoutError(f"the correction of {month} is still running after {timeout}s")
        time.sleep(0.25)
    return {"status": described["status"], "output": json.loads(described.get("output") or "{}")}


#: The functions that judge "now" for the month-end jobs.
JOB_FUNCTIONS = ("JobRunFunctionName", "MonthEndShardFunctionName", "BillingShardFunctionName")


@contextlib.contextmanager
def time_travel(
    endpoint: str, offset_seconds: float, functions: tuple[str, ...] = JOB_FUNCTIONS
) -> Iterator[None]:
    """Run the deployed ``functions`` (their stack outputs' names; the job functions unless
    told) ``offset_seconds`` ahead of the real clock, then restore them: the local stand-in for
    time-machine, so a demo or test can close the current month, or reach the support centre's
    hours (R7). Local deployments only; the stack never sets the variable."""
    outputs = outputs_of(endpoint, "AnshinService")
    lambda_ = client("lambda", endpoint)
    names = [outputs[key] for key in functions]
    saved = {
        name: lambda_.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
        for name in names
    }
    try:
        for name, variables in saved.items():
            lambda_.update_function_configuration(
                FunctionName=name,
                Environment={"Variables": {**variables, OFFSET_VARIABLE: str(offset_seconds)}},
            )
        yield
    finally:
        for name, variables in saved.items():
            lambda_.update_function_configuration(FunctionName=name, Environment={"Variables": variables})
