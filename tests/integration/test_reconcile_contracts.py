"""R6.4: a contract whose recording failed for good after its notification went out is recorded
by the scheduled reconciler (functions/reconcile_contracts) from its application's formedAt, with
the workflow's own transaction; its flag and list entry go; one bad record is set aside and
counted, the others are still recorded; a second run changes nothing."""

from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain.clock import iso
from anshin.services import contracts, screening
from anshin.store import applications as store_applications
from anshin.store import contracts as stored_contracts
from anshin.store import db, keys

from tests.integration.conftest import handler_fixture
from tests.integration.test_approval_steps import apply, seed_account, slots

reconciler = handler_fixture("reconcile_contracts")


def table() -> Any:
    return boto3.resource("dynamodb").Table("Contracts")


def unrecorded() -> list[dict[str, Any]]:
    return list(
        table().query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": keys.UNRECORDED_PK}
        )["Items"]
    )


def notified_then_record_failed(device: str = "android-0001", account: str = "MC-0001") -> str:
    """The notification went out (the contract formed), RecordContract failed for good, and the
    workflow's Catch ran RecordFailure."""
    application_id = apply(account, deviceId=device)
    screening.screen(application_id)
    screening.reserve_slot(application_id)
    contracts.issue_credentials(application_id)
    contracts.send_notification(application_id)
    screening.record_failure(application_id, "InjectedFault")
    return application_id


@pytest.mark.usefixtures("aws_env")
class TestReconciler:
    def test_a_flagged_contract_is_recorded_from_its_formation_and_the_flag_goes(
        self, reconciler: Any, lambda_context: object
    ) -> None:
        seed_account()
        with time_machine.travel("2026-11-30T14:59:59.250Z", tick=False):
            application_id = notified_then_record_failed()
        flagged = store_applications.require(application_id)
        assert (flagged["status"], flagged["attention"]) == ("APPROVED", "CONTRACT_NOT_RECORDED")
        assert [e["applicationId"] for e in unrecorded()] == [application_id]

        with time_machine.travel("2026-12-01T03:00:00Z", tick=False):  # healed days later
            result = reconciler.handler({"source": "aws.events"}, lambda_context)
        assert result == {"healed": 1, "alreadyRecorded": 0, "setAside": 0, "setAsideApplications": []}
        application = store_applications.require(application_id)
        assert application["status"] == "CONTRACTED" and "attention" not in application
        # Read as the store parses it: a consistent contract (else InvariantViolation).
        contract = stored_contracts.require(application["contractId"])
        assert iso(contract.formed_at) == "2026-11-30T14:59:59.250Z"  # the send, never the heal
        assert (contract.first_under_account, contract.first_billable_month) == (True, "2027-01")
        record = db.read(keys.contract(application["contractId"]))  # as stored, keys and all
        assert unrecorded() == [] and slots() == 1

        again = reconciler.handler({}, lambda_context)
        assert again["healed"] == 0 and again["setAside"] == 0
        assert stored_contracts.require(application["contractId"]) == contract
        assert db.read(keys.contract(application["contractId"])) == record

    def test_one_bad_record_is_set_aside_and_the_others_are_recorded(
        self, reconciler: Any, lambda_context: object
    ) -> None:
        seed_account()
        good, bad = notified_then_record_failed("android-0001"), notified_then_record_failed("android-0002")
        table().update_item(  # a record no one can trust: its formation is not an instant
            Key=keys.application(bad),
            UpdateExpression="SET formedAt = :x",
            ExpressionAttributeValues={":x": "?"},
        )
        result = reconciler.handler({}, lambda_context)
        assert (result["healed"], result["setAside"], result["setAsideApplications"]) == (1, 1, [bad])
        assert store_applications.require(good)["status"] == "CONTRACTED"
        [entry] = unrecorded()
        assert entry["applicationId"] == bad and entry["attempts"] == 1
        assert entry["lastError"]["errorType"] == "ValueError"
        # Repaired, it heals on the next run.
        table().update_item(
            Key=keys.application(bad),
            UpdateExpression="SET formedAt = :x",
            ExpressionAttributeValues={":x": "2026-11-10T01:00:00.000Z"},
        )
        assert reconciler.handler({}, lambda_context)["healed"] == 1
        assert unrecorded() == []

    def test_a_contract_recorded_since_by_its_device_only_loses_its_flag(
        self, reconciler: Any, lambda_context: object
    ) -> None:
        seed_account()
        application_id = notified_then_record_failed()
        contracts.record_contract(application_id)  # the device registered: same transaction
        assert unrecorded() == [] and "attention" not in store_applications.require(application_id)
        # A stale entry (the flag raced the recording) is cleared without recording anything again.
        table().put_item(Item={**keys.unrecorded_entry(application_id), "applicationId": application_id})
        result = reconciler.handler({}, lambda_context)
        assert (result["healed"], result["alreadyRecorded"]) == (0, 1)
        assert unrecorded() == []

    def test_a_contract_already_recorded_is_never_flagged(self) -> None:
        seed_account()
        application_id = notified_then_record_failed()
        contracts.record_contract(application_id)
        screening.record_failure(application_id, "late")
        assert "attention" not in store_applications.require(application_id) and unrecorded() == []
