"""The support app and the support centre on the deployed stack (R7, R14, R16, Appendix):
a contract forms, its notification's code registers the device, the device sets the passphrase,
staff verify the caller (and get locked out after five failures) and open a support session."""

import uuid
from collections.abc import Callable
from typing import Any

import requests

from local.service import LocalService
from tests.e2e.conftest import staff_request
from tests.e2e.test_applications import application, apply, settled


def test_register_set_passphrase_verify_and_lock_out(
    local_service: LocalService,
    account: Callable[..., str],
    outbox: Callable[[str], dict[str, Any]],
) -> None:
    device_id = f"pixel-{uuid.uuid4().hex[:8]}"
    application_id = apply(local_service, application(account(), deviceId=device_id))
    contract_id = settled(local_service, application_id)["contractId"]
    code = outbox(application_id)["memberConfirmationCode"]

    registration = {
        "memberConfirmationCode": code,
        "deviceId": device_id,
        "model": "Pixel 9",
        "platform": "android",
        "pushToken": f"fcm-{uuid.uuid4().hex}",
    }
    answer = requests.post(f"{local_service.api_url}/devices/registrations", json=registration, timeout=30)
    assert answer.status_code == 201, answer.text
    token = answer.json()["deviceToken"]
    wrong_code = requests.post(
        f"{local_service.api_url}/devices/registrations",
        json={**registration, "memberConfirmationCode": "00000000"},
        timeout=30,
    )
    assert (wrong_code.status_code, wrong_code.json()["code"]) == (404, "MEMBER_CODE_NOT_FOUND")

    passphrase_url = f"{local_service.api_url}/devices/{device_id}/passphrase"
    assert requests.put(passphrase_url, json={"passphrase": "sakura-2026"}, timeout=30).status_code == 401
    answer = requests.put(
        passphrase_url,
        json={"passphrase": "sakura-2026"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 204, answer.text

    verify = f"/contracts/{contract_id}/verifications"
    status, body = staff_request(local_service, "POST", verify, {"passphrase": "sakura-2026"})
    assert status == 201 and body["verificationId"].startswith("ver-")
    for _ in range(5):
        assert staff_request(local_service, "POST", verify, {"passphrase": "wrong"})[0] == 401
    status, body = staff_request(local_service, "POST", verify, {"passphrase": "sakura-2026"})
    assert (status, body["code"]) == (423, "VERIFICATION_LOCKED")

    # A support session: PHONE support for an R14 exclusion is refused with its code; a normal
    # one opens, unless the centre is closed (R7: the deployed stack runs on the real clock).
    status, body = staff_request(
        local_service,
        "POST",
        "/support-sessions",
        {"contractId": contract_id, "channel": "PHONE", "category": "CARD_OR_BANK_ENTRY"},
    )
    assert status == 422 and body["code"] in ("CARD_OR_BANK_ENTRY", "OUTSIDE_SUPPORT_HOURS")
    status, body = staff_request(
        local_service,
        "POST",
        "/support-sessions",
        {"contractId": contract_id, "channel": "REMOTE", "category": "SETTINGS"},
    )
    assert (status, body.get("status")) == (201, "OPEN") or body["code"] == "OUTSIDE_SUPPORT_HOURS"
