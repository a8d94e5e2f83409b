"""Signup -> approval -> the notification that forms the contract, on the deployed stack (R4, R6).

Everything goes through the deployed API over HTTP and the deployed state machines and functions;
the tests look inside with AWS APIs only. The account mirror is seeded as the upstream sync would.
"""

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from local.seed import put_violation
from local.service import LocalService
from tests.e2e.conftest import eventually, member_token, staff_request

FINAL = {"REJECTED", "CONTRACTED", "NOTIFICATION_FAILED"}


def application(mobile_contract_id: str, **device: str) -> dict[str, Any]:
    return {
        "mobileContractId": mobile_contract_id,
        "applicant": {"name": "E2E 太郎", "email": "e2e@example.com", "phone": "09011112222"},
        "device": {
            "deviceId": device.get("deviceId", f"dev-{uuid.uuid4().hex[:8]}"),
            "platform": device.get("platform", "android"),
            "kind": device.get("kind", "smartphone"),
            "model": "Pixel 9",
        },
        "consent": {"termsVersion": "2017-07-01", "locationOptOut": False},
    }


#: The account of each application applied for here: only its holder may read it (issue 23).
_ACCOUNT_OF: dict[str, str] = {}


def holder_of(service: LocalService, mobile_contract_id: str) -> dict[str, str]:
    """The ``Authorization`` header of the member holding ``mobile_contract_id``."""
    return {"Authorization": member_token(service, mobile_contract_id)}


def apply(service: LocalService, body: dict[str, Any], **headers: str) -> str:
    """Apply as the signed-in holder of the body's account (Art. 5, issue 23)."""
    headers = {**holder_of(service, body["mobileContractId"]), **headers}
    answer = requests.post(f"{service.api_url}/applications", json=body, headers=headers, timeout=30)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "RECEIVED"
    _ACCOUNT_OF[str(answer.json()["applicationId"])] = body["mobileContractId"]
    return str(answer.json()["applicationId"])


def view(service: LocalService, application_id: str, mobile_contract_id: str | None = None) -> dict[str, Any]:
    """The application as its account's holder reads it."""
    account = mobile_contract_id or _ACCOUNT_OF[application_id]
    answer = requests.get(
        f"{service.api_url}/applications/{application_id}", headers=holder_of(service, account), timeout=30
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def settled(service: LocalService, application_id: str, *, timeout: float = 60) -> dict[str, Any]:
    """Poll the public API until the application reaches a final status."""
    return eventually(
        lambda: v if (v := view(service, application_id))["status"] in FINAL else None, timeout=timeout
    )


def until_status(service: LocalService, application_id: str, status: str) -> dict[str, Any]:
    return eventually(
        lambda: v if (v := view(service, application_id))["status"] == status else None, timeout=60
    )


def execution_states(
    service: LocalService, aws_client: Callable[[str], Any], machine_output: str, name: str
) -> list[str]:
    arn = service.output(machine_output).replace(":stateMachine:", ":execution:") + f":{name}"
    sfn = aws_client("stepfunctions")
    eventually(lambda: None if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" else True)
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def account_item(
    service: LocalService, aws_client: Callable[[str], Any], mobile_contract_id: str
) -> dict[str, Any]:
    item: dict[str, Any] = aws_client("dynamodb").get_item(
        TableName=service.output("ContractsTableName"),
        Key={"pk": {"S": f"ACCOUNT#{mobile_contract_id}"}, "sk": {"S": "PROFILE"}},
        ConsistentRead=True,
    )["Item"]
    return item


def test_application_is_approved_and_the_notification_forms_the_contract(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    account: Callable[..., str],
    outbox: Callable[[str], dict[str, Any]],
) -> None:
    mobile_contract_id = account()
    application_id = apply(local_service, application(mobile_contract_id))
    result = settled(local_service, application_id)
    assert result["status"] == "CONTRACTED", result
    assert result["contractId"].startswith("ctr-")
    assert result["formedAt"]

    # The subscriber was told the member confirmation code and the support number (R6.4).
    message = outbox(application_id)
    assert message["contractId"] == result["contractId"]
    assert len(message["memberConfirmationCode"]) == 8
    assert message["supportPhoneNumber"]

    # Both deployed workflows ran their states.
    approval = execution_states(local_service, aws_client, "ApprovalStateMachineArn", application_id)
    assert approval[:2] == ["ScreenApplication", "ScreeningOutcome"]
    assert "ReserveSlot" in approval and approval[-1] == "Contracted"
    notification = execution_states(local_service, aws_client, "NotificationStateMachineArn", application_id)
    assert notification == ["IssueCredentials", "SendNotification", "RecordContract"]

    # The contract: formed at the send, the account's first (R12), one slot held (R4).
    contract = aws_client("dynamodb").get_item(
        TableName=local_service.output("ContractsTableName"),
        Key={"pk": {"S": f"CONTRACT#{result['contractId']}"}, "sk": {"S": "CONTRACT"}},
    )["Item"]
    assert contract["formedAt"]["S"] == result["formedAt"]
    assert contract["firstUnderAccount"]["BOOL"] is True
    assert contract["status"]["S"] == "ACTIVE"
    assert message["memberConfirmationCode"] not in json.dumps(contract)
    profile = account_item(local_service, aws_client, mobile_contract_id)
    assert profile["slotsHeld"]["N"] == "1"
    assert profile["hasFormedContract"]["BOOL"] is True


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (None, "INVALID_APPLICATION"),  # R6.3(1): no such mobile account
        ({"in_arrears": True}, "PAYMENT_RISK"),  # R6.3(2)
        ("violation", "PRIOR_VIOLATION"),  # R6.3(3)
        ({"normal_rate_lines": 0}, "NO_ELIGIBLE_RATE_CONTRACT"),  # R6.3(4)
        ({"slots_held": 10}, "CONTRACT_LIMIT_REACHED"),  # R4
    ],
)
def test_each_refusal_reason(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    account: Callable[..., str],
    settings: dict[str, Any] | str | None,
    reason: str,
) -> None:
    if settings is None:
        mobile_contract_id = f"MC-UNKNOWN-{uuid.uuid4().hex[:6]}"
    elif settings == "violation":
        mobile_contract_id = account(has_formed_contract=True)
        put_violation(
            local_service.endpoint,
            local_service.output("ContractsTableName"),
            mobile_contract_id,
            "ctr-ended-r10",
        )
    else:
        assert isinstance(settings, dict)
        mobile_contract_id = account(**settings)
    application_id = apply(local_service, application(mobile_contract_id))
    result = settled(local_service, application_id)
    assert (result["status"], result.get("reason")) == ("REJECTED", reason)
    assert "contractId" not in result
    states = execution_states(local_service, aws_client, "ApprovalStateMachineArn", application_id)
    assert states[-1] == "Rejected"
    assert "FormContract" not in states


def staff_decision(
    local_service: LocalService, application_id: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """POST /applications/{id}/decision as a signed-in support-staff member."""
    return staff_request(local_service, "POST", f"/applications/{application_id}/decision", body)


@pytest.mark.parametrize(
    ("decision", "final", "reason"), [("APPROVE", "CONTRACTED", None), ("REJECT", "REJECTED", "OTHER")]
)
def test_deferral_then_staff_decision(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    account: Callable[..., str],
    decision: str,
    final: str,
    reason: str | None,
) -> None:
    mobile_contract_id = account(defer_review=True)
    application_id = apply(local_service, application(mobile_contract_id))
    until_status(local_service, application_id, "DEFERRED")

    # Anonymous callers are refused through the deployed stage.
    anonymous = requests.post(
        f"{local_service.api_url}/applications/{application_id}/decision",
        json={"decision": decision},
        timeout=30,
    )
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "UNAUTHENTICATED"

    status, answer = staff_decision(local_service, application_id, {"decision": decision})
    assert status == 200, answer
    result = settled(local_service, application_id)
    assert result["status"] == final
    assert result.get("reason") == reason

    # A second decision finds nothing waiting.
    status, again = staff_decision(local_service, application_id, {"decision": decision})
    assert (status, again["code"]) == (409, "NOT_DEFERRED")


def test_notification_that_cannot_be_sent_forms_nothing_and_releases_the_slot(
    local_service: LocalService, aws_client: Callable[[str], Any], account: Callable[..., str]
) -> None:
    lambda_client = aws_client("lambda")
    function = local_service.output("SendNotificationFunctionName")
    config = lambda_client.get_function_configuration(FunctionName=function)
    variables = dict(config["Environment"]["Variables"])
    broken = {
        **variables,
        "CUSTOMER_NOTIFICATION_TOPIC_ARN": variables["CUSTOMER_NOTIFICATION_TOPIC_ARN"] + "-gone",
    }
    lambda_client.update_function_configuration(FunctionName=function, Environment={"Variables": broken})
    try:
        mobile_contract_id = account(slots_held=4)
        application_id = apply(local_service, application(mobile_contract_id))
        result = settled(local_service, application_id, timeout=90)
    finally:
        lambda_client.update_function_configuration(
            FunctionName=function, Environment={"Variables": variables}
        )
    assert result["status"] == "NOTIFICATION_FAILED"
    assert "contractId" not in result and "formedAt" not in result
    assert account_item(local_service, aws_client, mobile_contract_id)["slotsHeld"]["N"] == "4"
    notification = execution_states(local_service, aws_client, "NotificationStateMachineArn", application_id)
    assert notification == ["IssueCredentials", "SendNotification", "NotificationFailed"]
    approval = execution_states(local_service, aws_client, "ApprovalStateMachineArn", application_id)
    assert approval[-1] == "NotContracted"


def test_racing_applications_take_exactly_the_free_slots_in_receive_order(
    local_service: LocalService, aws_client: Callable[[str], Any], account: Callable[..., str]
) -> None:
    # R4: two slots free, ten applications at once (the holder's day allows ten, issue 23).
    mobile_contract_id = account(slots_held=8, has_formed_contract=True)
    ids: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            application_id = apply(local_service, application(mobile_contract_id))
        except BaseException as error:  # a thread's failure must fail the test, not vanish
            with lock:
                errors.append(error)
            return
        with lock:
            ids.append(application_id)

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(ids) == 10
    results = {application_id: settled(local_service, application_id, timeout=180) for application_id in ids}

    dynamodb = aws_client("dynamodb")
    table = local_service.output("ContractsTableName")
    stored = {
        i: dynamodb.get_item(TableName=table, Key={"pk": {"S": f"APP#{i}"}, "sk": {"S": "APP"}})["Item"]
        for i in ids
    }
    failures = [
        item.get("failure") for item in stored.values() if item["status"]["S"] == "NOTIFICATION_FAILED"
    ]
    assert failures == []
    contracted = sorted(i for i, r in results.items() if r["status"] == "CONTRACTED")
    refused = [r for r in results.values() if r["status"] == "REJECTED"]
    assert len(contracted) == 2
    assert len(refused) == 8
    assert {r["reason"] for r in refused} == {"CONTRACT_LIMIT_REACHED"}
    assert account_item(local_service, aws_client, mobile_contract_id)["slotsHeld"]["N"] == "10"

    # R6.1: the two that won are the two received first (the account's receive sequence).
    dynamodb = aws_client("dynamodb")
    table = local_service.output("ContractsTableName")
    sequence = {
        i: int(
            dynamodb.get_item(TableName=table, Key={"pk": {"S": f"APP#{i}"}, "sk": {"S": "APP"}})["Item"][
                "sequence"
            ]["N"]
        )
        for i in ids
    }
    received_first = sorted(ids, key=sequence.__getitem__)[:2]
    assert sorted(received_first) == contracted
    assert sorted(sequence.values()) == list(range(1, 11))


def test_replayed_post_with_the_same_idempotency_key_starts_nothing_new(
    local_service: LocalService, aws_client: Callable[[str], Any], account: Callable[..., str]
) -> None:
    body = application(account())
    key = f"e2e-{uuid.uuid4().hex}"
    first = apply(local_service, body, **{"Idempotency-Key": key})
    second = apply(local_service, body, **{"Idempotency-Key": key})
    assert first == second
    sfn = aws_client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=local_service.output("ApprovalStateMachineArn"))[
        "executions"
    ]
    assert [e["name"] for e in executions].count(first) == 1
    assert settled(local_service, first)["status"] == "CONTRACTED"
