"""Issue 24, findings 4 and 5, on the deployed stack, over HTTP.

(4) Thirty wrong passphrases sent at once to the staff verification route: at most five are
compared (at most five FAILED / FAILED_AND_LOCKED audit entries), the rest are refused as locked,
and then the right passphrase is refused too while the lockout lasts.
(5) A contract whose R9 end has passed refuses verification and LOCK with 409 CONTRACT_ENDED
before any month-end run records it (the support API's clock moved past the end: time travel,
local only); an R10 termination cancels the contract's pending LOCK (CANCELLED, audited) and the
device is not pushed it again.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import requests

from local.devices import DeviceFleet
from local.jobs import time_travel
from local.service import LocalService
from tests.e2e.conftest import eventually, staff_request, staff_token
from tests.e2e.test_applications import execution_states
from tests.e2e.test_device_commands import Subscriber, subscriber  # noqa: F401 - the fixture

GUESSES = 30
MAX_FAILURES = 5


def audit(service: LocalService, aws_client: Callable[[str], Any], contract_id: str) -> list[dict[str, Any]]:
    """The contract's audit entries (``AUDIT#<contractId>``), as the table holds them."""
    pages = (
        aws_client("dynamodb")
        .get_paginator("query")
        .paginate(
            TableName=service.output("ContractsTableName"),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"AUDIT#{contract_id}"}},
            ConsistentRead=True,
        )
    )
    return [{k: next(iter(v.values())) for k, v in item.items()} for page in pages for item in page["Items"]]


def test_thirty_wrong_passphrases_at_once_get_at_most_five_compared(
    subscriber: Callable[..., Subscriber],  # noqa: F811
    aws_client: Callable[[str], Any],
) -> None:
    sub = subscriber()
    path = f"/contracts/{sub.contract_id}/verifications"

    token = staff_token(sub.service)

    def guess(n: int) -> tuple[int, dict[str, Any]]:
        # A long wait: the local emulator runs the thirty invocations on two cores.
        answer = requests.post(
            sub.service.api_url + path,
            json={"passphrase": f"wrong-guess-{n}"},
            headers={"Authorization": token},
            timeout=300,
        )
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(max_workers=GUESSES) as pool:
        answers = list(pool.map(guess, range(GUESSES)))

    statuses = [status for status, _ in answers]
    compared = [body for status, body in answers if status == 401]
    assert all(body["code"] == "IDENTITY_NOT_VERIFIED" for body in compared)
    assert len(compared) <= MAX_FAILURES, statuses
    refused = [body for status, body in answers if status in (423, 429)]
    assert len(compared) + len(refused) == GUESSES, statuses
    assert any(body["code"] == "VERIFICATION_LOCKED" for body in refused)

    outcomes = [
        e["outcome"]
        for e in audit(sub.service, aws_client, sub.contract_id)
        if e["sk"].split("#")[1] == "VERIFY"
    ]
    evaluated = [o for o in outcomes if o in ("FAILED", "FAILED_AND_LOCKED")]
    assert len(evaluated) <= MAX_FAILURES and outcomes.count("FAILED_AND_LOCKED") == 1, outcomes
    assert outcomes.count("LOCKED") == GUESSES - len(evaluated), outcomes

    # Locked: the right passphrase is refused as well, and what staff see agrees.
    status, body = staff_request(sub.service, "POST", path, {"passphrase": "sakura-2026"})
    assert (status, body["code"]) == (423, "VERIFICATION_LOCKED"), body
    assert body["lockedUntil"] > datetime.now(UTC).isoformat()
    status, state = staff_request(sub.service, "GET", f"/contracts/{sub.contract_id}/verification")
    assert status == 200 and (state["state"], state["attemptsLeft"]) == ("LOCKED_OUT", 0), state


def test_a_contract_whose_r9_end_passed_refuses_verification_and_lock_before_the_month_end_run(
    subscriber: Callable[..., Subscriber],  # noqa: F811
    local_service: LocalService,
) -> None:
    sub = subscriber()
    verification_id = sub.verify()
    status, noticed = staff_request(sub.service, "POST", f"/contracts/{sub.contract_id}/cancellation", {})
    assert status == 200 and noticed["status"] == "CANCELLATION_PENDING", noticed
    ends_at = datetime.fromisoformat(noticed["endsAt"].replace("Z", "+00:00"))
    past_the_end = (ends_at - datetime.now(UTC)).total_seconds() + 60

    with time_travel(local_service.endpoint, past_the_end, functions=("SupportApiFunctionName",)):
        status, body = staff_request(
            sub.service, "POST", f"/contracts/{sub.contract_id}/verifications", {"passphrase": "sakura-2026"}
        )
        assert (status, body.get("code")) == (409, "CONTRACT_ENDED"), body
        status, body = sub.command({"action": "LOCK", "verificationId": verification_id})
        assert (status, body.get("code")) == (409, "CONTRACT_ENDED"), body

    # No month-end run has recorded the end: the contract still reads as pending it.
    status, contract = staff_request(sub.service, "GET", f"/contracts/{sub.contract_id}")
    assert status == 200 and contract["status"] == "CANCELLATION_PENDING", contract


def test_an_r10_termination_cancels_the_pending_lock_and_the_device_is_not_pushed_again(
    subscriber: Callable[..., Subscriber],  # noqa: F811
    fleet: DeviceFleet,
    aws_client: Callable[[str], Any],
) -> None:
    sub = subscriber()
    fleet.set_online(sub.device, False)
    status, body = sub.command({"action": "LOCK", "verificationId": sub.verify(), "reason": "stolen"})
    assert status == 202, body
    command_id = body["commandId"]
    eventually(lambda: True if sub.shown(command_id)["attempts"] >= 1 else None)

    status, ended = staff_request(
        sub.service, "POST", f"/contracts/{sub.contract_id}/termination", {"reason": "fraud (R10)"}
    )
    assert status == 200 and ended["status"] == "ENDED", ended

    cancelled = sub.shown(command_id)
    assert (cancelled["status"], cancelled["cancelReason"]) == ("CANCELLED", "CONTRACT_ENDED"), cancelled
    assert "nextAttemptAt" not in cancelled
    entries = [e for e in audit(sub.service, aws_client, sub.contract_id) if e.get("commandId") == command_id]
    assert [e["reason"] for e in entries if e["outcome"] == "COMMAND_CANCELLED"] == ["CONTRACT_ENDED"]

    # The delivery workflow ends at Cancelled at its next follow-up instead of pushing again.
    states = execution_states(sub.service, aws_client, "CommandDeliveryStateMachineArn", command_id)
    assert states[-1] == "Cancelled", states
    attempts = cancelled["attempts"]
    assert sub.shown(command_id)["attempts"] == attempts
    fleet.set_online(sub.device, True)  # the pushes queued before the end arrive; none after it
    eventually(lambda: sub.device.ran.get(command_id), timeout=15)
    assert len([p for p in sub.device.received if p["commandId"] == command_id]) <= attempts
    assert sub.shown(command_id)["status"] == "CANCELLED"
