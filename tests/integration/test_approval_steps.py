"""The approval and notification workflows' steps against moto, in the order the ASL runs them
(R4, R6.1–R6.4, R12). The deployed workflows themselves are exercised in tests/e2e."""

import json
from typing import Any

import boto3
import pytest
import time_machine
from anshin.adapters import mac
from anshin.domain import errors
from anshin.domain.applications import ApplicationRequest
from anshin.domain.clock import iso, now
from anshin.services import applications, contracts, screening
from anshin.store import accounts, db, keys
from anshin.store import applications as store_applications
from anshin.store import contracts as stored_contracts

from tests.integration.conftest import sent_notifications
from tests.integration.test_applications_api import VALID


def table() -> Any:
    return boto3.resource("dynamodb").Table("Contracts")


def seed_account(mobile_contract_id: str = "MC-0001", **settings: Any) -> None:
    table().put_item(Item=accounts.mirror_item(mobile_contract_id, **settings))


def apply(mobile_contract_id: str = "MC-0001", **device: str) -> str:
    body = json.loads(json.dumps(VALID))
    body["mobileContractId"] = mobile_contract_id
    application_id = applications.new_application_id()
    # One device, one live contract (issue 24): each application names a device of its own
    # unless the test names one.
    body["device"].update({"deviceId": f"dev-{application_id}", **device})
    store_applications.create(application_id, ApplicationRequest.model_validate(body), now())
    return application_id


def status(application_id: str) -> str:
    return str(store_applications.require(application_id)["status"])


def line(mobile_contract_id: str = "MC-0001") -> list[str]:
    items = table().query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :q)",
        ExpressionAttributeValues={":pk": f"ACCOUNT#{mobile_contract_id}", ":q": "QUEUE#"},
    )["Items"]
    return [i["applicationId"] for i in items]


def slots(mobile_contract_id: str = "MC-0001") -> int:
    account = accounts.get(mobile_contract_id)
    assert account is not None
    return account.slots_held


def form_contract(application_id: str) -> dict[str, Any]:
    contracts.issue_credentials(application_id)
    contracts.send_notification(application_id)
    return contracts.record_contract(application_id)


@pytest.mark.usefixtures("aws_env")
class TestScreening:
    def test_eligible_application_proceeds(self) -> None:
        seed_account()
        app_id = apply()
        assert screening.screen(app_id)["outcome"] == "PROCEED"
        assert status(app_id) == "SCREENING"

    @pytest.mark.parametrize(
        ("settings", "violation", "reason"),
        [
            ({"in_arrears": True}, False, "PAYMENT_RISK"),
            ({}, True, "PRIOR_VIOLATION"),
            ({"normal_rate_lines": 0}, False, "NO_ELIGIBLE_RATE_CONTRACT"),
        ],
    )
    def test_refusals_are_recorded_with_their_reason(
        self, settings: dict[str, Any], violation: bool, reason: str
    ) -> None:
        seed_account(**settings)
        if violation:
            table().put_item(Item=accounts.violation_item("MC-0001", "ctr-old"))
        app_id = apply()
        assert screening.screen(app_id) == {"applicationId": app_id, "outcome": "REJECT", "reason": reason}
        stored = store_applications.require(app_id)
        assert (stored["status"], stored["reason"]) == ("REJECTED", reason)
        assert line() == []  # a decided application leaves its account's line

    def test_unknown_account_is_invalid(self) -> None:
        app_id = apply("MC-NOBODY")
        assert screening.screen(app_id)["reason"] == "INVALID_APPLICATION"
        assert status(app_id) == "REJECTED"

    def test_retry_after_refusal_reports_the_same(self) -> None:
        seed_account(in_arrears=True)
        app_id = apply()
        first = screening.screen(app_id)
        assert screening.screen(app_id) == first


@pytest.mark.usefixtures("aws_env")
class TestSlotsR4AndOrderR61:
    def test_earlier_application_goes_first(self) -> None:
        seed_account()
        first, second = apply(), apply()
        assert line() == [first, second]
        screening.screen(first)
        screening.screen(second)
        with pytest.raises(errors.EarlierApplicationsPending):
            screening.reserve_slot(second)
        assert screening.reserve_slot(first)["status"] == "APPROVED"
        assert screening.reserve_slot(second)["status"] == "APPROVED"
        assert slots() == 2
        assert line() == []

    def test_limit_of_ten_refuses_the_later_one(self) -> None:
        seed_account(slots_held=9)
        first, second = apply(), apply()
        for app_id in (first, second):
            screening.screen(app_id)
        assert screening.reserve_slot(first)["status"] == "APPROVED"
        assert screening.reserve_slot(second)["status"] == "REJECTED"
        assert store_applications.require(second)["reason"] == "CONTRACT_LIMIT_REACHED"
        assert slots() == 10
        assert line() == []

    def test_reserving_twice_holds_one_slot(self) -> None:
        seed_account()
        app_id = apply()
        screening.screen(app_id)
        screening.reserve_slot(app_id)
        assert screening.reserve_slot(app_id)["status"] == "APPROVED"
        assert slots() == 1


@pytest.mark.usefixtures("aws_env")
class TestDeferralR62:
    def test_deferred_application_waits_out_of_line_and_staff_refusal_is_other(self) -> None:
        seed_account(defer_review=True)
        app_id = apply()
        assert screening.screen(app_id)["outcome"] == "DEFER"
        screening.defer(app_id, "token-1")
        stored = store_applications.require(app_id)
        assert (stored["status"], stored["taskToken"]) == ("DEFERRED", "token-1")
        assert line() == []
        screening.staff_reject(app_id, "OTHER")
        stored = store_applications.require(app_id)
        assert (stored["status"], stored["reason"]) == ("REJECTED", "OTHER")
        assert "taskToken" not in stored

    def test_staff_approval_reserves_a_slot(self) -> None:
        seed_account(defer_review=True)
        app_id = apply()
        screening.screen(app_id)
        screening.defer(app_id, "token-1")
        assert screening.reserve_slot(app_id)["status"] == "APPROVED"
        assert slots() == 1


@pytest.mark.usefixtures("aws_env")
class TestNotificationR64AndR12:
    @time_machine.travel("2026-11-10T01:00:00Z", tick=False)
    def test_contract_forms_at_the_send_and_first_contract_is_billed_two_months_later(
        self, aws_env: dict[str, str]
    ) -> None:
        seed_account()
        app_id = apply()
        screening.screen(app_id)
        screening.reserve_slot(app_id)
        result = form_contract(app_id)
        assert result["status"] == "CONTRACTED"
        contract = stored_contracts.get(result["contractId"])
        assert contract is not None
        assert iso(contract.formed_at) == "2026-11-10T01:00:00.000Z"
        assert contract.first_under_account is True
        assert contract.first_billable_month == "2027-01"  # R12: 翌々料金月
        assert contract.status == "ACTIVE"
        application = store_applications.require(app_id)
        assert application["status"] == "CONTRACTED"
        assert application["contractId"] == result["contractId"]
        assert "pendingCode" not in application  # the code in clear is gone once sent

        [message] = sent_notifications(aws_env)
        assert message["contractId"] == result["contractId"]
        assert len(message["memberConfirmationCode"]) == 8
        assert message["supportPhoneNumber"]
        assert contract.member_code_mac == mac.code_mac(message["memberConfirmationCode"])  # keyed (KMS)
        stored = db.read(keys.contract(result["contractId"]))  # the item as stored, keys and all
        assert stored is not None
        assert message["memberConfirmationCode"] not in json.dumps(stored, default=str)

    def test_second_contract_is_billed_from_its_month(self) -> None:
        seed_account()
        first, second = apply(), apply(deviceId="android-0002")
        for app_id in (first, second):
            screening.screen(app_id)
            screening.reserve_slot(app_id)
        a = stored_contracts.get(form_contract(first)["contractId"])
        b = stored_contracts.get(form_contract(second)["contractId"])
        assert a is not None and b is not None
        assert (a.first_under_account, b.first_under_account) == (True, False)
        assert accounts.get("MC-0001").has_formed_contract  # type: ignore[union-attr]

    def test_account_that_had_contracts_before_is_not_first(self) -> None:
        seed_account(has_formed_contract=True)
        app_id = apply()
        screening.screen(app_id)
        screening.reserve_slot(app_id)
        contract = stored_contracts.get(form_contract(app_id)["contractId"])
        assert contract is not None and contract.first_under_account is False

    def test_retried_steps_send_once_and_record_once(self, aws_env: dict[str, str]) -> None:
        seed_account()
        app_id = apply()
        screening.screen(app_id)
        screening.reserve_slot(app_id)
        assert contracts.issue_credentials(app_id) == contracts.issue_credentials(app_id)
        formed = contracts.send_notification(app_id)["formedAt"]
        assert contracts.send_notification(app_id)["formedAt"] == formed
        first = contracts.record_contract(app_id)
        again = contracts.record_contract(app_id)
        assert first.pop("recorded") is True and "recorded" not in again  # counted once (metrics)
        assert again == first
        assert len(sent_notifications(aws_env)) == 1

    def test_failed_send_releases_the_slot_and_forms_nothing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        seed_account()
        app_id = apply()
        screening.screen(app_id)
        screening.reserve_slot(app_id)
        contracts.issue_credentials(app_id)
        monkeypatch.setenv("CUSTOMER_NOTIFICATION_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:gone")
        with pytest.raises(Exception, match=r"NotFound|does not exist"):
            contracts.send_notification(app_id)
        assert screening.record_failure(app_id, "SendFailed")["status"] == "NOTIFICATION_FAILED"
        application = store_applications.require(app_id)
        assert "formedAt" not in application and "pendingCode" not in application
        assert slots() == 0
        # Recording the failure again changes nothing (no double release).
        screening.record_failure(app_id, "SendFailed")
        assert slots() == 0

    def test_failure_after_the_send_never_undoes_the_contract(self) -> None:
        seed_account()
        app_id = apply()
        screening.screen(app_id)
        screening.reserve_slot(app_id)
        contracts.issue_credentials(app_id)
        contracts.send_notification(app_id)
        screening.record_failure(app_id, "RecordFailed")
        application = store_applications.require(app_id)
        assert application["status"] == "APPROVED"
        assert application["attention"] == "CONTRACT_NOT_RECORDED"
        assert slots() == 1
        assert contracts.record_contract(app_id)["status"] == "CONTRACTED"

    def test_failure_before_any_slot_keeps_the_count(self) -> None:
        seed_account(slots_held=3)
        app_id = apply()
        screening.screen(app_id)
        assert screening.record_failure(app_id, "Boom")["status"] == "NOTIFICATION_FAILED"
        assert slots() == 3
        assert line() == []
