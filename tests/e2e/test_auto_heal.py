"""R6.4 on the deployed stack: a contract whose recording fails for good after its notification
went out (``make fault FUNCTION=record_contract``) is flagged, and the reconciler (invoked here as
its five-minute rule would) records it from the application's formedAt and clears the flag; a
second run changes nothing."""

import json
from collections.abc import Callable
from typing import Any

from local.service import LocalService
from tests.e2e.conftest import eventually
from tests.e2e.test_applications import account_item, application, apply
from tests.e2e.test_fault_injection import Arm, contracts_of, fault  # noqa: F401 - a fixture

#: RecordContract's attempts in the notification workflow (1 + its Retry's MaxAttempts).
RECORD_ATTEMPTS = 9


def item(service: LocalService, aws_client: Callable[[str], Any], pk: str, sk: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (
        aws_client("dynamodb")
        .get_item(
            TableName=service.output("ContractsTableName"),
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return found


def reconcile(service: LocalService, aws_client: Callable[[str], Any]) -> dict[str, Any]:
    answer = aws_client("lambda").invoke(
        FunctionName=service.output("ReconcileContractsFunctionName"),
        Payload=json.dumps({"source": "aws.events", "detail-type": "Scheduled Event"}).encode(),
    )
    assert "FunctionError" not in answer, answer["Payload"].read()
    result: dict[str, Any] = json.loads(answer["Payload"].read())
    return result


def test_a_contract_whose_record_fails_for_good_is_recorded_by_the_reconciler(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    account: Callable[..., str],
    fault: Arm,  # noqa: F811 - the fixture
) -> None:
    mobile_contract_id = account()
    fault("record_contract", RECORD_ATTEMPTS)
    application_id = apply(local_service, application(mobile_contract_id))
    key = (f"APP#{application_id}", "APP")

    # Every attempt fails (retries back off up to 60 s): RecordFailure flags it, keeping the slot.
    flagged = eventually(
        lambda: a if (a := item(local_service, aws_client, *key)) and "attention" in a else None,
        timeout=420,
        interval=1,
    )
    assert flagged["attention"]["S"] == "CONTRACT_NOT_RECORDED"
    assert flagged["status"]["S"] == "APPROVED"
    formed_at = flagged["formedAt"]["S"]
    assert item(local_service, aws_client, "UNRECORDED", f"APP#{application_id}") is not None
    assert contracts_of(local_service, aws_client, mobile_contract_id) == []
    assert account_item(local_service, aws_client, mobile_contract_id)["slotsHeld"]["N"] == "1"

    reconcile(local_service, aws_client)  # as the rule would (it may have fired already)
    healed = item(local_service, aws_client, *key)
    assert healed is not None
    assert healed["status"]["S"] == "CONTRACTED" and "attention" not in healed
    assert item(local_service, aws_client, "UNRECORDED", f"APP#{application_id}") is None
    contract_id = flagged["contractId"]["S"]
    assert contracts_of(local_service, aws_client, mobile_contract_id) == [contract_id]
    contract = item(local_service, aws_client, f"CONTRACT#{contract_id}", "CONTRACT")
    assert contract is not None
    assert contract["formedAt"]["S"] == formed_at  # the send's instant, not the heal's
    assert contract["firstUnderAccount"]["BOOL"] is True  # the account's first (R12)
    assert account_item(local_service, aws_client, mobile_contract_id)["slotsHeld"]["N"] == "1"

    again = reconcile(local_service, aws_client)
    assert again["healed"] == 0 and application_id not in again["setAsideApplications"]
    assert item(local_service, aws_client, f"CONTRACT#{contract_id}", "CONTRACT") == contract
    assert contracts_of(local_service, aws_client, mobile_contract_id) == [contract_id]
