"""Personal data never reaches a log: a full flow with recognisable values, then every log group
of the deployed stack (functions, workflows, API access logs) is searched for them."""

import uuid
from collections.abc import Callable
from typing import Any

import requests

from local.devices import DeviceFleet, SimulatedDevice
from local.service import LocalService
from tests.e2e.conftest import eventually, staff_request
from tests.e2e.test_applications import application, apply, holder_of, settled


def all_log_messages(aws_client: Callable[[str], Any]) -> list[str]:
    logs = aws_client("logs")
    messages: list[str] = []
    for page in logs.get_paginator("describe_log_groups").paginate():
        for group in page["logGroups"]:
            for events in logs.get_paginator("filter_log_events").paginate(
                logGroupName=group["logGroupName"]
            ):
                messages += [event["message"] for event in events["events"]]
    return messages


def test_no_passphrase_phone_email_token_or_location_in_any_log(
    local_service: LocalService,
    aws_client: Callable[[str], Any],
    fleet: DeviceFleet,
    account: Callable[..., str],
    outbox: Callable[[str], dict[str, Any]],
) -> None:
    marker = uuid.uuid4().hex[:8]
    secrets = {
        "email": f"pii-{marker}@example.com",
        "phone": f"0907{int(marker, 16) % 10**7:07d}",
        "name": f"個人 {marker}",
        "passphrase": f"pass-{marker}",
        "wrong passphrase": f"wrong-{marker}",
        "push token": f"fcm-pii-{marker}",
        "latitude": "35.65" + str(int(marker, 16) % 10**4).zfill(4),
    }
    device = fleet.add(
        SimulatedDevice(
            device_id=f"pii-{marker}",
            push_token=secrets["push token"],
            location={"latitude": float(secrets["latitude"]), "longitude": 139.70001},
        )
    )
    body = application(account(), deviceId=device.device_id)
    body["applicant"] = {"name": secrets["name"], "email": secrets["email"], "phone": secrets["phone"]}
    application_id = apply(local_service, body)
    contract_id = settled(local_service, application_id)["contractId"]
    code = outbox(application_id)["memberConfirmationCode"]
    device.register(local_service.api_url, code)
    assert device.device_token is not None
    secrets["device token"] = device.device_token
    device.set_passphrase(local_service.api_url, secrets["passphrase"])

    status, verified = staff_request(
        local_service,
        "POST",
        f"/contracts/{contract_id}/verifications",
        {"passphrase": secrets["passphrase"]},
    )
    assert status == 201
    assert (
        staff_request(
            local_service,
            "POST",
            f"/contracts/{contract_id}/verifications",
            {"passphrase": secrets["wrong passphrase"]},
        )[0]
        == 401
    )
    status, command = staff_request(
        local_service,
        "POST",
        f"/contracts/{contract_id}/devices/{device.device_id}/commands",
        {"action": "LOCK", "verificationId": verified["verificationId"]},
    )
    assert status == 202
    eventually(
        lambda: (
            True
            if staff_request(local_service, "GET", f"/commands/{command['commandId']}")[1]["status"]
            == "SUCCEEDED"
            else None
        ),
        timeout=45,
    )
    # A refused request with personal data in its body is not echoed into a log either.
    requests.post(
        f"{local_service.api_url}/applications",
        json={**body, "mobileContractId": "not valid!"},
        headers=holder_of(local_service, body["mobileContractId"]),
        timeout=30,
    )

    messages = all_log_messages(aws_client)
    assert len(messages) > 50  # the flow was logged: functions, workflows and access logs
    leaks = {what: value for what, value in secrets.items() if any(value in m for m in messages)}
    assert leaks == {}, f"personal data in the logs: {sorted(leaks)}"
