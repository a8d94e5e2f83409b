"""Contract ends, month-end termination and billing on the deployed stack (R9-R13).

Contracts formed months ago are seeded into the table as the notification workflow records them
(the calendar cannot be moved for the deployed stack); everything after that goes through the
deployed API, EventBridge and the deployed job state machines, run with their schedules' input.
"""

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import requests
from anshin.domain.clock import iso
from anshin.domain.terms import JST, BillingMonth, billing_month_of
from anshin.store.keys import ends

from local.jobs import all_done, describe, run_month
from local.seed import formed_contract, put_account, put_contract
from local.service import LocalService
from local.staff import DEMO_NOT_STAFF
from tests.e2e.conftest import eventually, staff_request


def contract(service: LocalService, contract_id: str) -> dict[str, Any]:
    return staff_request(service, "GET", f"/contracts/{contract_id}")[1]


def invoice(service: LocalService, account: str, month: str) -> tuple[int, dict[str, Any]]:
    return staff_request(service, "GET", f"/accounts/{account}/invoices/{month}")


@pytest.fixture
def seeded(local_service: LocalService) -> Callable[[int, datetime], tuple[str, list[str]]]:
    def make(count: int, formed_at: datetime) -> tuple[str, list[str]]:
        table = local_service.output("ContractsTableName")
        account = f"MC-{uuid.uuid4().hex[:10]}"
        put_account(local_service.endpoint, table, account, slots_held=count, has_formed_contract=True)
        ids = []
        for _ in range(count):
            contract_id = f"ctr-{uuid.uuid4().hex[:24]}"
            put_contract(
                local_service.endpoint,
                table,
                formed_contract(contract_id, account, formed_at, first=False),
            )
            ids.append(contract_id)
        return account, ids

    return make


@pytest.fixture(scope="module")
def contract_ended_events(
    local_service: LocalService, aws_client: Callable[[str], Any]
) -> Callable[[], list[dict[str, Any]]]:
    """An SQS queue behind an EventBridge rule for the ContractEnded events the month end emits."""
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"ended-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = aws_client("events")
    rule = f"e2e-ended-{uuid.uuid4().hex[:6]}"
    events.put_rule(
        Name=rule, EventPattern=json.dumps({"source": ["anshin.contracts"], "detail-type": ["ContractEnded"]})
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn}])
    seen: list[dict[str, Any]] = []

    def received() -> list[dict[str, Any]]:
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            seen.append(json.loads(message["Body"])["detail"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return seen

    return received


def schedule_end(
    service: LocalService, aws_client: Callable[[str], Any], contract_id: str, ends_at: datetime, **more: str
) -> None:
    """A contract whose end is scheduled, as the API leaves it when a notice arrives before its
    month is over (the calendar cannot be moved for the deployed stack); ``more`` may break it."""
    month = str(billing_month_of(ends_at))
    fields = {
        "status": "CANCELLATION_PENDING",
        "endsAt": iso(ends_at),
        "endReason": "SUBSCRIBER_CANCELLATION",
        **ends(month, contract_id),
        **more,
    }
    aws_client("dynamodb").update_item(
        TableName=service.output("ContractsTableName"),
        Key={"pk": {"S": f"CONTRACT#{contract_id}"}, "sk": {"S": "CONTRACT"}},
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
        ExpressionAttributeNames={f"#{k}": k for k in fields},
        ExpressionAttributeValues={f":{k}": {"S": v} for k, v in fields.items()},
    )


def test_cancellation_month_end_and_billing(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    seeded: Callable[[int, datetime], tuple[str, list[str]]],
    contract_ended_events: Callable[[], list[dict[str, Any]]],
) -> None:
    account, (leaving, staying, late) = seeded(3, datetime(2025, 8, 10, tzinfo=JST))
    # R9: a notice that arrived on the last day of October at 23:30 JST ends it with October. Its
    # month is long over: recorded now, the contract ends at once, at the end of October.
    status, body = staff_request(
        local_service,
        "POST",
        f"/contracts/{late}/cancellation",
        {"receivedAt": "2025-10-31T23:30:00+09:00"},
    )
    assert (status, body["status"], body["endedAt"]) == (200, "ENDED", "2025-10-31T14:59:59.999Z")
    # A notice before the contract formed is no notice of it: refused, nothing written (R9).
    status, body = staff_request(
        local_service,
        "POST",
        f"/contracts/{staying}/cancellation",
        {"receivedAt": "2025-07-01T12:00:00+09:00"},
    )
    assert (status, body["code"]) == (409, "NOTICE_BEFORE_FORMATION")
    assert contract(local_service, staying)["status"] == "ACTIVE"
    # One whose notice was recorded in October, before October closed, waits for the month end.
    schedule_end(
        local_service,
        aws_client,
        leaving,
        datetime(2025, 10, 31, 23, 59, 59, 999000, tzinfo=JST),
        cancellationReceivedAt="2025-10-31T14:30:00.000Z",
    )

    # A dry run writes nothing and says what it would do.
    dry = run_month(local_service.endpoint, BillingMonth.parse("2025-10"), dry_run=True)
    assert [r["status"] for r in dry] == ["SUCCEEDED", "SUCCEEDED"]
    would_end = [
        i["contractId"] for s in dry[0]["output"]["results"] for i in s["totals"].get("wouldEnd", [])
    ]
    would_charge = sorted(
        i["contractId"] for s in dry[1]["output"]["results"] for i in s["totals"].get("wouldCharge", [])
    )
    assert leaving in would_end
    assert {leaving, staying} <= set(would_charge)
    assert contract(local_service, leaving)["status"] == "CANCELLATION_PENDING"
    assert invoice(local_service, account, "2025-10")[0] == 404

    # The month for real: the cancelled contract ends at its end and frees its slot; both are billed.
    results = run_month(local_service.endpoint, BillingMonth.parse("2025-10"))
    assert [r["status"] for r in results] == ["SUCCEEDED", "SUCCEEDED"]
    ended = contract(local_service, leaving)
    assert (ended["status"], ended["endedAt"], ended["endReason"]) == (
        "ENDED",
        "2025-10-31T14:59:59.999Z",
        "SUBSCRIBER_CANCELLATION",
    )
    assert contract(local_service, staying)["status"] == "ACTIVE"
    profile = aws_client("dynamodb").get_item(
        TableName=local_service.output("ContractsTableName"),
        Key={"pk": {"S": f"ACCOUNT#{account}"}, "sk": {"S": "PROFILE"}},
        ConsistentRead=True,
    )["Item"]
    assert profile["slotsHeld"]["N"] == "1"  # three held; the late notice and the month end freed two
    assert eventually(lambda: next((e for e in contract_ended_events() if e["contractId"] == leaving), None))

    status, october = invoice(local_service, account, "2025-10")
    assert status == 200
    assert sorted(line["contractId"] for line in october["lines"]) == sorted([leaving, staying, late])
    assert (october["subtotal"], october["tax"], october["total"]) == (1500, 150, 1650)

    # Re-running the month charges nothing twice (R13) and says so in its record.
    again = run_month(local_service.endpoint, BillingMonth.parse("2025-10"))
    totals = again[1]["output"]["finished"]["record"]["totals"]
    assert totals["linesWritten"] == 0 and totals["linesAlreadyCharged"] >= 3
    assert invoice(local_service, account, "2025-10")[1] == october

    # November: only the contract that stayed.
    run_month(local_service.endpoint, BillingMonth.parse("2025-11"))
    status, november = invoice(local_service, account, "2025-11")
    assert [line["contractId"] for line in november["lines"]] == [staying]


def test_one_bad_contract_is_set_aside_and_the_month_is_billed_then_repaired_and_billed_once(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    seeded: Callable[[int, datetime], tuple[str, list[str]]],
) -> None:
    """R9, R12, R13 on the deployed stack: the issue's case, a cancellation dated before the
    contract formed, written straight into the table as the API once accepted it."""
    account, (bad, *good) = seeded(3, datetime(2025, 11, 20, tzinfo=JST))
    end = datetime(2025, 12, 31, 23, 59, 59, 999000, tzinfo=JST)
    broken = {
        "endsAt": iso(datetime(2025, 8, 31, 23, 59, 59, tzinfo=JST)),
        "cancellationReceivedAt": "2025-08-03T00:00:00.000Z",
    }
    try:
        schedule_end(local_service, aws_client, bad, end)
        aws_client("dynamodb").update_item(
            TableName=local_service.output("ContractsTableName"),
            Key={"pk": {"S": f"CONTRACT#{bad}"}, "sk": {"S": "CONTRACT"}},
            UpdateExpression="SET endsAt = :e, cancellationReceivedAt = :r",
            ExpressionAttributeValues={
                ":e": {"S": broken["endsAt"]},
                ":r": {"S": broken["cancellationReceivedAt"]},
            },
        )
        dry = run_month(local_service.endpoint, BillingMonth.parse("2025-12"), dry_run=True)
        would = [
            q["contractId"]
            for s in dry[1]["output"]["results"]
            for q in s["totals"].get("wouldQuarantine", [])
        ]
        assert bad in would

        results = run_month(local_service.endpoint, BillingMonth.parse("2025-12"))
        for result in results:
            record = result["output"]["finished"]["record"]
            assert (result["status"], record["status"]) == ("SUCCEEDED", "SUCCEEDED_WITH_QUARANTINE")
            assert {"contractId": bad, "code": "NOTICE_BEFORE_FORMATION"}.items() <= next(
                q for q in record["quarantined"] if q["contractId"] == bad
            ).items()
        status, december = invoice(local_service, account, "2025-12")
        assert status == 200
        assert sorted(line["contractId"] for line in december["lines"]) == sorted(good)
        # Left as it was, and refused where it is read: staff see which rule the record breaks
        # (409 with the rule's code) rather than a contract that cannot exist.
        stored = aws_client("dynamodb").get_item(
            TableName=local_service.output("ContractsTableName"),
            Key={"pk": {"S": f"CONTRACT#{bad}"}, "sk": {"S": "CONTRACT"}},
        )["Item"]
        assert stored["status"]["S"] == "CANCELLATION_PENDING"
        status, answer = staff_request(local_service, "GET", f"/contracts/{bad}")
        assert (status, answer["code"]) == (409, "NOTICE_BEFORE_FORMATION")
        assert "set aside " + bad in describe(results, dry_run=False)
        assert not all_done(results)  # make month-end exits 1
    finally:
        # Repaired: the notice really arrived on 3 December.
        schedule_end(local_service, aws_client, bad, end, cancellationReceivedAt="2025-12-03T00:00:00.000Z")

    again = run_month(local_service.endpoint, BillingMonth.parse("2025-12"))
    assert [r["output"]["finished"]["record"]["status"] for r in again] == ["SUCCEEDED", "SUCCEEDED"]
    assert all_done(again)
    ended = contract(local_service, bad)
    assert (ended["status"], ended["endedAt"]) == ("ENDED", "2025-12-31T14:59:59.999Z")
    status, december = invoice(local_service, account, "2025-12")
    assert sorted(line["contractId"] for line in december["lines"]) == sorted([bad, *good])
    assert december["subtotal"] == 1500  # each contract charged once (R13)
    run_month(local_service.endpoint, BillingMonth.parse("2025-12"))
    assert invoice(local_service, account, "2025-12")[1] == december


def test_upstream_account_loss_ends_every_contract_with_the_month(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    seeded: Callable[[int, datetime], tuple[str, list[str]]],
) -> None:
    account, ids = seeded(3, datetime(2025, 5, 1, tzinfo=JST))
    aws_client("events").put_events(
        Entries=[
            {
                "Source": "qt.mobile",
                "DetailType": "MobileContractEnded",
                "Detail": json.dumps(
                    {"mobileContractId": account, "occurredAt": "2025-09-12T10:00:00+09:00"}
                ),
                "Time": datetime(2025, 9, 12, tzinfo=JST),
            }
        ]
    )
    for contract_id in ids:
        # September 2025 is long over: the contracts end at once, at the end of that month.
        view = eventually(
            lambda c=contract_id: v if (v := contract(local_service, c))["status"] == "ENDED" else None
        )
        assert (view["endedAt"], view["endReason"]) == ("2025-09-30T14:59:59.999Z", "ACCOUNT_LOSS")


STAFF_ROUTES = (
    ("GET", "/contracts/ctr-abc"),
    ("POST", "/contracts/ctr-abc/termination"),
    ("GET", "/accounts/MC-DEMO/invoices/2026-10"),
    ("PUT", "/contracts/ctr-abc/holder"),
    ("POST", "/contracts/ctr-abc/verifications"),
    ("POST", "/contracts/ctr-abc/devices/dev-1/commands"),
    ("GET", "/commands/cmd-abc"),
    ("POST", "/support-sessions"),
    ("POST", "/applications/app-abc/decision"),
)


@pytest.mark.parametrize(("method", "path"), STAFF_ROUTES)
def test_staff_routes_refuse_callers_without_a_staff_token_through_the_stage(
    local_service: LocalService, method: str, path: str
) -> None:
    # No token, or a forged one: the Cognito authorizer answers 401 before any function runs.
    for headers in ({}, {"Authorization": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}):
        answer = requests.request(
            method, local_service.api_url + path, json={"reason": "x"}, headers=headers, timeout=30
        )
        assert (answer.status_code, answer.json()["code"]) == (401, "UNAUTHENTICATED"), (method, path)
    # A valid token of someone outside the support-staff group: the handler answers 403.
    status, body = staff_request(local_service, method, path, {"reason": "x"}, account=DEMO_NOT_STAFF)
    assert (status, body["code"]) == (403, "FORBIDDEN"), (method, path, body)


def test_the_jobs_are_scheduled_in_japan_time(
    local_service: LocalService, aws_client: Callable[[str], Any]
) -> None:
    scheduler = aws_client("scheduler")
    schedules = [scheduler.get_schedule(Name=s["Name"]) for s in scheduler.list_schedules()["Schedules"]]
    ours = {s["Target"]["Arn"]: s for s in schedules}
    for output in ("MonthEndStateMachineArn", "BillingStateMachineArn"):
        schedule = ours[local_service.output(output)]
        assert schedule["ScheduleExpressionTimezone"] == "Asia/Tokyo"
        assert json.loads(schedule["Target"]["Input"])["scheduledTime"] == "<aws.scheduler.scheduled-time>"
