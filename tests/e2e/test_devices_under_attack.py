"""Issue 24 on the deployed stack, over HTTP: each attack on a device's credentials that the
security review found, refused. One device, one live contract (the IMEI claimed first);
member-code guesses bounded per device id; every registration after the first audited, LOCKs
that keep reaching the subscriber's phone through the cooldown however many registrations
follow, a revocation that survives a registration until staff reissue the code; an iOS
contract's code refusing an Android app; no member code in clear in the table."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from local.devices import DeviceFleet, SimulatedDevice
from local.inbox import NotificationInbox
from local.service import LocalService
from tests.e2e.conftest import eventually, staff_request
from tests.e2e.test_applications import application, apply, settled, view


@pytest.fixture(scope="module")
def notices(local_service: LocalService) -> Iterator[NotificationInbox]:
    yield NotificationInbox(
        local_service.endpoint, local_service.output("CustomerNotificationTopicArn"), "attack-notices"
    )


def contracted(service: LocalService, notices: NotificationInbox, body: dict[str, Any]) -> tuple[str, str]:
    """Apply, wait for the contract, and read its member code from the notification: (id, code)."""
    application_id = apply(service, body)
    contract_id = str(settled(service, application_id)["contractId"])
    code = str(eventually(lambda: notices.message_for(application_id))["memberConfirmationCode"])
    return contract_id, code


def register(
    service: LocalService, device_id: str, code: str, push: str = "fcm-x", platform: str = "android"
) -> Any:
    return requests.post(
        f"{service.api_url}/devices/registrations",
        json={
            "memberConfirmationCode": code,
            "deviceId": device_id,
            "model": "Pixel",
            "platform": platform,
            "pushToken": push,
        },
        timeout=30,
    )


def timeline_events(service: LocalService, contract_id: str) -> list[str]:
    status, page = staff_request(service, "GET", f"/contracts/{contract_id}/timeline?limit=50")
    assert status == 200, page
    return [str(event["event"]) for event in page["items"]]


def test_an_imei_claimed_first_by_someone_else_blocks_the_owners_application_and_staff_see_who_holds_it(
    local_service: LocalService, account: Callable[..., str], notices: NotificationInbox
) -> None:
    imei = "imei-35693803564380"
    thief_contract, _ = contracted(local_service, notices, application(account(), deviceId=imei))
    owner_account = account()
    refused = apply(local_service, application(owner_account, deviceId=imei))
    answer = settled(local_service, refused)
    assert (answer["status"], answer["reason"]) == ("REJECTED", "DEVICE_ALREADY_PROTECTED")
    assert view(local_service, refused, owner_account)["reason"] == "DEVICE_ALREADY_PROTECTED"
    status, found = staff_request(local_service, "POST", "/contract-searches", {"deviceId": imei})
    assert status == 200
    assert [item["contractId"] for item in found["items"]] == [thief_contract]


def test_guessing_one_devices_code_locks_it_out_even_for_the_right_code_and_tells_the_subscriber(
    local_service: LocalService, account: Callable[..., str], notices: NotificationInbox
) -> None:
    device_id = "pixel-guessed-1"
    contract_id, code = contracted(local_service, notices, application(account(), deviceId=device_id))
    wrong = [f"{(int(code) + n) % 10**8:08d}" for n in range(1, 6)]  # five different wrong codes
    assert [register(local_service, device_id, guess).status_code for guess in wrong] == [404] * 5
    locked = register(local_service, device_id, code)  # the right one, straight after
    assert (locked.status_code, locked.json()["code"]) == (429, "TOO_MANY_ATTEMPTS")
    assert 0 < int(locked.headers["Retry-After"]) <= 3600
    told = eventually(lambda: notices.notices_for(contract_id) or None)
    assert [n["kind"] for n in told] == ["REGISTRATION_LOCKED_OUT"]
    assert "REGISTRATION_LOCKED_OUT" in timeline_events(local_service, contract_id)


def test_repeated_registrations_are_audited_and_a_lock_still_reaches_the_subscribers_phone(
    local_service: LocalService, account: Callable[..., str], notices: NotificationInbox, fleet: DeviceFleet
) -> None:
    api = local_service.api_url
    owner = fleet.add(SimulatedDevice(device_id="pixel-owner-2"))
    contract_id, code = contracted(local_service, notices, application(account(), deviceId=owner.device_id))
    owner.register(api, code)
    # Someone with the code registers twice more, the second time with the same push token.
    taker = SimulatedDevice(device_id=owner.device_id)
    taker.register(api, code)
    taker.register(api, code)
    taker.set_passphrase(api, "taker-0001")
    events = timeline_events(local_service, contract_id)
    assert events.count("DEVICE_REGISTERED_AGAIN") == 2 and events.count("DEVICE_REGISTERED") == 1
    status, verified = staff_request(
        local_service, "POST", f"/contracts/{contract_id}/verifications", {"passphrase": "taker-0001"}
    )
    assert status == 201
    status, locked = staff_request(
        local_service,
        "POST",
        f"/contracts/{contract_id}/devices/{owner.device_id}/commands",
        {"action": "LOCK", "verificationId": verified["verificationId"]},
    )
    assert status == 202, locked
    # The phone the device had before the first change still gets the lock.
    eventually(lambda: next((p for p in owner.received if p["commandId"] == locked["commandId"]), None))


def test_a_revoked_device_stays_revoked_until_staff_reissue_the_code(
    local_service: LocalService, account: Callable[..., str], notices: NotificationInbox
) -> None:
    device_id = "pixel-revoked-1"
    contract_id, code = contracted(local_service, notices, application(account(), deviceId=device_id))
    assert register(local_service, device_id, code, push="fcm-same").status_code == 201
    status, _ = staff_request(
        local_service,
        "POST",
        f"/contracts/{contract_id}/devices/{device_id}/revocation",
        {"reason": "phone stolen"},
    )
    assert status == 200
    again = register(local_service, device_id, code, push="fcm-same")  # the same app, the same token
    assert (again.status_code, again.json()["code"]) == (403, "DEVICE_REVOKED")

    status, reissued = staff_request(
        local_service, "POST", f"/contracts/{contract_id}/member-code", {"reason": "new phone"}
    )
    assert (status, reissued["sentTo"]) == (
        200,
        "HOLDER_CONTACT",
    ) and "memberConfirmationCode" not in reissued
    sent = eventually(
        lambda: next(
            (n for n in notices.notices_for(contract_id) if n["kind"] == "MEMBER_CODE_REISSUED"), None
        )
    )
    new_code = str(sent["memberConfirmationCode"])
    old = register(local_service, device_id, code, push="fcm-new")
    assert (old.status_code, old.json()["code"]) == (404, "MEMBER_CODE_NOT_FOUND")  # the old code died
    assert register(local_service, device_id, new_code, push="fcm-new").status_code == 201
    events = timeline_events(local_service, contract_id)
    assert {"DEVICE_TOKEN_REVOKED", "MEMBER_CODE_REISSUED", "DEVICE_REGISTERED_AGAIN"} <= set(events)


def test_an_ios_contracts_code_does_not_register_an_android_app(
    local_service: LocalService, account: Callable[..., str], notices: NotificationInbox
) -> None:
    device_id = "iphone-1"
    body = application(account(), deviceId=device_id, platform="ios")
    contract_id, code = contracted(local_service, notices, body)
    refused = register(local_service, device_id, code)
    assert (refused.status_code, refused.json()["code"]) == (422, "DEVICE_PLATFORM_MISMATCH")
    assert "DEVICE_REGISTERED" not in timeline_events(local_service, contract_id)  # nothing registered


def test_no_member_code_lies_in_clear_in_the_table(
    local_service: LocalService,
    account: Callable[..., str],
    notices: NotificationInbox,
    aws_client: Callable[[str], Any],
) -> None:
    _, code = contracted(local_service, notices, application(account()))
    table = local_service.output("ContractsTableName")
    items = aws_client("dynamodb").scan(TableName=table)["Items"]
    assert code not in json.dumps(items)
