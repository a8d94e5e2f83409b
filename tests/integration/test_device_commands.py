"""Remote lock, wipe and backup (Appendix, R16) against moto: the staff command API, the relay
subscribed to the device-command topic, the delivery follow-up and the device's result report.
Time moves with time-machine; nothing sleeps."""

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain.terms import JST
from anshin.services import devices
from anshin.store import commands, keys
from anshin.store import devices as stored_devices

from tests.integration.conftest import (
    STAFF,
    STAFF_MEMBER,
    api_call,
    give_code,
    handler_fixture,
    load_handler,
    member_claims,
    pushed,
)
from tests.integration.test_contract_end_and_billing import seed_account, seed_contract
from tests.integration.test_devices_and_support import verify

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=JST)


support_api = handler_fixture("support_api")
devices_api = handler_fixture("devices_api")
relay_fn = handler_fixture("command_relay")
follow_up_fn = handler_fixture("command_follow_up")


@pytest.fixture
def device(aws_env: dict[str, str]) -> dict[str, str]:
    """An active contract whose Android device registered the app and set the passphrase."""
    seed_account("MC-1", has_formed_contract=True)
    contract_id = seed_contract("MC-1", datetime(2026, 9, 1, tzinfo=JST), first=False)
    give_code(contract_id, "12345678")
    registered = devices.register(
        "12345678", contract_id, "Pixel 9", "android", "fcm-secret", NOON, "127.0.0.1"
    )
    devices.set_passphrase(contract_id, contract_id, "sakura-2026", NOON)
    device = stored_devices.get(contract_id)
    assert device is not None
    return {
        "contractId": contract_id,
        "deviceId": contract_id,
        "token": registered["deviceToken"],
        "endpointArn": str(device.endpoint_arn),
    }


def request(
    api: Any, context: object, device: dict[str, str], body: dict[str, Any], contract_id: str | None = None
) -> tuple[int, Any]:
    contract_id = contract_id or device["contractId"]
    return api_call(
        api,
        context,
        "POST",
        f"/contracts/{contract_id}/devices/{device['deviceId']}/commands",
        "/contracts/{contractId}/devices/{deviceId}/commands",
        {"contractId": contract_id, "deviceId": device["deviceId"]},
        body,
    )


def get_command(api: Any, context: object, command_id: str) -> tuple[int, Any]:
    return api_call(
        api, context, "GET", f"/commands/{command_id}", "/commands/{commandId}", {"commandId": command_id}
    )


def report(
    api: Any,
    context: object,
    device: dict[str, str],
    command_id: str,
    body: dict[str, Any],
    token: str | None = None,
) -> tuple[int, Any]:
    return api_call(
        api,
        context,
        "POST",
        f"/devices/{device['deviceId']}/commands/{command_id}/result",
        "/devices/{deviceId}/commands/{commandId}/result",
        {"deviceId": device["deviceId"], "commandId": command_id},
        body,
        claims=None,
        headers={"Authorization": f"Bearer {token or device['token']}"},
    )


def verified(api: Any, context: object, device: dict[str, str]) -> str:
    status, body = verify(api, context, device["contractId"], "sakura-2026")
    assert status == 201, body
    return str(body["verificationId"])


def sns_event(command_id: str, attempt: int, message_id: str = "m-1") -> dict[str, Any]:
    """The event SNS invokes the relay with."""
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:device-commands:sub",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": "2026-11-24T03:00:00.000Z",
                    "Signature": "x",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/cert.pem",
                    "MessageId": message_id,
                    "Message": json.dumps({"commandId": command_id, "attempt": attempt}),
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/unsubscribe",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:device-commands",
                    "Subject": None,
                },
            }
        ]
    }


class TestRequest:
    def test_lock_is_accepted_pending_and_published_once(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            verification_id = verified(support_api, lambda_context, device)
            status, body = request(
                support_api, lambda_context, device, {"action": "LOCK", "verificationId": verification_id}
            )
            assert (status, body["status"], body["created"]) == (202, "PENDING", True)
            status, shown = get_command(support_api, lambda_context, body["commandId"])
        assert status == 200
        assert shown["action"] == "LOCK" and shown["attempts"] == 0
        assert shown["requestedBy"] == "staff-1"
        assert shown["expiresAt"] == "2026-11-27T03:00:00.000Z"  # 72 hours (the stack setting)
        audit = (
            boto3.resource("dynamodb")
            .Table("Contracts")
            .query(
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": f"AUDIT#{device['contractId']}"},
            )["Items"]
        )
        assert "COMMAND_LOCK_REQUESTED" in [a["outcome"] for a in audit]

    def test_an_identical_command_in_flight_answers_the_same_command(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            verification_id = verified(support_api, lambda_context, device)
            lock = {"action": "LOCK", "verificationId": verification_id}
            first = request(support_api, lambda_context, device, lock)[1]
        with time_machine.travel(NOON + timedelta(seconds=30), tick=False):
            again = request(support_api, lambda_context, device, {**lock, "reason": "caller asked again"})[1]
            backup = request(support_api, lambda_context, device, {"action": "BACKUP"})[1]
        assert again["commandId"] == first["commandId"] and again["created"] is False
        assert backup["commandId"] != first["commandId"]  # another action is another command
        # Joined, not ignored: who asked again and why is audited.
        audit = (
            boto3.resource("dynamodb")
            .Table("Contracts")
            .query(
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": f"AUDIT#{device['contractId']}"},
            )["Items"]
        )
        joined = [a for a in audit if a["outcome"] == "COMMAND_LOCK_REQUESTED_AGAIN"]
        assert [(a["staffId"], a["reason"], a["commandId"]) for a in joined] == [
            ("staff-1", "caller asked again", first["commandId"])
        ]

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            ({"action": "LOCK"}, 403, "IDENTITY_NOT_VERIFIED"),
            ({"action": "WIPE"}, 403, "IDENTITY_NOT_VERIFIED"),
            ({"action": "LOCK", "verificationId": "ver-" + "0" * 32}, 403, "IDENTITY_NOT_VERIFIED"),
            ({"action": "WIPE", "verificationId": "VERIFIED"}, 422, "WIPE_NOT_CONFIRMED"),
            ({"action": "WIPE", "verificationId": "VERIFIED", "confirm": "yes"}, 422, "WIPE_NOT_CONFIRMED"),
            ({"action": "REBOOT"}, 400, "VALIDATION_ERROR"),
        ],
    )
    def test_refusals(
        self,
        support_api: Any,
        lambda_context: object,
        device: dict[str, str],
        body: dict[str, Any],
        status: int,
        code: str,
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            if body.get("verificationId") == "VERIFIED":
                body = {**body, "verificationId": verified(support_api, lambda_context, device)}
            answer = request(support_api, lambda_context, device, body)
        assert (answer[0], answer[1]["code"]) == (status, code)

    def test_verification_expires_after_ten_minutes_and_belongs_to_one_contract(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        other_id = seed_contract("MC-1", datetime(2026, 9, 2, tzinfo=JST), first=False)
        devices.set_passphrase(other_id, other_id, "other-pass", NOON)
        with time_machine.travel(NOON, tick=False):
            verification_id = verified(support_api, lambda_context, device)
            other = verify(support_api, lambda_context, other_id, "other-pass")[1]["verificationId"]
            wrong_contract = request(
                support_api, lambda_context, device, {"action": "LOCK", "verificationId": other}
            )
        assert wrong_contract[1]["code"] == "IDENTITY_NOT_VERIFIED"
        with time_machine.travel(NOON + timedelta(minutes=10, seconds=1), tick=False):
            late = request(
                support_api, lambda_context, device, {"action": "LOCK", "verificationId": verification_id}
            )
        assert late[1]["code"] == "IDENTITY_NOT_VERIFIED"

    def test_unsupported_devices_and_ended_contracts(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        from anshin.services import contract_ends

        unregistered = seed_contract("MC-1", datetime(2026, 9, 3, tzinfo=JST), first=False)
        with time_machine.travel(NOON, tick=False):
            status, body = request(
                support_api,
                lambda_context,
                {"contractId": unregistered, "deviceId": unregistered},
                {"action": "BACKUP"},
            )
            assert (status, body["code"]) == (422, "UNSUPPORTED_DEVICE")  # app not registered
            status, body = request(
                support_api, lambda_context, {**device, "deviceId": "someone-elses"}, {"action": "BACKUP"}
            )
            assert (status, body["code"]) == (422, "UNSUPPORTED_DEVICE")
            boto3.resource("dynamodb").Table("Contracts").update_item(
                Key={"pk": f"CONTRACT#{unregistered}", "sk": "CONTRACT"},
                UpdateExpression="SET device.platform = :ios",
                ExpressionAttributeValues={":ios": "ios"},
            )
            assert (
                request(
                    support_api,
                    lambda_context,
                    {"contractId": unregistered, "deviceId": unregistered},
                    {"action": "BACKUP"},
                )[1]["code"]
                == "UNSUPPORTED_DEVICE"
            )
            contract_ends.terminate(device["contractId"], NOON, "r", STAFF_MEMBER)
            status, body = request(support_api, lambda_context, device, {"action": "BACKUP"})
            assert (status, body["code"]) == (409, "CONTRACT_ENDED")
            status, body = request(
                support_api, lambda_context, device, {"action": "BACKUP"}, contract_id="ctr-ffffffff"
            )
            assert (status, body["code"]) == (404, "CONTRACT_NOT_FOUND")

    def test_staff_only_and_checked_before_the_body(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        path = f"/contracts/{device['contractId']}/devices/{device['deviceId']}/commands"
        resource = "/contracts/{contractId}/devices/{deviceId}/commands"
        params = {"contractId": device["contractId"], "deviceId": device["deviceId"]}
        for body in ({"action": "BACKUP"}, {"action": "REBOOT"}, "not json"):
            anonymous = api_call(
                support_api, lambda_context, "POST", path, resource, params, body, claims=None
            )
            not_staff = api_call(
                support_api, lambda_context, "POST", path, resource, params, body, claims={"sub": "x"}
            )
            assert (anonymous[0], anonymous[1]["code"]) == (401, "UNAUTHENTICATED")
            assert (not_staff[0], not_staff[1]["code"]) == (403, "FORBIDDEN")


class TestRelayAndDelivery:
    def test_relay_pushes_once_per_attempt_and_starts_one_delivery_workflow(
        self,
        support_api: Any,
        relay_fn: Any,
        lambda_context: object,
        device: dict[str, str],
        aws_env: dict[str, str],
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            command_id = request(support_api, lambda_context, device, {"action": "BACKUP"})[1]["commandId"]
            assert relay_fn.handler(sns_event(command_id, 1, "m-1"), lambda_context) == {"PUSHED": 1}
            # SNS delivers the same message again, and the same attempt under another message id.
            assert relay_fn.handler(sns_event(command_id, 1, "m-1"), lambda_context) == {"DUPLICATE": 1}
            assert relay_fn.handler(sns_event(command_id, 1, "m-2"), lambda_context) == {"DUPLICATE": 1}
        messages = pushed(device["endpointArn"])
        assert len(messages) == 1
        assert messages[0]["commandId"] == command_id and messages[0]["action"] == "BACKUP"
        assert messages[0]["uploadUrl"].startswith("https://") and "backups/" in messages[0]["uploadFields"]
        executions = boto3.client("stepfunctions").list_executions(
            stateMachineArn=aws_env["COMMAND_DELIVERY_STATE_MACHINE_ARN"]
        )["executions"]
        assert [e["name"] for e in executions] == [command_id]
        command = commands.get(command_id)
        assert command is not None
        assert (command["status"], command["attempts"], command["sentAt"]) == (
            "SENT",
            1,
            "2026-11-24T03:00:00.000Z",
        )

    def test_after_the_app_was_registered_again_a_lock_also_reaches_the_app_before(
        self, support_api: Any, relay_fn: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        """During the cooldown, a LOCK goes to both apps (the new one may be a taker's); a BACKUP
        only to the current one; after the cooldown, a LOCK only to the current one too."""
        again = NOON + timedelta(minutes=30)
        devices.register("12345678", device["deviceId"], "Pixel 9", "android", "fcm-other", again, "10.0.0.9")
        stored = stored_devices.get(device["deviceId"])
        assert stored is not None
        current = str(stored.endpoint_arn)
        assert current != device["endpointArn"]
        with time_machine.travel(again + timedelta(minutes=5), tick=False):
            verification_id = verify(support_api, lambda_context, device["contractId"], "sakura-2026")[1][
                "verificationId"
            ]
            lock = request(
                support_api, lambda_context, device, {"action": "LOCK", "verificationId": verification_id}
            )
            assert relay_fn.handler(sns_event(lock[1]["commandId"], 1), lambda_context) == {"PUSHED": 1}
            backup = request(support_api, lambda_context, device, {"action": "BACKUP"})
            relay_fn.handler(sns_event(backup[1]["commandId"], 1), lambda_context)
        assert [m["action"] for m in pushed(current)] == ["LOCK", "BACKUP"]
        assert [m["action"] for m in pushed(device["endpointArn"])] == ["LOCK"]
        later = again + timedelta(hours=73)  # past the cooldown and the first lock's expiry
        with time_machine.travel(later, tick=False):
            verification_id = verify(support_api, lambda_context, device["contractId"], "sakura-2026")[1][
                "verificationId"
            ]
            late = request(
                support_api, lambda_context, device, {"action": "LOCK", "verificationId": verification_id}
            )
            assert late[0] == 202, late
            assert relay_fn.handler(sns_event(late[1]["commandId"], 1), lambda_context) == {"PUSHED": 1}, late
        assert [m["action"] for m in pushed(device["endpointArn"])] == ["LOCK"]  # nothing more
        assert [m["action"] for m in pushed(current)] == ["LOCK", "BACKUP", "LOCK"]

    @pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "EXPIRED"])
    def test_a_finished_or_unknown_command_is_never_pushed(
        self, relay_fn: Any, lambda_context: object, device: dict[str, str], final: str
    ) -> None:
        boto3.resource("dynamodb").Table("Contracts").put_item(
            Item={
                **keys.command("cmd-done"),
                "commandId": "cmd-done",
                "deviceId": device["deviceId"],
                "status": final,
            }
        )
        assert relay_fn.handler(sns_event("cmd-done", 1), lambda_context) == {"FINISHED": 1}
        assert relay_fn.handler(sns_event("cmd-missing", 1), lambda_context) == {"FINISHED": 1}
        assert commands.get("cmd-done")["status"] == final  # type: ignore[index]
        assert commands.get("cmd-missing") is None
        assert pushed(device["endpointArn"]) == []

    def test_an_unanswered_command_is_re_sent_with_backoff_then_expires(
        self,
        support_api: Any,
        relay_fn: Any,
        follow_up_fn: Any,
        lambda_context: object,
        device: dict[str, str],
        aws_env: dict[str, str],
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            verification_id = verified(support_api, lambda_context, device)
            command_id = request(
                support_api, lambda_context, device, {"action": "LOCK", "verificationId": verification_id}
            )[1]["commandId"]
            relay_fn.handler(sns_event(command_id, 1), lambda_context)
        # The workflow's first wait is the base (60 s); each follow-up re-sends and doubles it.
        execution = boto3.client("stepfunctions").list_executions(
            stateMachineArn=aws_env["COMMAND_DELIVERY_STATE_MACHINE_ARN"]
        )["executions"][0]
        first = json.loads(
            boto3.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])["input"]
        )
        # The staff request's id (the REST event's requestId) travels with the command.
        assert first == {"commandId": command_id, "attempt": 1, "waitSeconds": 60, "correlationId": "req-1"}
        at, attempt, waits = NOON + timedelta(seconds=60), 1, [60]
        while True:
            with time_machine.travel(at, tick=False):
                step = follow_up_fn.handler({"commandId": command_id, "attempt": attempt}, lambda_context)
                assert step["correlationId"] == "req-1"
                if step["next"] == "DONE":
                    break
                relay_fn.handler(
                    sns_event(command_id, step["attempt"], f"m-{step['attempt']}"), lambda_context
                )
            attempt, at = step["attempt"], at + timedelta(seconds=step["waitSeconds"])
            waits.append(step["waitSeconds"])
        assert waits[:8] == [60, 120, 240, 480, 960, 1920, 3600, 3600]  # doubling, capped at an hour
        assert sum(waits) <= 72 * 3600 + 1 and at >= NOON + timedelta(hours=72)
        assert step["status"] == "EXPIRED"
        command = commands.get(command_id)
        assert command is not None and command["status"] == "EXPIRED"
        assert command["attempts"] == len(waits) == len(pushed(device["endpointArn"]))
        # Once expired, the same command may be asked for again: a new one.
        with time_machine.travel(at, tick=False):
            fresh = verified(support_api, lambda_context, device)
            again = request(support_api, lambda_context, device, {"action": "LOCK", "verificationId": fresh})[
                1
            ]
        assert again["created"] is True and again["commandId"] != command_id

    def test_a_follow_up_after_the_result_ends_the_delivery(
        self,
        support_api: Any,
        devices_api: Any,
        relay_fn: Any,
        follow_up_fn: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            command_id = request(support_api, lambda_context, device, {"action": "BACKUP"})[1]["commandId"]
            relay_fn.handler(sns_event(command_id, 1), lambda_context)
            assert (
                report(
                    devices_api,
                    lambda_context,
                    device,
                    command_id,
                    {"status": "FAILED", "failureReason": "LOW_STORAGE"},
                )[0]
                == 200
            )
        with time_machine.travel(NOON + timedelta(seconds=60), tick=False):
            step = follow_up_fn.handler({"commandId": command_id, "attempt": 1}, lambda_context)
        assert (step["next"], step["status"]) == ("DONE", "FAILED")
        assert len(pushed(device["endpointArn"])) == 1

    def test_an_expired_command_is_shown_expired_even_if_its_workflow_never_came_back(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            command_id = request(support_api, lambda_context, device, {"action": "BACKUP"})[1]["commandId"]
        with time_machine.travel(NOON + timedelta(hours=72), tick=False):
            assert get_command(support_api, lambda_context, command_id)[1]["status"] == "EXPIRED"

    def test_a_disabled_endpoint_is_an_unreachable_device(
        self, support_api: Any, relay_fn: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns.models import sns_backends

        sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].platform_endpoints[device["endpointArn"]].attributes[
            "Enabled"
        ] = False
        with time_machine.travel(NOON, tick=False):
            command_id = request(support_api, lambda_context, device, {"action": "BACKUP"})[1]["commandId"]
            assert relay_fn.handler(sns_event(command_id, 1), lambda_context) == {"UNREACHABLE": 1}
        command = commands.get(command_id)
        assert command is not None and (command["status"], command["attempts"]) == ("SENT", 1)


class TestResult:
    def lock(self, support_api: Any, relay_fn: Any, context: object, device: dict[str, str]) -> str:
        verification_id = verified(support_api, context, device)
        command_id = str(
            request(support_api, context, device, {"action": "LOCK", "verificationId": verification_id})[1][
                "commandId"
            ]
        )
        relay_fn.handler(sns_event(command_id, 1), context)
        return command_id

    def test_success_with_location_is_recorded_and_idempotent(
        self,
        support_api: Any,
        devices_api: Any,
        relay_fn: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        result = {"status": "SUCCEEDED", "location": {"latitude": 35.6812, "longitude": 139.7671}}
        with time_machine.travel(NOON, tick=False):
            command_id = self.lock(support_api, relay_fn, lambda_context, device)
            status, body = report(devices_api, lambda_context, device, command_id, result)
            assert (status, body) == (
                200,
                {"commandId": command_id, "status": "SUCCEEDED", "locationStored": True},
            )
            assert report(devices_api, lambda_context, device, command_id, result)[0] == 200  # retried report
            conflict = report(devices_api, lambda_context, device, command_id, {"status": "FAILED"})
            shown = get_command(support_api, lambda_context, command_id)[1]
        assert conflict[0] == 409 and conflict[1]["code"] == "COMMAND_SUCCEEDED"
        assert shown["status"] == "SUCCEEDED" and shown["finishedAt"] == "2026-11-24T03:00:00.000Z"
        assert shown["location"] == {"latitude": 35.6812, "longitude": 139.7671}

    def test_a_finished_command_is_counted_once_as_a_business_metric(
        self,
        support_api: Any,
        devices_api: Any,
        relay_fn: Any,
        lambda_context: object,
        device: dict[str, str],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            command_id = self.lock(support_api, relay_fn, lambda_context, device)
            capsys.readouterr()
            for _ in range(2):  # the device retries its report: counted once
                report(devices_api, lambda_context, device, command_id, {"status": "SUCCEEDED"})
        emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
        finished = [m for m in emf if "CommandsFinished" in m]
        assert len(finished) == 1
        assert (finished[0]["Action"], finished[0]["Status"], finished[0]["CommandsFinished"]) == (
            "LOCK",
            "SUCCEEDED",
            [1.0],
        )
        assert {"Action", "Status"} <= set(finished[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0])

    def test_location_is_dropped_when_the_subscriber_opted_out_r16(
        self,
        support_api: Any,
        devices_api: Any,
        relay_fn: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        boto3.resource("dynamodb").Table("Contracts").update_item(
            Key={"pk": f"CONTRACT#{device['contractId']}", "sk": "CONTRACT"},
            UpdateExpression="SET locationOptOut = :t",
            ExpressionAttributeValues={":t": True},
        )
        with time_machine.travel(NOON, tick=False):
            command_id = self.lock(support_api, relay_fn, lambda_context, device)
            status, body = report(
                devices_api,
                lambda_context,
                device,
                command_id,
                {"status": "SUCCEEDED", "location": {"latitude": 35.6812, "longitude": 139.7671}},
            )
        assert status == 200 and body["locationStored"] is False
        stored = commands.get(command_id)
        assert stored is not None and "location" not in stored
        assert "139.7671" not in json.dumps(stored, default=str)

    def test_only_the_device_itself_may_report(
        self,
        support_api: Any,
        devices_api: Any,
        relay_fn: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            command_id = self.lock(support_api, relay_fn, lambda_context, device)
            wrong_token = report(
                devices_api, lambda_context, device, command_id, {"status": "SUCCEEDED"}, token="x"
            )
            unknown = report(devices_api, lambda_context, device, "cmd-" + "0" * 32, {"status": "SUCCEEDED"})
        assert (wrong_token[0], wrong_token[1]["code"]) == (401, "DEVICE_NOT_AUTHENTICATED")
        assert (unknown[0], unknown[1]["code"]) == (404, "COMMAND_NOT_FOUND")

    def test_a_result_after_expiry_is_refused(
        self,
        support_api: Any,
        devices_api: Any,
        relay_fn: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            command_id = self.lock(support_api, relay_fn, lambda_context, device)
        with time_machine.travel(NOON + timedelta(hours=72), tick=False):
            status, body = report(devices_api, lambda_context, device, command_id, {"status": "SUCCEEDED"})
        assert (status, body["code"]) == (409, "COMMAND_EXPIRED")

    def test_backup_needs_the_upload_through_the_command_url(
        self,
        support_api: Any,
        devices_api: Any,
        relay_fn: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            command_id = request(support_api, lambda_context, device, {"action": "BACKUP"})[1]["commandId"]
            relay_fn.handler(sns_event(command_id, 1), lambda_context)
            missing = report(devices_api, lambda_context, device, command_id, {"status": "SUCCEEDED"})
            assert (missing[0], missing[1]["code"]) == (409, "BACKUP_NOT_UPLOADED")
            # The device POSTs its backup with the presigned form (moto intercepts the HTTP call).
            import requests

            form = pushed(device["endpointArn"])[0]
            fields = json.loads(form["uploadFields"])
            sent = requests.post(form["uploadUrl"], data=fields, files={"file": b"settings"}, timeout=10)
            assert sent.status_code in (200, 204)
            status, _ = report(devices_api, lambda_context, device, command_id, {"status": "SUCCEEDED"})
            shown = get_command(support_api, lambda_context, command_id)[1]
        assert status == 200
        assert shown["backup"]["key"] == f"backups/{device['contractId']}/{command_id}.bin"
        assert shown["backup"]["size"] == len(b"settings")


def test_a_body_that_is_not_json_is_415_on_every_api(aws_env: dict[str, str], lambda_context: object) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for name, method, path, resource, params, claims in (
        ("applications_api", "POST", "/applications", "/applications", None, member_claims("MC-0001")),
        ("devices_api", "POST", "/devices/registrations", "/devices/registrations", None, None),
        ("support_api", "POST", "/support-sessions", "/support-sessions", None, STAFF),
        (
            "contracts_api",
            "POST",
            "/contracts/ctr-1/cancellation",
            "/contracts/{contractId}/cancellation",
            {"contractId": "ctr-1"},
            STAFF,
        ),
    ):
        api = load_handler(name)
        status, body = api_call(
            api, lambda_context, method, path, resource, params, "a=1", claims=claims, headers=form
        )
        assert (status, body["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE"), name
