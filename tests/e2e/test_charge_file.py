"""The month's charge file on the local stack (issue 17): a month end produces the file and its
manifest in the charges bucket, a re-run's bytes are identical, and a schedule fires its target
at its time (a deployment with the test-only ``anshin:scheduleOverride``, never in AWS)."""

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

import boto3
from anshin.domain.terms import JST, BillingMonth

from local.jobs import charge_file, run_month
from local.seed import formed_contract, put_account, put_contract
from local.service import LocalService
from tests.e2e.conftest import SCHEDULE_OVERRIDE as OVERRIDE
from tests.e2e.conftest import eventually

MONTH = BillingMonth.parse("2026-06")


def client(service: LocalService, name: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        name,
        endpoint_url=service.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def seed(service: LocalService, accounts: int = 3) -> None:
    table = service.output("ContractsTableName")
    for n in range(accounts):
        account = f"MC-{uuid.uuid4().hex[:10]}"
        put_account(service.endpoint, table, account, slots_held=n + 1, has_formed_contract=True)
        for _ in range(n + 1):
            formed = datetime(2026, 3, 10, 12, tzinfo=JST)
            put_contract(
                service.endpoint,
                table,
                formed_contract(f"ctr-{uuid.uuid4().hex[:24]}", account, formed, False),
            )


def test_month_end_writes_the_charge_file_and_a_rerun_is_byte_identical(scheduled: LocalService) -> None:
    seed(scheduled)
    s3 = client(scheduled, "s3")
    first = charge_file(run_month(scheduled.endpoint, MONTH))
    assert first is not None and (first["status"], first["version"]) == ("CREATED", 1)
    body = s3.get_object(Bucket=first["bucket"], Key=first["key"])["Body"].read()
    manifest_bytes = s3.get_object(Bucket=first["bucket"], Key=first["manifestKey"])["Body"].read()
    manifest = json.loads(manifest_bytes)
    assert manifest["sha256"] == hashlib.sha256(body).hexdigest()
    assert manifest["records"] == 3 and manifest["lines"] == 6
    assert body.decode("utf-8").count("\n") == 1 + 3

    again = charge_file(run_month(scheduled.endpoint, MONTH))
    assert again is not None and (again["status"], again["version"]) == ("UNCHANGED", 1)
    assert s3.get_object(Bucket=first["bucket"], Key=first["key"])["Body"].read() == body
    assert s3.get_object(Bucket=first["bucket"], Key=first["manifestKey"])["Body"].read() == manifest_bytes
    listed = s3.list_objects_v2(Bucket=first["bucket"], Prefix=f"charges/{MONTH}/")
    assert sorted(o["Key"] for o in listed["Contents"]) == [first["key"], first["manifestKey"]]


def test_a_schedule_fires_its_target_at_its_time(scheduled: LocalService) -> None:
    """The billing schedule (here every minute) starts the billing workflow by itself: an
    execution that no test or tool started appears within two ticks of the schedule."""
    scheduler = client(scheduled, "scheduler")
    expressions = {
        s["Name"]: scheduler.get_schedule(Name=s["Name"])["ScheduleExpression"]
        for s in scheduler.list_schedules()["Schedules"]
    }
    assert expressions and set(expressions.values()) == {OVERRIDE}
    sfn = client(scheduled, "stepfunctions")
    machine = scheduled.output("BillingStateMachineArn")

    def fired() -> dict[str, Any] | None:
        for execution in sfn.list_executions(stateMachineArn=machine)["executions"]:
            if not execution["name"].startswith("manual-"):
                return dict(execution)
        return None

    execution = eventually(fired, timeout=150, interval=2)
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    # The schedule's own input reached the workflow (the emulator does not fill in the
    # scheduled-time placeholder, docs/emulator-notes.md).
    assert "scheduledTime" in json.loads(described["input"])
