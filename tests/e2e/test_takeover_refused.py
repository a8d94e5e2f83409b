"""The takeover path, on the deployed stack: someone who learnt a subscriber's member code and
device id registers "the device" again, sets a passphrase of their own, passes verification with
it, and asks staff to wipe the phone. The wipe is refused for a day; a lock is not, and reaches
the subscriber's own app as well; the subscriber is told of each change, and the subscriber's own
app token stops working."""

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from local.devices import DeviceFleet, SimulatedDevice
from local.inbox import NotificationInbox
from local.service import LocalService
from tests.e2e.conftest import eventually, staff_request
from tests.e2e.test_applications import application, apply, settled


@pytest.fixture(scope="module")
def notices(local_service: LocalService) -> Iterator[NotificationInbox]:
    yield NotificationInbox(
        local_service.endpoint, local_service.output("CustomerNotificationTopicArn"), "notices"
    )


def test_learning_the_code_and_device_id_is_not_enough_to_wipe_a_phone(
    local_service: LocalService,
    account: Callable[..., str],
    notices: NotificationInbox,
    fleet: DeviceFleet,
) -> None:
    api = local_service.api_url
    owner = fleet.add(SimulatedDevice(device_id="pixel-owner-1"))  # reads its pushes
    application_id = apply(local_service, application(account(), deviceId=owner.device_id))
    contract_id = str(settled(local_service, application_id)["contractId"])
    code = str(eventually(lambda: notices.message_for(application_id))["memberConfirmationCode"])
    owner.register(api, code)
    owner.set_passphrase(api, "sakura-2026")

    # The attacker: the same code and device id, their own app and passphrase.
    attacker = SimulatedDevice(device_id=owner.device_id)
    attacker.register(api, code)
    attacker.set_passphrase(api, "attacker-0001")
    status, verified = staff_request(
        local_service, "POST", f"/contracts/{contract_id}/verifications", {"passphrase": "attacker-0001"}
    )
    assert status == 201  # the caller knows the (new) passphrase: verification alone cannot tell

    path = f"/contracts/{contract_id}/devices/{owner.device_id}/commands"
    wipe = {
        "action": "WIPE",
        "verificationId": verified["verificationId"],
        "confirm": owner.device_id,  # the device's id typed back
        "reason": "caller says the phone was stolen",
    }
    status, refused = staff_request(local_service, "POST", path, wipe)
    assert (status, refused["code"]) == (409, "WIPE_COOLDOWN"), refused
    status, locked = staff_request(
        local_service, "POST", path, {"action": "LOCK", "verificationId": verified["verificationId"]}
    )
    assert status == 202, locked  # a lock (which can be undone) is not held back
    # ... and reaches the subscriber's own app too, on the real phone, not only the taker's.
    eventually(lambda: next((p for p in owner.received if p["commandId"] == locked["commandId"]), None))

    # The subscriber is told, at the contact on file, of each change.
    told = eventually(lambda: n if len(n := notices.notices_for(contract_id)) >= 2 else None)
    assert [n["kind"] for n in told] == ["DEVICE_REGISTERED_AGAIN", "PASSPHRASE_CHANGED"]
    assert told[0]["wipeRefusedUntil"] <= told[1]["wipeRefusedUntil"] == refused["wipeRefusedUntil"]
    # ... and the subscriber's own app notices: its token no longer works.
    answer = requests.put(
        f"{api}/devices/{owner.device_id}/passphrase",
        json={"passphrase": "sakura-2027"},
        headers={"Authorization": f"Bearer {owner.device_token}"},
        timeout=30,
    )
    assert (answer.status_code, answer.json()["code"]) == (401, "DEVICE_NOT_AUTHENTICATED")


def test_guessing_a_code_is_limited(local_service: LocalService) -> None:
    """Registration attempts with one code are limited (429 with Retry-After); the limit per
    source address is tested in the handler tests (every caller here is 127.0.0.1)."""
    code = f"{uuid.uuid4().int % 10**8:08d}"
    answers: list[Any] = []
    for _ in range(6):
        answers.append(
            requests.post(
                f"{local_service.api_url}/devices/registrations",
                json={
                    "memberConfirmationCode": code,
                    "deviceId": "guess",
                    "model": "x",
                    "platform": "android",
                    "pushToken": "t",
                },
                timeout=30,
            )
        )
    assert [a.status_code for a in answers] == [404] * 5 + [429]
    assert answers[-1].json()["code"] == "TOO_MANY_ATTEMPTS" and int(answers[-1].headers["Retry-After"]) > 0
