"""Devices, passphrases, identity verification and support sessions against moto
(R7, R14, R16, Appendix). Time moves with time-machine; nothing sleeps."""

import json
from datetime import datetime
from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain.terms import JST
from anshin.store import keys

from tests.integration.conftest import STAFF, STAFF_MEMBER, api_call, give_code, handler_fixture
from tests.integration.test_contract_end_and_billing import seed_account, seed_contract

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=JST)


call = api_call


devices_api = handler_fixture("devices_api")
support_api = handler_fixture("support_api")


@pytest.fixture
def contract_id(aws_env: dict[str, str]) -> str:
    seed_account("MC-1", has_formed_contract=True)
    # seed_contract uses the contract id as the device id and as the member confirmation code.
    return seed_contract("MC-1", datetime(2026, 9, 1, tzinfo=JST), first=False)


def registration(contract_id: str, **overrides: str) -> dict[str, str]:
    body = {
        "memberConfirmationCode": "00000000",
        "deviceId": contract_id,
        "model": "Pixel 9",
        "platform": "android",
        "pushToken": "fcm-token-secret",
    }
    body.update(overrides)
    return body


@pytest.fixture
def coded_contract(contract_id: str) -> str:
    """The contract, with the member code 12345678 (as the notification sent it)."""
    give_code(contract_id, "12345678")
    return contract_id


def register(api: Any, context: object, contract_id: str, **overrides: str) -> tuple[int, Any]:
    body = registration(contract_id, **{"memberConfirmationCode": "12345678", **overrides})
    return call(
        api, context, "POST", "/devices/registrations", "/devices/registrations", None, body, claims=None
    )


class TestRegistrationAndPassphraseR16:
    def test_register_then_set_the_passphrase_with_the_device_token(
        self, devices_api: Any, lambda_context: object, coded_contract: str
    ) -> None:
        status, body = register(devices_api, lambda_context, coded_contract)
        assert status == 201
        token = body["deviceToken"]
        stored = (
            boto3.resource("dynamodb")
            .Table("Contracts")
            .get_item(Key={"pk": f"DEVICE#{coded_contract}", "sk": "DEVICE"})["Item"]
        )
        assert token not in json.dumps(stored, default=str)  # only its digest is kept
        path, resource = f"/devices/{coded_contract}/passphrase", "/devices/{deviceId}/passphrase"
        params = {"deviceId": coded_contract}
        assert (
            call(
                devices_api,
                lambda_context,
                "PUT",
                path,
                resource,
                params,
                {"passphrase": "sakura-2026"},
                claims=None,
            )[0]
            == 401
        )
        assert (
            call(
                devices_api,
                lambda_context,
                "PUT",
                path,
                resource,
                params,
                {"passphrase": "sakura-2026"},
                claims=None,
                headers={"Authorization": "Bearer wrong"},
            )[0]
            == 401
        )
        status, _ = call(
            devices_api,
            lambda_context,
            "PUT",
            path,
            resource,
            params,
            {"passphrase": "sakura-2026"},
            claims=None,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert status == 204, _
        contract = (
            boto3.resource("dynamodb")
            .Table("Contracts")
            .get_item(Key={"pk": f"CONTRACT#{coded_contract}", "sk": "CONTRACT"})["Item"]
        )
        assert contract["passphraseHash"].startswith("$argon2id$")  # salted, slow (R16)
        assert "sakura-2026" not in json.dumps(contract, default=str)

    def test_refusals(self, devices_api: Any, lambda_context: object, coded_contract: str) -> None:
        assert register(devices_api, lambda_context, coded_contract, memberConfirmationCode="99999999")[1][
            "code"
        ] == ("MEMBER_CODE_NOT_FOUND")
        assert (
            register(devices_api, lambda_context, coded_contract, platform="ios")[1]["code"]
            == "UNSUPPORTED_DEVICE"
        )
        # A known code with another device is the very same refusal as an unknown code.
        unknown = register(devices_api, lambda_context, coded_contract, memberConfirmationCode="99999999")
        other_device = register(devices_api, lambda_context, coded_contract, deviceId="another-device")
        assert other_device == unknown
        status, body = call(
            devices_api,
            lambda_context,
            "POST",
            "/devices/registrations",
            "/devices/registrations",
            None,
            {"memberConfirmationCode": "12345678", "model": "m", "platform": "android", "pushToken": "t"},
            claims=None,
        )
        assert status == 400 and "deviceId" in [e["field"] for e in body["errors"]]  # R16

    def test_ended_contract_is_409(
        self, devices_api: Any, lambda_context: object, coded_contract: str
    ) -> None:
        from anshin.services import contract_ends

        contract_ends.terminate(coded_contract, NOON, "r", STAFF_MEMBER)
        assert register(devices_api, lambda_context, coded_contract)[1]["code"] == "CONTRACT_ENDED"


def verify(
    api: Any, context: object, contract_id: str, passphrase: str, claims: dict[str, str] | None = STAFF
) -> tuple[int, Any]:
    return call(
        api,
        context,
        "POST",
        f"/contracts/{contract_id}/verifications",
        "/contracts/{contractId}/verifications",
        {"contractId": contract_id},
        {"passphrase": passphrase},
        claims=claims,
    )


class TestVerification:
    @pytest.fixture
    def with_passphrase(self, contract_id: str) -> str:
        from anshin.services import devices

        devices.set_passphrase(contract_id, contract_id, "sakura-2026", NOON)
        return contract_id

    def test_success_gives_a_verification_valid_for_ten_minutes(
        self, support_api: Any, lambda_context: object, with_passphrase: str
    ) -> None:
        from anshin.services import verification

        with time_machine.travel(NOON, tick=False):
            status, body = verify(support_api, lambda_context, with_passphrase, "sakura-2026")
        assert status == 201
        assert body["expiresAt"] == "2026-11-24T03:10:00.000Z"
        staff_id = STAFF["sub"]
        assert verification.valid_verification(
            body["verificationId"], with_passphrase, staff_id, datetime(2026, 11, 24, 12, 9, tzinfo=JST)
        )
        assert not verification.valid_verification(
            body["verificationId"], with_passphrase, staff_id, datetime(2026, 11, 24, 12, 10, tzinfo=JST)
        )
        assert not verification.valid_verification(body["verificationId"], "ctr-other", staff_id, NOON)
        # Only the staff member who heard the passphrase may use it: not a colleague on another call.
        assert not verification.valid_verification(body["verificationId"], with_passphrase, "staff-2", NOON)

    def test_a_lockout_ends_the_verification_in_force(
        self, support_api: Any, lambda_context: object, with_passphrase: str
    ) -> None:
        """Five wrong passphrases after a success: lock and wipe stop too, whatever the console
        or a client kept of the earlier verification (R16, Appendix)."""
        from anshin.services import verification

        with time_machine.travel(NOON, tick=False):
            verified = verify(support_api, lambda_context, with_passphrase, "sakura-2026")[1]
            for _ in range(5):
                assert verify(support_api, lambda_context, with_passphrase, "wrong")[0] == 401
            assert not verification.valid_verification(
                verified["verificationId"], with_passphrase, STAFF["sub"], NOON
            )
            assert verification.state(with_passphrase, NOON, STAFF_MEMBER)["state"] == "LOCKED_OUT"

    def test_five_failures_lock_for_thirty_minutes_and_every_attempt_is_audited(
        self, support_api: Any, lambda_context: object, with_passphrase: str
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            for _ in range(5):
                status, body = verify(support_api, lambda_context, with_passphrase, "wrong")
                assert (status, body["code"]) == (401, "IDENTITY_NOT_VERIFIED")
            status, body = verify(support_api, lambda_context, with_passphrase, "sakura-2026")
            assert (status, body["code"]) == (423, "VERIFICATION_LOCKED")
        with time_machine.travel(datetime(2026, 11, 24, 12, 29, tzinfo=JST), tick=False):
            assert verify(support_api, lambda_context, with_passphrase, "sakura-2026")[0] == 423
        with time_machine.travel(datetime(2026, 11, 24, 12, 31, tzinfo=JST), tick=False):
            assert verify(support_api, lambda_context, with_passphrase, "sakura-2026")[0] == 201
        audit = (
            boto3.resource("dynamodb")
            .Table("Contracts")
            .query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": f"AUDIT#{with_passphrase}"},
            )["Items"]
        )
        outcomes = sorted(a["outcome"] for a in audit)
        assert outcomes == sorted(["FAILED"] * 4 + ["FAILED_AND_LOCKED", "LOCKED", "LOCKED", "VERIFIED"])
        assert all(a["staffId"] == "staff-1" for a in audit)
        assert "sakura" not in json.dumps(audit, default=str) and "wrong" not in json.dumps(
            audit, default=str
        )

    def test_a_success_resets_the_count(
        self, support_api: Any, lambda_context: object, with_passphrase: str
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            for _ in range(4):
                verify(support_api, lambda_context, with_passphrase, "wrong")
            assert verify(support_api, lambda_context, with_passphrase, "sakura-2026")[0] == 201
            for _ in range(4):
                assert verify(support_api, lambda_context, with_passphrase, "wrong")[0] == 401

    def test_refusals(self, support_api: Any, lambda_context: object, contract_id: str) -> None:
        assert verify(support_api, lambda_context, contract_id, "x", claims=None)[0] == 401
        assert verify(support_api, lambda_context, contract_id, "x")[1]["code"] == "PASSPHRASE_NOT_REGISTERED"
        assert verify(support_api, lambda_context, "ctr-ffff", "x")[1]["code"] == "CONTRACT_NOT_FOUND"


def open_session(api: Any, context: object, contract_id: str, channel: str, category: str) -> tuple[int, Any]:
    return call(
        api,
        context,
        "POST",
        "/support-sessions",
        "/support-sessions",
        None,
        {"contractId": contract_id, "channel": channel, "category": category},
    )


class TestSupportSessionsR7R14:
    def test_open_and_close(self, support_api: Any, lambda_context: object, contract_id: str) -> None:
        with time_machine.travel(NOON, tick=False):
            status, body = open_session(support_api, lambda_context, contract_id, "REMOTE", "SETTINGS")
            assert (status, body["status"]) == (201, "OPEN")
            session_id = body["sessionId"]
            path, resource = f"/support-sessions/{session_id}", "/support-sessions/{sessionId}"
            status, closed = call(
                support_api,
                lambda_context,
                "PATCH",
                path,
                resource,
                {"sessionId": session_id},
                {"outcome": "RESOLVED"},
            )
            assert (status, closed["status"], closed["outcome"]) == (200, "CLOSED", "RESOLVED")
            again = call(
                support_api,
                lambda_context,
                "PATCH",
                path,
                resource,
                {"sessionId": session_id},
                {"outcome": "RESOLVED"},
            )
            assert (again[0], again[1]["code"]) == (409, "SESSION_NOT_OPEN")

    @pytest.mark.parametrize(
        ("at", "open_"),
        [
            ((2026, 11, 24, 8, 59), False),
            ((2026, 11, 24, 9, 0), True),
            ((2026, 11, 24, 20, 59), True),
            ((2026, 11, 24, 21, 0), False),
        ],
    )
    def test_support_hours_r7(
        self, support_api: Any, lambda_context: object, contract_id: str, at: tuple[int, ...], open_: bool
    ) -> None:
        with time_machine.travel(datetime(*at, tzinfo=JST), tick=False):
            status, body = open_session(support_api, lambda_context, contract_id, "PHONE", "SETTINGS")
        assert (status == 201) is open_
        if not open_:
            assert (status, body["code"]) == (422, "OUTSIDE_SUPPORT_HOURS")

    @pytest.mark.parametrize(
        "category",
        [
            "CARD_OR_BANK_ENTRY",
            "RIGHTS_INFRINGEMENT",
            "UNLAWFUL_REQUEST",
            "THIRD_PARTY_CONSENT_MISSING",
            "NO_COOPERATION",
        ],
    )
    def test_r14_exclusions_are_refused_and_recorded(
        self, support_api: Any, lambda_context: object, contract_id: str, category: str
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            status, body = open_session(support_api, lambda_context, contract_id, "PHONE", category)
        assert (status, body["code"]) == (422, category)
        record = (
            boto3.resource("dynamodb")
            .Table("Sessions")
            .get_item(Key={"pk": f"SUPPORT#{body['sessionId']}", "sk": "SESSION"})["Item"]
        )
        assert (record["status"], record["refusal"]) == ("REFUSED", category)

    def test_remote_support_is_android_only(
        self, support_api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:

        seed_account("MC-2", has_formed_contract=True)
        ios = seed_contract("MC-2", datetime(2026, 9, 1, tzinfo=JST), first=False)
        boto3.resource("dynamodb").Table("Contracts").update_item(
            Key=keys.contract(ios),
            UpdateExpression="SET device.platform = :p",
            ExpressionAttributeValues={":p": "ios"},
        )
        with time_machine.travel(NOON, tick=False):
            assert (
                open_session(support_api, lambda_context, ios, "REMOTE", "SETTINGS")[1]["code"]
                == "UNSUPPORTED_DEVICE"
            )
            assert open_session(support_api, lambda_context, ios, "PHONE", "SETTINGS")[0] == 201

    def test_unknown_category_is_400_and_anonymous_is_401(
        self, support_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        assert open_session(support_api, lambda_context, contract_id, "PHONE", "ASTROLOGY")[0] == 400
        status, _ = call(
            support_api,
            lambda_context,
            "POST",
            "/support-sessions",
            "/support-sessions",
            None,
            {"contractId": contract_id, "channel": "PHONE", "category": "SETTINGS"},
            claims=None,
        )
        assert status == 401
