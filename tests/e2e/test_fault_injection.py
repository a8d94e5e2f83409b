"""Failure handling on the deployed stack: a named function is made to raise for its next N calls
(anshin_local.faults, armed with local/faults.py as `make fault` does), and each workflow and
scheduled job either retries to success or ends in a recorded failure state. Afterwards nothing
is lost and nothing is doubled: one contract per application, one notification, one invoice line
per contract and month.
"""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
from anshin.domain.terms import JST, BillingMonth

from local import faults
from local.devices import DeviceFleet, Installation
from local.jobs import run_month
from local.seed import formed_contract, put_account, put_contract
from local.service import LocalService
from tests.e2e.conftest import eventually, faster_workflows
from tests.e2e.test_applications import account_item, application, apply, execution_states, settled, view
from tests.e2e.test_device_commands import Subscriber, subscriber  # noqa: F401 - a fixture
from tests.e2e.test_month_end_and_billing import contract, invoice

Arm = Callable[[str, int], None]


@contextmanager
def faults_on(service: LocalService) -> Iterator[Arm]:
    """Arm faults on ``service`` (as `make fault` does); whatever was armed is disarmed after."""
    armed: list[str] = []

    def arm(function: str, times: int) -> None:
        faults.arm(service.endpoint, function, times)
        armed.append(function)

    try:
        yield arm
    finally:
        for function in armed:
            faults.disarm(service.endpoint, function)


@pytest.fixture
def fault(local_service: LocalService) -> Iterator[Arm]:
    with faults_on(local_service) as arm:
        yield arm


def contracts_of(service: LocalService, aws_client: Callable[[str], Any], account: str) -> list[str]:
    """Every contract item of ``account`` in the table (a scan: the truth, not an index)."""
    pages = (
        aws_client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=service.output("ContractsTableName"),
            FilterExpression="#t = :contract AND mobileContractId = :account",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={":contract": {"S": "CONTRACT"}, ":account": {"S": account}},
            ConsistentRead=True,
        )
    )
    return [item["contractId"]["S"] for page in pages for item in page["Items"]]


def test_a_contract_record_that_fails_twice_is_retried_and_forms_one_contract(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    account: Callable[..., str],
    outbox: Callable[[str], dict[str, Any]],
    fault: Arm,
) -> None:
    mobile_contract_id = account()
    fault("record_contract", 2)
    application_id = apply(local_service, application(mobile_contract_id))
    result = settled(local_service, application_id)
    assert result["status"] == "CONTRACTED", result
    assert faults.remaining(local_service.endpoint, "record_contract") == 0  # both faults were hit
    assert contracts_of(local_service, aws_client, mobile_contract_id) == [result["contractId"]]
    assert outbox(application_id)["contractId"] == result["contractId"]
    assert account_item(local_service, aws_client, mobile_contract_id)["slotsHeld"]["N"] == "1"


def test_the_member_code_works_while_the_contract_record_keeps_failing(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    account: Callable[..., str],
    outbox: Callable[[str], dict[str, Any]],
    fault: Arm,
) -> None:
    """R6.4: the contract exists from the notification, so its code works at once. With the
    workflow's RecordContract failing for over a minute, the subscriber's device registers with
    the notified code (its own retries, if any, absorb the send's last milliseconds), and the
    registration records the contract: once, formed at the send."""
    mobile_contract_id = account()
    fault("record_contract", 8)
    body = application(mobile_contract_id)
    application_id = apply(local_service, body)
    notification = outbox(application_id)
    device_id = str(body["device"]["deviceId"])
    fleet = DeviceFleet(local_service.endpoint, local_service.api_url)
    fleet.pending.append(Installation(notification))
    eventually(lambda: fleet.install_due() or fleet.by_id(device_id) or fleet.given_up or None)
    assert fleet.given_up == {}
    registered = fleet.by_id(device_id)
    assert registered is not None and registered.device_token
    result = view(local_service, application_id)
    assert (result["status"], result["contractId"]) == ("CONTRACTED", notification["contractId"])
    assert faults.remaining(local_service.endpoint, "record_contract") > 0  # the workflow had not
    assert contracts_of(local_service, aws_client, mobile_contract_id) == [notification["contractId"]]
    assert account_item(local_service, aws_client, mobile_contract_id)["slotsHeld"]["N"] == "1"


@pytest.mark.parametrize(
    ("function", "times", "state"),
    [
        # Screening does not retry a failed check: it ends the application at once.
        ("screen_application", 1, "ScreenApplication"),
        # The notification is tried four times (R6.4: no notification, no contract).
        ("send_notification", 4, "SendNotification"),
    ],
)
def test_a_step_that_keeps_failing_ends_the_application_recorded_and_frees_its_slot(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    account: Callable[..., str],
    fault: Arm,
    function: str,
    times: int,
    state: str,
) -> None:
    mobile_contract_id = account()
    fault(function, times)
    application_id = apply(local_service, application(mobile_contract_id))
    result = settled(local_service, application_id)
    assert result["status"] == "NOTIFICATION_FAILED", result
    assert faults.remaining(local_service.endpoint, function) == 0
    assert contracts_of(local_service, aws_client, mobile_contract_id) == []
    assert (
        account_item(local_service, aws_client, mobile_contract_id).get("slotsHeld", {"N": "0"})["N"] == "0"
    )
    # The failure is recorded where operators look: the application and the workflow's history.
    item = aws_client("dynamodb").get_item(
        TableName=local_service.output("ContractsTableName"),
        Key={"pk": {"S": f"APP#{application_id}"}, "sk": {"S": "APP"}},
        ConsistentRead=True,
    )["Item"]
    assert item["failure"]["S"] == "InjectedFault"
    # Nothing is stuck: the subscriber's next application forms its contract.
    again = settled(local_service, apply(local_service, application(mobile_contract_id)))
    assert again["status"] == "CONTRACTED", again
    assert contracts_of(local_service, aws_client, mobile_contract_id) == [again["contractId"]]


@pytest.fixture
def billed_account(local_service: LocalService) -> tuple[str, list[str]]:
    """An account with two contracts formed in May 2025 (so billed in June and July 2025)."""
    table = local_service.output("ContractsTableName")
    account = f"MC-{uuid.uuid4().hex[:10]}"
    put_account(local_service.endpoint, table, account, slots_held=2, has_formed_contract=True)
    ids = [f"ctr-{uuid.uuid4().hex[:24]}" for _ in range(2)]
    for contract_id in ids:
        put_contract(
            local_service.endpoint,
            table,
            formed_contract(contract_id, account, datetime(2025, 5, 1, tzinfo=JST), first=False),
        )
    return account, ids


def test_a_billing_shard_that_fails_once_is_retried_and_bills_each_line_once(
    local_service: LocalService, billed_account: tuple[str, list[str]], fault: Arm
) -> None:
    account, ids = billed_account
    fault("billing_shard", 1)
    fault("month_end_shard", 1)
    results = run_month(local_service.endpoint, BillingMonth.parse("2025-06"))
    assert [r["status"] for r in results] == ["SUCCEEDED", "SUCCEEDED"]
    assert faults.remaining(local_service.endpoint, "billing_shard") == 0
    assert faults.remaining(local_service.endpoint, "month_end_shard") == 0
    status, june = invoice(local_service, account, "2025-06")
    assert status == 200
    assert sorted(line["contractId"] for line in june["lines"]) == sorted(ids)
    assert (june["subtotal"], june["tax"], june["total"]) == (1000, 100, 1100)


def test_a_billing_run_that_keeps_failing_is_recorded_failed_and_a_rerun_bills_each_line_once(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    billed_account: tuple[str, list[str]],
    fault: Arm,
) -> None:
    account, ids = billed_account
    fault("billing_shard", 10_000)  # every attempt of every shard
    with faster_workflows(local_service):  # through every shard's retries, at a tenth of their waits
        failed = run_month(local_service.endpoint, BillingMonth.parse("2025-07"))
    assert [r["status"] for r in failed] == ["SUCCEEDED", "FAILED"]
    run_id = failed[1]["executionArn"].rsplit(":", 1)[-1]
    record = aws_client("dynamodb").get_item(
        TableName=local_service.output("ContractsTableName"),
        Key={"pk": {"S": "RUN#BILLING#2025-07"}, "sk": {"S": f"EXEC#{run_id}"}},
        ConsistentRead=True,
    )["Item"]
    assert record["status"]["S"] == "FAILED"  # what the run-did-not-finish alarm and operators see
    assert "RecordRunFailed" in execution_states(local_service, aws_client, "BillingStateMachineArn", run_id)
    assert invoice(local_service, account, "2025-07")[0] == 404

    faults.disarm(local_service.endpoint, "billing_shard")
    for _ in range(2):  # the operator's re-run, and one more by mistake
        assert [r["status"] for r in run_month(local_service.endpoint, BillingMonth.parse("2025-07"))] == [
            "SUCCEEDED",
            "SUCCEEDED",
        ]
    status, july = invoice(local_service, account, "2025-07")
    assert status == 200
    assert sorted(line["contractId"] for line in july["lines"]) == sorted(ids)
    assert july["total"] == 1100
    assert all(contract(local_service, c)["status"] == "ACTIVE" for c in ids)


def test_a_command_follow_up_that_fails_is_retried_and_the_command_completes_once(
    local_service: LocalService,
    subscriber: Callable[..., Subscriber],  # noqa: F811 - a fixture
    fault: Arm,
) -> None:
    sub = subscriber()
    sub.device.answer_delay = 6  # the device answers after the first follow-up is due (2 s)
    fault("command_follow_up", 1)
    status, body = sub.command({"action": "LOCK", "verificationId": sub.verify()})
    assert status == 202
    command_id = body["commandId"]
    done = sub.until(command_id, "SUCCEEDED", timeout=40)
    assert faults.remaining(local_service.endpoint, "command_follow_up") == 0
    assert sub.device.ran[command_id] == "SUCCEEDED"
    # Each recorded attempt was pushed at most once, however often the failed step was retried.
    pushes = [p for p in sub.device.received if p["commandId"] == command_id]
    assert 1 <= len(pushes) <= done["attempts"], (len(pushes), done["attempts"])
