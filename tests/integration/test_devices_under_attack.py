"""Credentials and devices under attack (issue 24), against moto through the handlers' events:
one device, one live contract; member-code guesses bounded per device id; every registration
after the first audited, a revocation that survives it, LOCKs that keep reaching the phone the
device had before the first change of the cooldown; the registering platform matching the
contract's; staff reissuing a code; no member code stored in clear."""

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from anshin.adapters import mac
from anshin.domain import commands as command_rules
from anshin.domain.clock import iso
from anshin.domain.terms import JST
from anshin.services import contract_ends, contracts, screening
from anshin.store import applications as stored_applications
from anshin.store import devices as stored_devices
from anshin.store import keys

from tests.integration.conftest import (
    STAFF,
    STAFF_MEMBER,
    api_call,
    give_code,
    handler_fixture,
    sent_notifications,
)
from tests.integration.test_approval_steps import apply, form_contract
from tests.integration.test_approval_steps import seed_account as seed_mirror
from tests.integration.test_contract_end_and_billing import seed_account, seed_contract
from tests.integration.test_credentials import CODE, NOON, register

devices_api = handler_fixture("devices_api")
support_api = handler_fixture("support_api")
contracts_api = handler_fixture("contracts_api")


def table() -> Any:
    return boto3.resource("dynamodb").Table("Contracts")


@pytest.fixture
def contract_id(aws_env: dict[str, str]) -> str:
    seed_account("MC-1", has_formed_contract=True)
    contract_id = seed_contract("MC-1", datetime(2026, 9, 1, tzinfo=JST), first=False)
    give_code(contract_id, CODE)
    return contract_id


def audit_outcomes(contract_id: str) -> list[str]:
    items = table().query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"AUDIT#{contract_id}"}
    )["Items"]
    return [str(item["outcome"]) for item in items]


def staff_post(api: Any, context: object, path: str, template: str, params: Any, body: Any) -> Any:
    return api_call(api, context, "POST", path, template, params, body, claims=STAFF)


def reissue(api: Any, context: object, contract_id: str) -> Any:
    return staff_post(
        api,
        context,
        f"/contracts/{contract_id}/member-code",
        "/contracts/{contractId}/member-code",
        {"contractId": contract_id},
        {"reason": "device revoked, subscriber has a new phone"},
    )


@pytest.mark.usefixtures("aws_env")
class TestOneDeviceOneLiveContract:
    """Finding 1: someone with the victim's IMEI took a contract naming it and registered first."""

    def approved(self, device_id: str, account: str = "MC-0001") -> tuple[str, dict[str, Any]]:
        application_id = apply(account, deviceId=device_id)
        screening.screen(application_id)
        return application_id, screening.reserve_slot(application_id)

    def test_an_application_for_a_device_a_live_contract_protects_is_refused_with_its_reason(self) -> None:
        seed_mirror("MC-0001")
        seed_mirror("MC-0002")
        first, answer = self.approved("imei-1")
        assert answer["status"] == "APPROVED"
        form_contract(first)
        for account in ("MC-0002", "MC-0001"):  # another account's, or the holder's own again
            refused, answer = self.approved("imei-1", account)
            assert answer["status"] == "REJECTED"
            stored = stored_applications.require(refused)
            assert (stored["status"], stored["reason"]) == ("REJECTED", "DEVICE_ALREADY_PROTECTED")
        # Once the contract has ended, the device may be protected again.
        contract_id = str(stored_applications.require(first)["contractId"])
        contract_ends.terminate(contract_id, datetime.now(JST), "ended", STAFF_MEMBER)
        _, answer = self.approved("imei-1", "MC-0002")
        assert answer["status"] == "APPROVED"

    def test_an_approved_application_holds_the_device_until_it_fails(self) -> None:
        seed_mirror("MC-0001")
        seed_mirror("MC-0002")
        first, answer = self.approved("imei-2")
        assert answer["status"] == "APPROVED"  # its notification on its way: the device is spoken for
        assert self.approved("imei-2", "MC-0002")[1]["status"] == "REJECTED"
        screening.record_failure(first, "SendFailed")  # no contract formed (R6.4)
        assert self.approved("imei-2", "MC-0002")[1]["status"] == "APPROVED"

    def test_a_full_account_is_refused_for_r4_whatever_the_device(self) -> None:
        seed_mirror("MC-0001")
        seed_mirror("MC-FULL", slots_held=10)
        first, _ = self.approved("imei-5")
        form_contract(first)
        refused, _answer = self.approved("imei-5", "MC-FULL")
        assert stored_applications.require(refused)["reason"] == "CONTRACT_LIMIT_REACHED"

    def test_of_two_applications_screened_together_only_one_is_approved(self) -> None:
        seed_mirror("MC-0001")
        seed_mirror("MC-0002")
        a, b = apply("MC-0001", deviceId="imei-3"), apply("MC-0002", deviceId="imei-3")
        screening.screen(a)
        screening.screen(b)
        outcomes = {screening.reserve_slot(a)["status"], screening.reserve_slot(b)["status"]}
        assert outcomes == {"APPROVED", "REJECTED"}

    def test_a_device_registered_to_a_contract_formed_before_holders_existed_is_held(
        self, devices_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            assert register(devices_api, lambda_context, contract_id)[0] == 201
        seed_mirror("MC-0002")
        application_id, _ = self.approved(contract_id, "MC-0002")  # the seeded device id
        assert stored_applications.require(application_id)["reason"] == "DEVICE_ALREADY_PROTECTED"

    def test_staff_find_which_contract_holds_a_device(
        self, contracts_api: Any, lambda_context: object
    ) -> None:
        seed_mirror("MC-0001")
        first, _ = self.approved("imei-4")
        form_contract(first)
        contract_id = stored_applications.require(first)["contractId"]
        status, answer = staff_post(
            contracts_api,
            lambda_context,
            "/contract-searches",
            "/contract-searches",
            None,
            {"deviceId": "imei-4"},
        )
        assert status == 200
        assert [item["contractId"] for item in answer["items"]] == [contract_id]
        status, answer = staff_post(
            contracts_api,
            lambda_context,
            "/contract-searches",
            "/contract-searches",
            None,
            {"deviceId": "nope"},
        )
        assert (status, answer["items"]) == (200, [])


class TestGuessingACodeForOneDevice:
    """Finding 2 and 11: failures counted per device id, the right code refused while locked."""

    def test_five_wrong_codes_for_one_device_lock_it_out_even_for_the_right_code_and_tell_the_subscriber(
        self, devices_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            for n in range(5):  # a new code from a new address each time: only the device id is fixed
                status, body, _ = register(
                    devices_api, lambda_context, contract_id, code=f"{n:08d}", source=f"203.0.113.{n}"
                )
                assert (status, body["code"]) == (404, "MEMBER_CODE_NOT_FOUND")
            status, body, headers = register(devices_api, lambda_context, contract_id, source="198.51.100.1")
            assert (status, body["code"]) == (429, "TOO_MANY_ATTEMPTS")
            assert 0 < int(headers["Retry-After"][0]) <= 3600
            [told] = sent_notifications(aws_env)
        assert (told["kind"], told["contractId"], told["lockedUntil"]) == (
            "REGISTRATION_LOCKED_OUT",
            contract_id,
            "2026-11-24T04:00:00.000Z",
        )
        assert audit_outcomes(contract_id) == ["REGISTRATION_LOCKED_OUT"]
        assert table().get_item(Key=keys.device(contract_id)).get("Item") is None  # nothing registered
        with time_machine.travel(NOON + timedelta(hours=1), tick=False):  # the next window
            assert register(devices_api, lambda_context, contract_id)[0] == 201


class TestRegisteringAgain:
    """Findings 3 and 10: every registration after the first is audited; LOCKs keep reaching the
    phone the device had before the first change; a revocation survives a registration."""

    def test_locks_reach_the_first_phone_through_the_cooldown_however_many_registrations_follow(
        self, devices_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        for n, push in enumerate(("fcm-subscriber", "fcm-thief-1", "fcm-thief-2", "fcm-thief-2")):
            with time_machine.travel(NOON + timedelta(minutes=n), tick=False):
                assert register(devices_api, lambda_context, contract_id, push=push)[0] == 201
            if n == 0:
                registered = stored_devices.get(contract_id)
                assert registered is not None
                first_endpoint = registered.endpoint_arn
        device = stored_devices.get(contract_id)
        assert device is not None
        assert device.previous_endpoint_arn == first_endpoint
        assert device.previous_endpoint_until is not None
        assert iso(device.previous_endpoint_until) == "2026-11-25T03:03:00.000Z"  # the last change's day
        lock = {"action": "LOCK"}
        targets = command_rules.push_targets(lock, device, NOON + timedelta(hours=23))  # type: ignore[arg-type]
        assert targets == [device.endpoint_arn, first_endpoint]
        assert audit_outcomes(contract_id) == ["DEVICE_REGISTERED"] + ["DEVICE_REGISTERED_AGAIN"] * 3

    def test_a_revoked_device_stays_revoked_until_staff_reissue_the_code(
        self,
        devices_api: Any,
        support_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            assert register(devices_api, lambda_context, contract_id)[0] == 201
        with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
            status, _ = staff_post(
                support_api,
                lambda_context,
                f"/contracts/{contract_id}/devices/{contract_id}/revocation",
                "/contracts/{contractId}/devices/{deviceId}/revocation",
                {"contractId": contract_id, "deviceId": contract_id},
                {"reason": "phone stolen"},
            )
            assert status == 200
        with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
            status, body, _ = register(devices_api, lambda_context, contract_id)  # the same push token
            assert (status, body["code"]) == (403, "DEVICE_REVOKED")
            status, body = reissue(support_api, lambda_context, contract_id)
            assert (status, body["sentTo"]) == (200, "HOLDER_CONTACT")
            assert "memberConfirmationCode" not in json.dumps(body)  # never shown to staff
            [sent] = [n for n in sent_notifications(aws_env) if n["kind"] == "MEMBER_CODE_REISSUED"]
        new_code = sent["memberConfirmationCode"]
        assert new_code != CODE and sent["email"]
        with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
            status, body, _ = register(devices_api, lambda_context, contract_id)  # the old code is dead
            assert (status, body["code"]) == (404, "MEMBER_CODE_NOT_FOUND")
            assert register(devices_api, lambda_context, contract_id, code=new_code)[0] == 201
        assert audit_outcomes(contract_id) == [
            "DEVICE_REGISTERED",
            "DEVICE_TOKEN_REVOKED",
            "MEMBER_CODE_REISSUED",
            "DEVICE_REGISTERED_AGAIN",
        ]
        device = stored_devices.get(contract_id)
        assert device is not None and device.revoked_at is None

    def test_staff_cannot_reissue_the_code_of_an_ended_contract(
        self, support_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        contract_ends.terminate(contract_id, NOON, "ended", STAFF_MEMBER)
        with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
            status, body = reissue(support_api, lambda_context, contract_id)
        assert (status, body["code"]) == (409, "CONTRACT_ENDED")


class TestThePlatform:
    """Finding 12: an iOS contract's code does not register an Android app."""

    def test_an_android_app_cannot_register_on_an_ios_contract(
        self, devices_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        table().update_item(
            Key=keys.contract(contract_id),
            UpdateExpression="SET device.platform = :ios",
            ExpressionAttributeValues={":ios": "ios"},
        )
        with time_machine.travel(NOON, tick=False):
            status, body, _ = register(devices_api, lambda_context, contract_id)
        assert (status, body["code"]) == (422, "DEVICE_PLATFORM_MISMATCH")
        assert table().get_item(Key=keys.device(contract_id)).get("Item") is None


@pytest.mark.usefixtures("aws_env")
class TestNoCodeInClear:
    """Finding 11: the member code is derived again for the notification, never stored."""

    def test_no_item_holds_the_code_before_or_after_recording(self) -> None:
        seed_mirror("MC-0001")
        application_id = apply("MC-0001")
        screening.screen(application_id)
        screening.reserve_slot(application_id)
        contracts.issue_credentials(application_id)
        application = stored_applications.require(application_id)
        code = contracts.notification_message(application)["memberConfirmationCode"]
        assert len(code) == 8 and code.isdigit()
        assert application["codeMac"] == mac.code_mac(code)  # what is kept: the keyed digest

        def everything() -> str:
            return json.dumps(table().scan()["Items"], default=str)

        assert code not in everything()
        contracts.send_notification(application_id)
        contracts.record_contract(application_id)
        assert code not in everything()
