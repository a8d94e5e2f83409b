"""Credentials that cannot be guessed, replayed or silently replaced (R6.4, R16, Appendix):
the member code's keyed lookup, one refusal for a wrong code or device, attempt limits, device
tokens that expire, rotate, die with the contract or are revoked, and re-registration or a
passphrase change that is audited, told to the subscriber, and holds WIPE back for a while.
Handler tests against moto; time moves with time-machine."""

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain import errors
from anshin.domain.terms import JST
from anshin.services import contract_ends
from anshin.store import applications as stored_applications
from anshin.store import keys

from tests.integration.conftest import (
    STAFF,
    STAFF_MEMBER,
    api_call,
    give_code,
    handler_fixture,
    rest_event,
    sent_notifications,
)
from tests.integration.test_contract_end_and_billing import seed_account, seed_contract

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=JST)
CODE = "24681357"

devices_api = handler_fixture("devices_api")
support_api = handler_fixture("support_api")


@pytest.fixture
def contract_id(aws_env: dict[str, str]) -> str:
    seed_account("MC-1", has_formed_contract=True)
    contract_id = seed_contract("MC-1", datetime(2026, 9, 1, tzinfo=JST), first=False)
    give_code(contract_id, CODE)
    return contract_id


def register(
    api: Any,
    context: object,
    device_id: str,
    code: str = CODE,
    source: str = "198.51.100.7",
    push: str = "fcm",
) -> Any:
    event_body = {
        "memberConfirmationCode": code,
        "deviceId": device_id,
        "model": "Pixel 9",
        "platform": "android",
    }
    event = rest_event("POST", "/devices/registrations", {**event_body, "pushToken": push})
    event["requestContext"]["identity"]["sourceIp"] = source
    response = api.handler(event, context)
    return response["statusCode"], json.loads(response["body"]), response.get("multiValueHeaders") or {}


def device_call(
    api: Any, context: object, method: str, device_id: str, suffix: str, token: str, body: Any = None
) -> Any:
    return api_call(
        api,
        context,
        method,
        f"/devices/{device_id}{suffix}",
        "/devices/{deviceId}" + suffix,
        {"deviceId": device_id},
        body,
        claims=None,
        headers={"Authorization": f"Bearer {token}"},
    )


def staff_call(api: Any, context: object, contract_id: str, device_id: str, suffix: str, body: Any) -> Any:
    return api_call(
        api,
        context,
        "POST",
        f"/contracts/{contract_id}/devices/{device_id}{suffix}",
        "/contracts/{contractId}/devices/{deviceId}" + suffix,
        {"contractId": contract_id, "deviceId": device_id},
        body,
        claims=STAFF,
    )


def table() -> Any:
    return boto3.resource("dynamodb").Table("Contracts")


class TestTheCode:
    def test_its_lookup_key_is_keyed_so_the_table_does_not_give_the_code_away(self, contract_id: str) -> None:
        stored = table().get_item(Key={"pk": f"CONTRACT#{contract_id}", "sk": "CONTRACT"})["Item"]
        unkeyed = hashlib.sha256(CODE.encode()).hexdigest()
        assert unkeyed not in json.dumps(stored, default=str)
        assert stored["gsi2pk"] == f"CODE#{stored['memberCodeMac']}"

    def test_each_code_is_issued_once_so_no_two_contracts_share_one(
        self, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from anshin.services import contracts, screening

        from tests.integration.test_approval_steps import apply
        from tests.integration.test_approval_steps import seed_account as seed_mirror

        seed_mirror("MC-0001")
        # Every application's first draw gives the same code: the second draws again.
        monkeypatch.setattr(
            contracts.mac, "member_code", lambda _for, draw: "00013579" if draw == 1 else "00024680"
        )
        codes = []
        for n in range(2):
            application_id = apply("MC-0001", deviceId=f"dev-{n}")
            screening.screen(application_id)
            screening.reserve_slot(application_id)
            contracts.issue_credentials(application_id)
            application = stored_applications.require(application_id)
            codes.append(contracts.notification_message(application)["memberConfirmationCode"])
        assert codes == ["00013579", "00024680"]

    @time_machine.travel(NOON, tick=False)
    def test_a_wrong_code_and_a_wrong_device_are_one_refusal(
        self, devices_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        wrong_code = register(devices_api, lambda_context, contract_id, code="11111111")
        wrong_device = register(devices_api, lambda_context, "someone-elses-phone")
        assert wrong_code[:2] == wrong_device[:2]
        assert (wrong_code[0], wrong_code[1]["code"]) == (404, "MEMBER_CODE_NOT_FOUND")

    @time_machine.travel(NOON, tick=False)
    def test_attempts_are_limited_per_code_and_per_source(
        self, devices_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        for n in range(5):  # five tries of one code, from five addresses
            assert register(devices_api, lambda_context, "nope", source=f"203.0.113.{n}")[0] == 404
        status, body, headers = register(devices_api, lambda_context, contract_id, source="203.0.113.99")
        assert (status, body["code"]) == (429, "TOO_MANY_ATTEMPTS")
        assert 0 < int(headers["Retry-After"][0]) <= 900
        for n in range(20):  # twenty codes from one address (for as many devices)
            register(devices_api, lambda_context, f"d{n}", code=f"{n:08d}", source="192.0.2.1")
        assert register(devices_api, lambda_context, "d", code="99999999", source="192.0.2.1")[0] == 429
        with time_machine.travel(NOON + timedelta(minutes=15), tick=False):  # the next window
            assert register(devices_api, lambda_context, contract_id, source="203.0.113.99")[0] == 201


class TestDeviceTokens:
    @pytest.fixture
    def token(self, devices_api: Any, lambda_context: object, contract_id: str) -> str:
        with time_machine.travel(NOON, tick=False):
            status, body, _ = register(devices_api, lambda_context, contract_id)
        assert status == 201
        assert body["tokenExpiresAt"] == "2026-12-24T03:00:00.000Z"  # 30 days
        return str(body["deviceToken"])

    def passphrase(self, api: Any, context: object, contract_id: str, token: str, at: datetime) -> int:
        with time_machine.travel(at, tick=False):
            return int(
                device_call(api, context, "PUT", contract_id, "/passphrase", token, {"passphrase": "p-1234"})[
                    0
                ]
            )

    def test_a_token_expires_and_the_app_rotates_it_before(
        self, devices_api: Any, lambda_context: object, contract_id: str, token: str
    ) -> None:
        day_29 = NOON + timedelta(days=29)
        with time_machine.travel(day_29, tick=False):
            status, rotated = device_call(devices_api, lambda_context, "POST", contract_id, "/token", token)
        assert status == 200 and rotated["deviceToken"] != token
        assert self.passphrase(devices_api, lambda_context, contract_id, token, day_29) == 401  # the old one
        assert (
            self.passphrase(devices_api, lambda_context, contract_id, rotated["deviceToken"], day_29) == 204
        )
        day_60 = NOON + timedelta(days=60)
        assert (
            self.passphrase(devices_api, lambda_context, contract_id, rotated["deviceToken"], day_60) == 401
        )

    def test_the_contracts_end_revokes_the_token(
        self, devices_api: Any, lambda_context: object, contract_id: str, token: str
    ) -> None:
        contract_ends.terminate(contract_id, NOON + timedelta(hours=1), "fraud", STAFF_MEMBER)
        status, body = device_call(
            devices_api, lambda_context, "PUT", contract_id, "/passphrase", token, {"passphrase": "p-1234"}
        )
        assert (status, body["code"]) == (401, "DEVICE_NOT_AUTHENTICATED")

    def test_staff_revoke_a_token_audited(
        self, devices_api: Any, support_api: Any, lambda_context: object, contract_id: str, token: str
    ) -> None:
        with time_machine.travel(NOON + timedelta(hours=1), tick=False):
            status, body = staff_call(
                support_api, lambda_context, contract_id, contract_id, "/revocation", {"reason": "phone lost"}
            )
        assert (status, body["revokedAt"]) == (200, "2026-11-24T04:00:00.000Z")
        assert (
            self.passphrase(devices_api, lambda_context, contract_id, token, NOON + timedelta(hours=2)) == 401
        )
        audit = table().query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"AUDIT#{contract_id}"}
        )["Items"]
        # Time first (anshin.store.keys.audit): the registration, then the revocation.
        assert [
            (a["kind"], a["outcome"], a.get("staffId"), a.get("staffName"), a.get("reason")) for a in audit
        ] == [
            ("DEVICE", "DEVICE_REGISTERED", None, None, None),
            ("DEVICE", "DEVICE_TOKEN_REVOKED", "staff-1", "sato.hanako", "phone lost"),
        ]
        revoked = table().get_item(Key=keys.device(contract_id))["Item"]
        assert (revoked["revokedBy"], revoked["revokedByName"]) == ("staff-1", "sato.hanako")
        assert (
            staff_call(
                support_api, lambda_context, contract_id, "not-its-device", "/revocation", {"reason": "x"}
            )[0]
            == 404
        )


class TestCredentialChanges:
    def wipe(self, api: Any, context: object, contract_id: str, action: str, at: datetime) -> Any:
        from anshin.services import verification

        with time_machine.travel(at, tick=False):
            verified = verification.verify(contract_id, "sakura-2026", STAFF_MEMBER, at)
            body = {"action": action, "verificationId": verified["verificationId"]}
            if action == "WIPE":  # the device's id typed back (the seeded device id is the contract's)
                body.update(confirm=contract_id, reason="phone stolen")
            return staff_call(api, context, contract_id, contract_id, "/commands", body)

    def test_registering_again_is_told_audited_and_holds_wipe_back_for_a_day(
        self,
        devices_api: Any,
        support_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
    ) -> None:
        from anshin.services import devices

        with time_machine.travel(NOON, tick=False):
            assert register(devices_api, lambda_context, contract_id)[0] == 201
        devices.set_passphrase(contract_id, contract_id, "sakura-2026", NOON)  # the first: no change
        assert sent_notifications(aws_env) == []
        assert (
            self.wipe(support_api, lambda_context, contract_id, "WIPE", NOON + timedelta(minutes=5))[0] == 202
        )

        again = NOON + timedelta(hours=2)
        with time_machine.travel(again, tick=False):  # another app (another push token)
            assert register(devices_api, lambda_context, contract_id, push="fcm-other-app")[0] == 201
            # Read at the same (travelled) time: moto's SQS keeps a message four days by its clock,
            # so one sent on the 24th read at the real date would be gone once that is four days on.
            [notice] = sent_notifications(aws_env)
        assert (notice["kind"], notice["contractId"], notice["wipeRefusedUntil"]) == (
            "DEVICE_REGISTERED_AGAIN",
            contract_id,
            "2026-11-25T05:00:00.000Z",
        )
        status, body = self.wipe(support_api, lambda_context, contract_id, "WIPE", again + timedelta(hours=1))
        assert (status, body["code"], body["wipeRefusedUntil"]) == (
            409,
            "WIPE_COOLDOWN",
            "2026-11-25T05:00:00.000Z",
        )
        assert (
            self.wipe(support_api, lambda_context, contract_id, "LOCK", again + timedelta(hours=1))[0] == 202
        )
        audit = table().query(
            KeyConditionExpression="pk = :pk",
            FilterExpression="kind = :d AND outcome <> :first",
            ExpressionAttributeValues={
                ":pk": f"AUDIT#{contract_id}",
                ":d": "DEVICE",
                ":first": "DEVICE_REGISTERED",
            },
        )["Items"]
        assert [a["outcome"] for a in audit] == ["DEVICE_REGISTERED_AGAIN"]

    def test_changing_the_passphrase_holds_wipe_back_too(
        self, support_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        from anshin.services import devices

        with time_machine.travel(NOON, tick=False):
            devices.register(CODE, contract_id, "Pixel", "android", "fcm", NOON, "127.0.0.1")
        devices.set_passphrase(contract_id, contract_id, "first-pass", NOON)
        devices.set_passphrase(contract_id, contract_id, "sakura-2026", NOON + timedelta(minutes=1))
        assert [n["kind"] for n in sent_notifications(aws_env)] == ["PASSPHRASE_CHANGED"]
        # A change recorded late (an earlier instant) never shortens the cooldown; it is audited.
        devices.set_passphrase(contract_id, contract_id, "sakura-2026", NOON)
        stored = table().get_item(Key={"pk": f"CONTRACT#{contract_id}", "sk": "CONTRACT"})["Item"]
        assert stored["wipeCooldownUntil"] == "2026-11-25T03:01:00.000Z"
        audit = table().query(
            KeyConditionExpression="pk = :pk",
            FilterExpression="kind = :d AND outcome <> :first",
            ExpressionAttributeValues={
                ":pk": f"AUDIT#{contract_id}",
                ":d": "DEVICE",
                ":first": "DEVICE_REGISTERED",
            },
        )["Items"]
        assert [a["outcome"] for a in audit] == ["PASSPHRASE_CHANGED", "PASSPHRASE_CHANGED"]
        assert self.wipe(support_api, lambda_context, contract_id, "WIPE", NOON + timedelta(hours=23))[1][
            "code"
        ] == ("WIPE_COOLDOWN")
        assert (
            self.wipe(
                support_api, lambda_context, contract_id, "WIPE", NOON + timedelta(hours=24, minutes=2)
            )[0]
            == 202
        )


class TestWhatTheReviewFound:
    """Holes a review of the first version found, each closed."""

    @time_machine.travel(NOON, tick=False)
    def test_a_device_of_a_live_contract_cannot_be_taken_by_another_contracts_code(
        self, devices_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        assert register(devices_api, lambda_context, contract_id)[0] == 201
        # A second contract, applied for with the same device id (a thief holding the phone).
        other = seed_contract("MC-1", datetime(2026, 10, 1, tzinfo=JST), first=False)
        table().update_item(
            Key={"pk": f"CONTRACT#{other}", "sk": "CONTRACT"},
            UpdateExpression="SET device.deviceId = :d",
            ExpressionAttributeValues={":d": contract_id},
        )
        give_code(other, "13572468")
        before = table().get_item(Key={"pk": f"DEVICE#{contract_id}", "sk": "DEVICE"})["Item"]
        status, body, _ = register(devices_api, lambda_context, contract_id, code="13572468")
        assert (status, body["code"]) == (404, "MEMBER_CODE_NOT_FOUND")
        assert table().get_item(Key={"pk": f"DEVICE#{contract_id}", "sk": "DEVICE"})["Item"] == before
        contract_ends.terminate(contract_id, NOON, "ended", STAFF_MEMBER)  # once the first contract ended
        assert register(devices_api, lambda_context, contract_id, code="13572468")[0] == 201

    @time_machine.travel(NOON, tick=False)
    def test_registering_again_with_the_same_push_token_is_a_credential_change_too(
        self, devices_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        # Issue 24: a repeat with an unchanged push token used to pass as "no change" and rewrite
        # the device without an audit entry. Each one replaces the token: it is audited and told.
        for _ in range(7):
            assert register(devices_api, lambda_context, contract_id)[0] == 201
        assert [n["kind"] for n in sent_notifications(aws_env)] == ["DEVICE_REGISTERED_AGAIN"] * 6
        stored = table().get_item(Key={"pk": f"CONTRACT#{contract_id}", "sk": "CONTRACT"})["Item"]
        assert stored["wipeCooldownUntil"] == "2026-11-25T03:00:00.000Z"
        audit = table().query(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"AUDIT#{contract_id}"}
        )["Items"]
        # All at one instant: their order within it is the entries' unique suffix.
        assert sorted(a["outcome"] for a in audit) == ["DEVICE_REGISTERED"] + ["DEVICE_REGISTERED_AGAIN"] * 6

    def test_while_forming_another_device_gets_the_unknown_code_answer(
        self, devices_api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:
        from anshin.services import contracts, screening

        from tests.integration.test_approval_steps import apply
        from tests.integration.test_approval_steps import seed_account as seed_mirror

        seed_mirror("MC-0001")
        application_id = apply("MC-0001", deviceId="dev-right")
        screening.screen(application_id)
        screening.reserve_slot(application_id)
        contracts.issue_credentials(application_id)
        code = contracts.notification_message(stored_applications.require(application_id))[
            "memberConfirmationCode"
        ]
        with time_machine.travel(NOON, tick=False):
            assert register(devices_api, lambda_context, "dev-wrong", code=code)[:2] == (
                404,
                {
                    "code": "MEMBER_CODE_NOT_FOUND",
                    "message": "No contract has this member confirmation code for this device.",
                },
            )
            assert (
                register(devices_api, lambda_context, "dev-right", code=code)[1]["code"] == "CONTRACT_FORMING"
            )

    def test_a_token_dies_when_its_contracts_end_has_passed(
        self, devices_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            token = register(devices_api, lambda_context, contract_id)[1]["deviceToken"]
        contract_ends.cancel(contract_id, NOON, NOON)  # ends 2026-11-30 23:59:59.999 JST
        body = {"passphrase": "p-1234"}
        with time_machine.travel(datetime(2026, 11, 30, 23, 0, tzinfo=JST), tick=False):
            assert (
                device_call(devices_api, lambda_context, "PUT", contract_id, "/passphrase", token, body)[0]
                == 204
            )
        with time_machine.travel(datetime(2026, 12, 1, 0, 1, tzinfo=JST), tick=False):  # before month end ran
            assert (
                device_call(devices_api, lambda_context, "PUT", contract_id, "/passphrase", token, body)[0]
                == 401
            )

    def test_rotating_a_token_that_was_just_replaced_is_401_not_500(
        self, devices_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        from anshin.services import devices

        with time_machine.travel(NOON, tick=False):
            token = register(devices_api, lambda_context, contract_id)[1]["deviceToken"]
            device = devices.authenticate(contract_id, token, NOON)
            assert device is not None
            devices.rotate_token(device, NOON)  # another rotation won
            with pytest.raises(errors.TokenRefused):
                devices.rotate_token(device, NOON)

    def test_a_late_account_loss_ends_a_contract_with_a_later_notice_r11(self, contract_id: str) -> None:
        contract_ends.cancel(
            contract_id, datetime(2026, 11, 10, tzinfo=JST), datetime(2026, 11, 10, tzinfo=JST)
        )
        moved = contract_ends.apply_account_event(
            "MobileContractEnded",
            {"mobileContractId": "MC-1"},
            datetime(2026, 10, 20, tzinfo=JST),
            datetime(2026, 11, 12, tzinfo=JST),
        )
        assert moved["contractsEnding"] == [contract_id]
        stored = table().get_item(Key={"pk": f"CONTRACT#{contract_id}", "sk": "CONTRACT"})["Item"]
        assert (stored["status"], stored["endedAt"], stored["endReason"]) == (
            "ENDED",
            "2026-10-31T14:59:59.999Z",
            "ACCOUNT_LOSS",
        )
