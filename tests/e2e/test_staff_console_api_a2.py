"""The staff console's device and timeline routes on the deployed stack (issue 16, part A2):
verification state, a command's reason, delivery progress and cancellation (the relay stops
pushing a cancelled command), the device's command history and the contract's timeline.

The e2e deployment expires commands after 20 seconds and re-sends every 2-4 seconds
(FAST_COMMANDS), so an offline device's command is re-sent within the test.
"""

from collections.abc import Callable
from typing import Any

import requests

from local.devices import DeviceFleet
from tests.e2e.conftest import eventually, staff_request
from tests.e2e.test_applications import execution_states
from tests.e2e.test_device_commands import Subscriber, subscriber  # noqa: F401 - the fixture


def get(sub: Subscriber, path: str) -> dict[str, Any]:
    status, body = staff_request(sub.service, "GET", path)
    assert status == 200, body
    return body


def test_verification_state_follows_the_passphrase_checks(
    subscriber: Callable[..., Subscriber],  # noqa: F811
) -> None:
    sub = subscriber()
    path = f"/contracts/{sub.contract_id}/verification"
    assert get(sub, path)["state"] == "NONE"
    status, _ = staff_request(
        sub.service, "POST", f"/contracts/{sub.contract_id}/verifications", {"passphrase": "wrong-one"}
    )
    assert status == 401
    assert (get(sub, path)["failedAttempts"], get(sub, path)["attemptsLeft"]) == (1, 4)
    verification_id = sub.verify()
    state = get(sub, path)
    assert (state["state"], state["verificationId"], state["failedAttempts"]) == (
        "VERIFIED",
        verification_id,
        0,
    )
    assert "passphrase" not in str(state).lower()


def test_an_offline_devices_command_retries_then_is_cancelled_and_is_not_pushed_again(
    subscriber: Callable[..., Subscriber],  # noqa: F811
    fleet: DeviceFleet,
    aws_client: Callable[[str], Any],
) -> None:
    sub = subscriber()
    fleet.set_online(sub.device, False)
    lock = {"action": "LOCK", "verificationId": sub.verify(), "reason": "lost on the train"}
    status, body = sub.command(lock)
    assert status == 202, body
    command_id = body["commandId"]

    retried = eventually(lambda: shown if (shown := sub.shown(command_id))["attempts"] >= 2 else None)
    assert retried["status"] == "SENT" and retried["reason"] == "lost on the train"
    assert retried["lastAttemptAt"] and retried["nextAttemptAt"] > retried["lastAttemptAt"]

    status, cancelled = staff_request(
        sub.service, "POST", f"/commands/{command_id}/cancellation", {"reason": "found it"}
    )
    assert status == 200, cancelled
    assert (cancelled["status"], cancelled["cancelReason"]) == ("CANCELLED", "found it")
    assert "nextAttemptAt" not in cancelled
    attempts = cancelled["attempts"]
    again = staff_request(sub.service, "POST", f"/commands/{command_id}/cancellation", {"reason": "twice"})
    assert again == (200, cancelled)  # idempotent

    # The delivery workflow (one execution per command, named by its id) ends at Cancelled at
    # its next follow-up instead of pushing again; once it has ended nothing can push it.
    states = execution_states(sub.service, aws_client, "CommandDeliveryStateMachineArn", command_id)
    assert states[-1] == "Cancelled", states
    assert sub.shown(command_id)["attempts"] == attempts

    fleet.set_online(sub.device, True)  # the queued pushes arrive; none was sent after the cancel
    eventually(lambda: sub.device.ran.get(command_id), timeout=15)
    pushes = [p for p in sub.device.received if p["commandId"] == command_id]
    assert len(pushes) <= attempts
    # The device, running a push queued before the cancel, is told the command is over.
    assert sub.device.ran[command_id] in ("REPORT_409", "IGNORED_EXPIRED")
    shown = sub.shown(command_id)
    assert shown["status"] == "CANCELLED"
    if sub.device.ran[command_id] == "REPORT_409":  # it ran: the record says so
        assert shown["ranAfterCancel"]["status"] == "SUCCEEDED"

    status, finished = staff_request(
        sub.service, "POST", f"/commands/{command_id}/cancellation", {"reason": "late"}
    )
    assert status == 200 and finished["status"] == "CANCELLED"


def test_a_finished_command_cannot_be_cancelled_and_history_is_newest_first(
    subscriber: Callable[..., Subscriber],  # noqa: F811
) -> None:
    sub = subscriber()
    status, body = sub.command({"action": "BACKUP"})
    assert status == 202, body
    first = body["commandId"]
    sub.until(first, "SUCCEEDED")
    status, refused = staff_request(sub.service, "POST", f"/commands/{first}/cancellation", {"reason": "x"})
    assert (status, refused["code"]) == (409, "COMMAND_FINISHED")
    status, body = sub.command({"action": "LOCK", "verificationId": sub.verify()})
    second = body["commandId"]
    sub.until(second, "SUCCEEDED")

    path = f"/contracts/{sub.contract_id}/devices/{sub.device.device_id}/commands"
    page = get(sub, f"{path}?limit=1")
    assert [c["commandId"] for c in page["items"]] == [second] and page["nextCursor"]
    rest = get(sub, f"{path}?limit=1&cursor={page['nextCursor']}")
    assert [c["commandId"] for c in rest["items"]] == [first]
    status, bad = staff_request(sub.service, "GET", f"{path}?cursor=broken")
    assert (status, bad["code"]) == (400, "INVALID_CURSOR")


def test_the_timeline_shows_what_happened_newest_first(
    subscriber: Callable[..., Subscriber],  # noqa: F811
) -> None:
    sub = subscriber()
    status, body = sub.command({"action": "BACKUP", "reason": "moving to a new phone"})
    assert status == 202, body
    sub.until(body["commandId"], "SUCCEEDED")
    timeline = get(sub, f"/contracts/{sub.contract_id}/timeline?limit=50")
    kinds = [e["kind"] for e in timeline["items"]]
    assert {"CMD", "DEVICE", "CONTRACT", "APPLICATION"} <= set(kinds)
    at = [e["at"] for e in timeline["items"]]
    assert at == sorted(at, reverse=True)
    events = [e["event"] for e in timeline["items"]]
    assert "COMMAND_SUCCEEDED" in events and "COMMAND_BACKUP_REQUESTED" in events
    assert events[-1] == "RECEIVED" and "FORMED" in events
    assert "sakura" not in str(timeline)

    for path in (
        f"/contracts/{sub.contract_id}/timeline",
        f"/contracts/{sub.contract_id}/verification",
        f"/contracts/{sub.contract_id}/devices/{sub.device.device_id}/commands",
    ):
        anonymous = requests.get(f"{sub.service.api_url}{path}", timeout=30)
        assert anonymous.status_code == 401, path
