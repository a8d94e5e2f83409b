# ruff: noqa: F811
"""Staff cancel a device command; the history of a device's commands; a command's delivery
progress (attempts, lastAttemptAt, nextAttemptAt) and reason (issue 16, Appendix), against moto.
Time moves with time-machine; nothing sleeps."""

from datetime import timedelta
from typing import Any

import boto3
import pytest
import time_machine
from anshin.store import commands

from tests.integration.conftest import STAFF, api_call, handler_fixture, pushed
from tests.integration.test_device_commands import (
    NOON,
    device,  # noqa: F401 - the fixture
    get_command,
    report,
    request,
    sns_event,
    verified,
)

support_api = handler_fixture("support_api")
devices_api = handler_fixture("devices_api")
relay_fn = handler_fixture("command_relay")
follow_up_fn = handler_fixture("command_follow_up")


def staff_get(
    api: Any,
    context: object,
    path: str,
    resource: str,
    params: dict[str, str],
    query: dict[str, str] | None = None,
    claims: dict[str, str] | None = STAFF,
) -> tuple[int, Any]:
    return api_call(api, context, "GET", path, resource, params, claims=claims, query=query)


def staff_post(
    api: Any,
    context: object,
    path: str,
    resource: str,
    params: dict[str, str],
    body: Any,
    claims: Any = STAFF,
) -> tuple[int, Any]:
    return api_call(api, context, "POST", path, resource, params, body=body, claims=claims)


def cancel(
    api: Any, context: object, command_id: str, reason: Any = "caller found the phone", **kw: Any
) -> Any:
    body = {"reason": reason} if reason is not None else {}
    return staff_post(
        api,
        context,
        f"/commands/{command_id}/cancellation",
        "/commands/{commandId}/cancellation",
        {"commandId": command_id},
        body,
        **kw,
    )


def history(api: Any, context: object, device: dict[str, str], query: Any = None, **kw: Any) -> Any:
    return staff_get(
        api,
        context,
        f"/contracts/{device['contractId']}/devices/{device['deviceId']}/commands",
        "/contracts/{contractId}/devices/{deviceId}/commands",
        {"contractId": device["contractId"], "deviceId": device["deviceId"]},
        query,
        **kw,
    )


def lock(api: Any, context: object, device: dict[str, str], **extra: Any) -> str:
    body = {"action": "LOCK", "verificationId": verified(api, context, device), **extra}
    status, answer = request(api, context, device, body)
    assert status == 202, answer
    return str(answer["commandId"])


def audit_of(contract_id: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb").Table("Contracts")
    page = table.query(
        KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": f"AUDIT#{contract_id}"}
    )
    return list(page["Items"])


class TestCancellation:
    def test_an_offline_devices_command_retries_then_is_cancelled_and_never_pushed_again(
        self,
        support_api: Any,
        devices_api: Any,
        relay_fn: Any,
        follow_up_fn: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            command_id = lock(support_api, lambda_context, device, reason="lost on the train")
            assert relay_fn.handler(sns_event(command_id, 1, "m-1"), lambda_context) == {"PUSHED": 1}
            shown = get_command(support_api, lambda_context, command_id)[1]
        # Attempt 1 at noon; the workflow looks again after the base wait (60 s).
        assert (shown["status"], shown["attempts"], shown["reason"]) == ("SENT", 1, "lost on the train")
        assert shown["lastAttemptAt"] == "2026-11-24T03:00:00.000Z"
        assert shown["nextAttemptAt"] == "2026-11-24T03:01:00.000Z"
        later = NOON + timedelta(seconds=60)
        with time_machine.travel(later, tick=False):  # the device did not answer: re-sent
            step = follow_up_fn.handler({"commandId": command_id, "attempt": 1}, lambda_context)
            assert (step["next"], step["attempt"], step["waitSeconds"]) == ("RESEND", 2, 120)
            assert relay_fn.handler(sns_event(command_id, 2, "m-2"), lambda_context) == {"PUSHED": 1}
            shown = get_command(support_api, lambda_context, command_id)[1]
        assert (shown["attempts"], shown["nextAttemptAt"]) == (2, "2026-11-24T03:03:00.000Z")
        assert len(pushed(device["endpointArn"])) == 2

        cancelled_at = later + timedelta(seconds=30)
        with time_machine.travel(cancelled_at, tick=False):
            status, view = cancel(support_api, lambda_context, command_id)
        assert status == 200, view
        assert view["status"] == "CANCELLED" and "nextAttemptAt" not in view
        assert (view["cancelledAt"], view["cancelledBy"], view["cancelReason"]) == (
            "2026-11-24T03:01:30.000Z",
            "staff-1",
            "caller found the phone",
        )
        assert view["finishedAt"] == view["cancelledAt"] and view["reason"] == "lost on the train"

        # The workflow's next look ends it cleanly (not a failure) and publishes nothing; a
        # delivery of the next attempt that was already on its way is not pushed.
        with time_machine.travel(NOON + timedelta(seconds=180), tick=False):
            step = follow_up_fn.handler({"commandId": command_id, "attempt": 2}, lambda_context)
            assert (step["next"], step["status"]) == ("DONE", "CANCELLED")
            assert relay_fn.handler(sns_event(command_id, 3, "m-3"), lambda_context) == {"FINISHED": 1}
        assert len(pushed(device["endpointArn"])) == 2  # not pushed again
        stored = commands.get(command_id)
        assert stored is not None and stored["attempts"] == 2

        # A push already on its way when staff cancelled: the device ran it and reports. It is
        # told the command is over, and the record keeps what it did (never "only cancelled").
        with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
            status, body = report(devices_api, lambda_context, device, command_id, {"status": "SUCCEEDED"})
            assert (status, body["code"]) == (409, "COMMAND_CANCELLED")
            again = report(devices_api, lambda_context, device, command_id, {"status": "SUCCEEDED"})
            assert again[0] == 409
        late = commands.get(command_id)
        assert late is not None and late["status"] == "CANCELLED"
        assert late["ranAfterCancel"] == {"status": "SUCCEEDED", "reportedAt": "2026-11-24T03:05:00.000Z"}
        ran_after = [a for a in audit_of(device["contractId"]) if a["outcome"].endswith("_AFTER_CANCEL")]
        assert [a["outcome"] for a in ran_after] == ["COMMAND_SUCCEEDED_AFTER_CANCEL"]  # once

        # The in-flight marker is released: the same action may be asked for again, a new command.
        with time_machine.travel(NOON + timedelta(minutes=6), tick=False):
            fresh = lock(support_api, lambda_context, device)
        assert fresh != command_id

        outcomes = [
            (a["outcome"], a.get("attempt"), a.get("staffId")) for a in audit_of(device["contractId"])
        ]
        assert ("COMMAND_LOCK_REQUESTED", None, "staff-1") in outcomes
        assert ("COMMAND_ATTEMPTED", 1, None) in outcomes and ("COMMAND_ATTEMPTED", 2, None) in outcomes
        cancelled = [a for a in audit_of(device["contractId"]) if a["outcome"] == "COMMAND_CANCELLED"]
        assert [(a["staffId"], a["reason"], a["commandId"]) for a in cancelled] == [
            ("staff-1", "caller found the phone", command_id)
        ]

    def test_cancelling_twice_answers_the_same_view(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            command_id = request(support_api, lambda_context, device, {"action": "BACKUP"})[1]["commandId"]
            first = cancel(support_api, lambda_context, command_id)
        with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
            again = cancel(support_api, lambda_context, command_id, reason="another reason")
        assert first == again and again[0] == 200 and again[1]["status"] == "CANCELLED"
        assert [a["outcome"] for a in audit_of(device["contractId"])].count("COMMAND_CANCELLED") == 1

    def test_a_finished_command_is_refused_and_an_unknown_one_is_404(
        self,
        support_api: Any,
        devices_api: Any,
        relay_fn: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            command_id = lock(support_api, lambda_context, device)
            relay_fn.handler(sns_event(command_id, 1), lambda_context)
            assert report(devices_api, lambda_context, device, command_id, {"status": "SUCCEEDED"})[0] == 200
            status, body = cancel(support_api, lambda_context, command_id)
            assert (status, body["code"], body["commandStatus"]) == (409, "COMMAND_FINISHED", "SUCCEEDED")
            status, body = cancel(support_api, lambda_context, "cmd-" + "0" * 32)
            assert (status, body["code"]) == (404, "COMMAND_NOT_FOUND")
            assert (
                cancel(support_api, lambda_context, command_id, reason=None)[1]["code"] == "VALIDATION_ERROR"
            )
            assert cancel(support_api, lambda_context, command_id, reason="x" * 501)[0] == 400
        # One past its expiry that nothing noticed is expired, then refused.
        with time_machine.travel(NOON, tick=False):
            backup = request(support_api, lambda_context, device, {"action": "BACKUP"})[1]["commandId"]
        with time_machine.travel(NOON + timedelta(hours=73), tick=False):
            status, body = cancel(support_api, lambda_context, backup)
        assert (status, body["code"], body["commandStatus"]) == (409, "COMMAND_FINISHED", "EXPIRED")

    def test_staff_only(self, support_api: Any, lambda_context: object, device: dict[str, str]) -> None:
        command_id = "cmd-" + "0" * 32
        assert cancel(support_api, lambda_context, command_id, claims=None)[1]["code"] == "UNAUTHENTICATED"
        status, body = cancel(support_api, lambda_context, command_id, claims={"sub": "x"})
        assert (status, body["code"]) == (403, "FORBIDDEN")
        assert history(support_api, lambda_context, device, claims=None)[0] == 401
        assert history(support_api, lambda_context, device, claims={"sub": "x"})[0] == 403


class TestWipeReasonAndConfirmation:
    def test_a_wipe_needs_the_device_id_typed_back_and_a_reason(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        with time_machine.travel(NOON + timedelta(days=2), tick=False):  # past the credential cooldown
            base = {"action": "WIPE", "verificationId": verified(support_api, lambda_context, device)}
            refused = request(support_api, lambda_context, device, {**base, "confirm": "WIPE", "reason": "r"})
            assert (refused[0], refused[1]["code"]) == (422, "WIPE_NOT_CONFIRMED")
            missing = request(support_api, lambda_context, device, {**base, "confirm": device["deviceId"]})
            assert (missing[0], missing[1]["code"]) == (400, "REASON_REQUIRED")
            too_long = {**base, "confirm": device["deviceId"], "reason": "x" * 501}
            assert request(support_api, lambda_context, device, too_long)[0] == 400
            status, body = request(
                support_api,
                lambda_context,
                device,
                {**base, "confirm": device["deviceId"], "reason": "stolen"},
            )
            assert status == 202, body
            shown = get_command(support_api, lambda_context, body["commandId"])[1]
        assert (shown["action"], shown["reason"]) == ("WIPE", "stolen")
        [requested] = [a for a in audit_of(device["contractId"]) if a["outcome"] == "COMMAND_WIPE_REQUESTED"]
        assert (requested["reason"], requested["staffId"], requested["deviceId"]) == (
            "stolen",
            "staff-1",
            device["deviceId"],
        )


class TestHistory:
    def test_newest_first_paged_with_a_validated_cursor(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        made = []
        for minute in range(5):
            with time_machine.travel(NOON + timedelta(minutes=minute), tick=False):
                command_id = request(support_api, lambda_context, device, {"action": "BACKUP"})[1][
                    "commandId"
                ]
                made.append(command_id)
                assert cancel(support_api, lambda_context, command_id)[0] == 200  # frees the marker
        with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
            status, first = history(support_api, lambda_context, device, {"limit": "2"})
            assert status == 200, first
            assert [c["commandId"] for c in first["items"]] == made[::-1][:2]
            assert first["items"][0]["status"] == "CANCELLED" and first["nextCursor"]
            seen = [c["commandId"] for c in first["items"]]
            cursor = first["nextCursor"]
            while cursor:
                status, page = history(support_api, lambda_context, device, {"limit": "2", "cursor": cursor})
                assert status == 200, page
                seen += [c["commandId"] for c in page["items"]]
                cursor = page["nextCursor"]
            assert seen == made[::-1]
            whole = history(support_api, lambda_context, device)[1]  # default limit 20
            assert [c["commandId"] for c in whole["items"]] == made[::-1] and whole["nextCursor"] is None

            for bad in ("not-a-cursor", "eyJwayI6IngifQ", first["nextCursor"][:-3]):
                status, body = history(support_api, lambda_context, device, {"cursor": bad})
                assert (status, body["code"]) == (400, "INVALID_CURSOR"), bad
            for limit in ("0", "51", "x"):
                assert history(support_api, lambda_context, device, {"limit": limit})[0] == 400
            other = {**device, "deviceId": "someone-elses"}
            assert history(support_api, lambda_context, other)[1]["code"] == "DEVICE_NOT_FOUND"
            unknown = {**device, "contractId": "ctr-ffffffff"}
            assert history(support_api, lambda_context, unknown)[1]["code"] == "CONTRACT_NOT_FOUND"


@pytest.mark.parametrize("attempt", [1])
def test_the_relay_answers_finished_for_a_cancelled_command_before_its_first_push(
    support_api: Any, relay_fn: Any, lambda_context: object, device: dict[str, str], attempt: int
) -> None:
    """Cancelled before the relay got the first attempt: nothing is pushed, no workflow starts."""
    with time_machine.travel(NOON, tick=False):
        command_id = request(support_api, lambda_context, device, {"action": "BACKUP"})[1]["commandId"]
        assert cancel(support_api, lambda_context, command_id)[0] == 200
        assert relay_fn.handler(sns_event(command_id, attempt), lambda_context) == {"FINISHED": 1}
    assert pushed(device["endpointArn"]) == []
