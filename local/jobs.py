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
    supersedes = f" (supersedes v{export['supersedes']})" if export.get("supersedes") else ""
    return [
        f"charge file  {where}  v{export['version']} {export['status']}{supersedes}: "
        f"{export['records']} accounts, ¥{export['totalYen']}, sha256 {export['sha256']}",
        f"  manifest   s3://{export['bucket']}/{export['manifestKey']}",
        "  read it:   AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 "
        f"aws --endpoint-url {endpoint} s3 cp {where} -",
    ]


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
