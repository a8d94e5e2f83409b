"""Remote lock, wipe and backup on the deployed stack (Appendix, R16).

The command API publishes to the device-command topic, SNS really invokes the deployed relay,
the relay pushes over the emulator's SNS platform endpoints, and simulated devices answer through
the public device API. The e2e deployment expires commands after 20 seconds (FAST_COMMANDS), so
an offline device's command is re-sent and expires within the test.
"""

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from local.devices import DeviceFleet, SimulatedDevice
from local.service import FAST_COMMANDS, LocalService
from tests.e2e.conftest import eventually, staff_request
from tests.e2e.test_applications import application, apply, settled


class Subscriber:
    """A contract formed through the API, its simulated device registered with the code the
    notification carried, and the passphrase set on the device."""

    def __init__(
        self,
        service: LocalService,
        fleet: DeviceFleet,
        account: Callable[..., str],
        outbox: Callable[[str], dict[str, Any]],
        *,
        location_opt_out: bool = False,
        phone: str | None = None,
    ) -> None:
        self.service = service
        self.device = fleet.add(SimulatedDevice(device_id=f"pixel-{uuid.uuid4().hex[:8]}"))
        self.mobile_contract_id = account()
        body = application(self.mobile_contract_id, deviceId=self.device.device_id)
        body["consent"]["locationOptOut"] = location_opt_out
        if phone is not None:
            body["applicant"]["phone"] = phone
        application_id = apply(service, body)
        self.contract_id = str(settled(service, application_id)["contractId"])
        self.device.register(service.api_url, outbox(application_id)["memberConfirmationCode"])
        self.device.set_passphrase(service.api_url, "sakura-2026")

    def verify(self) -> str:
        status, body = staff_request(
            self.service,
            "POST",
            f"/contracts/{self.contract_id}/verifications",
            {"passphrase": "sakura-2026"},
        )
        assert status == 201, body
        return str(body["verificationId"])

    def command(self, body: dict[str, Any], device_id: str | None = None) -> tuple[int, dict[str, Any]]:
        path = f"/contracts/{self.contract_id}/devices/{device_id or self.device.device_id}/commands"
        return staff_request(self.service, "POST", path, body)

    def shown(self, command_id: str) -> dict[str, Any]:
        status, body = staff_request(self.service, "GET", f"/commands/{command_id}")
        assert status == 200, body
        return body

    def until(self, command_id: str, status: str, timeout: float = 45) -> dict[str, Any]:
        return eventually(
            lambda: shown if (shown := self.shown(command_id))["status"] == status else None, timeout=timeout
        )


@pytest.fixture
def subscriber(
    local_service: LocalService,
    fleet: DeviceFleet,
    account: Callable[..., str],
    outbox: Callable[[str], dict[str, Any]],
) -> Callable[..., Subscriber]:
    return lambda **kw: Subscriber(local_service, fleet, account, outbox, **kw)


def test_lock_needs_verification_then_the_device_locks_and_reports(
    subscriber: Callable[..., Subscriber],
) -> None:
    sub = subscriber()
    status, body = sub.command({"action": "LOCK"})
    assert (status, body["code"]) == (403, "IDENTITY_NOT_VERIFIED")

    lock = {"action": "LOCK", "verificationId": sub.verify()}
    status, body = sub.command(lock)
    assert (status, body["status"]) == (202, "PENDING")
    command_id = body["commandId"]
    again = sub.command(lock)[1]  # an identical command in flight, or already done
    assert again["commandId"] == command_id or again["created"] is True

    done = sub.until(command_id, "SUCCEEDED")
    assert done["attempts"] >= 1 and done["sentAt"] <= done["finishedAt"]
    assert done["location"] == {"latitude": 35.6812, "longitude": 139.7671}
    assert sub.device.ran[command_id] == "SUCCEEDED"


def test_wipe_needs_verification_and_confirmation_and_an_offline_device_expires_it(
    subscriber: Callable[..., Subscriber], fleet: DeviceFleet
) -> None:
    sub = subscriber()
    fleet.set_online(sub.device, False)
    assert sub.command({"action": "WIPE"})[1]["code"] == "IDENTITY_NOT_VERIFIED"
    verification_id = sub.verify()
    status, body = sub.command({"action": "WIPE", "verificationId": verification_id})
    assert (status, body["code"]) == (422, "WIPE_NOT_CONFIRMED")
    status, body = sub.command({"action": "WIPE", "verificationId": verification_id, "confirm": "WIPE"})
    assert (status, body["code"]) == (422, "WIPE_NOT_CONFIRMED")  # the device's id is typed back
    confirmed = {"verificationId": verification_id, "confirm": sub.device.device_id}
    status, body = sub.command({"action": "WIPE", **confirmed})
    assert (status, body["code"]) == (400, "REASON_REQUIRED")
    status, body = sub.command({"action": "WIPE", **confirmed, "reason": "phone stolen"})
    assert status == 202
    command_id = body["commandId"]

    expired = sub.until(
        command_id, "EXPIRED", timeout=int(str(FAST_COMMANDS["anshin:commandExpirySeconds"])) + 30
    )
    # Re-sent with backoff (2 s, doubling, capped at 4 s) until the 20-second expiry.
    assert expired["attempts"] >= 3, expired
    assert expired["finishedAt"] >= expired["expiresAt"]
    assert command_id not in sub.device.ran

    # Back online, the device gets the queued pushes but never runs the expired wipe.
    fleet.set_online(sub.device, True)
    eventually(lambda: sub.device.ran.get(command_id), timeout=15)
    assert sub.device.ran[command_id] == "IGNORED_EXPIRED"
    assert sub.shown(command_id)["status"] == "EXPIRED"


def test_backup_uploads_to_the_encrypted_bucket_and_location_is_dropped_on_opt_out(
    subscriber: Callable[..., Subscriber], local_service: LocalService, aws_client: Callable[[str], Any]
) -> None:
    sub = subscriber(location_opt_out=True)
    status, body = sub.command({"action": "BACKUP"})  # no verification needed for a backup
    assert status == 202, body
    done = sub.until(body["commandId"], "SUCCEEDED")
    assert done["backup"]["key"] == f"backups/{sub.contract_id}/{body['commandId']}.bin"
    stored = aws_client("s3").get_object(
        Bucket=local_service.output("BackupBucketName"), Key=done["backup"]["key"]
    )
    assert stored["Body"].read().startswith(b'{"deviceId"')

    lock = sub.command({"action": "LOCK", "verificationId": sub.verify()})[1]
    locked = sub.until(lock["commandId"], "SUCCEEDED")
    assert "location" not in locked  # R16: the device sent one; it was not stored


def test_refusals(
    subscriber: Callable[..., Subscriber],
    local_service: LocalService,
    account: Callable[..., str],
) -> None:
    sub = subscriber()
    status, body = sub.command({"action": "BACKUP"}, device_id="not-the-contracts-device")
    assert (status, body["code"]) == (422, "UNSUPPORTED_DEVICE")
    status, body = sub.command({"action": "REBOOT"})
    assert (status, body["code"]) == (400, "VALIDATION_ERROR")
    status, body = staff_request(local_service, "GET", "/commands/cmd-" + "0" * 32)
    assert (status, body["code"]) == (404, "COMMAND_NOT_FOUND")

    # An iPhone's contract: phone support only; no remote commands (Appendix).
    iphone = application(account(), platform="ios")
    contract_id = settled(local_service, apply(local_service, iphone))["contractId"]
    path = f"/contracts/{contract_id}/devices/{iphone['device']['deviceId']}/commands"
    status, body = staff_request(local_service, "POST", path, {"action": "BACKUP"})
    assert (status, body["code"]) == (422, "UNSUPPORTED_DEVICE")

    # A device's result needs the device's own token.
    answer = requests.post(
        f"{local_service.api_url}/devices/{sub.device.device_id}/commands/cmd-{'0' * 32}/result",
        json={"status": "SUCCEEDED"},
        headers={"Authorization": "Bearer not-the-token"},
        timeout=30,
    )
    assert (answer.status_code, answer.json()["code"]) == (401, "DEVICE_NOT_AUTHENTICATED")

    # An ended contract takes no commands.
    status, body = staff_request(
        local_service,
        "POST",
        f"/contracts/{sub.contract_id}/termination",
        {"reason": "lost eligibility (R10)"},
    )
    assert status == 200, body
    status, body = sub.command({"action": "BACKUP"})
    assert (status, body["code"]) == (409, "CONTRACT_ENDED")


def log_records(
    service: LocalService, aws_client: Callable[[str], Any], function_output: str
) -> list[dict[str, Any]]:
    """The powertools JSON records a deployed function logged."""
    group = aws_client("lambda").get_function_configuration(FunctionName=service.output(function_output))[
        "LoggingConfig"
    ]["LogGroup"]
    records = []
    for page in aws_client("logs").get_paginator("filter_log_events").paginate(logGroupName=group):
        records += [json.loads(e["message"]) for e in page["events"] if e["message"].lstrip().startswith("{")]
    return records


def test_one_correlation_id_from_the_api_request_through_the_workflows_and_sns(
    subscriber: Callable[..., Subscriber], local_service: LocalService, aws_client: Callable[[str], Any]
) -> None:
    sub = subscriber()
    command_id = sub.command({"action": "BACKUP"})[1]["commandId"]
    sub.until(command_id, "SUCCEEDED")

    def correlation_of(function_output: str, message: str, **match: str) -> set[str]:
        return {
            str(r.get("correlation_id"))
            for r in log_records(local_service, aws_client, function_output)
            if r.get("message") == message and all(r.get(k) == v for k, v in match.items())
        }

    # The staff request -> SNS -> the relay.
    requested = correlation_of("SupportApiFunctionName", "command requested", commandId=command_id)
    assert len(requested) == 1 and None not in requested
    assert correlation_of("CommandRelayFunctionName", "command relayed", commandId=command_id) == requested
    # The signup request -> the approval workflow -> its tasks -> the notification workflow.
    received = [
        r
        for r in log_records(local_service, aws_client, "ApplicationsApiFunctionName")
        if r.get("message") == "application received"
    ]
    application_id, correlation = received[-1]["applicationId"], received[-1]["correlation_id"]
    for task in ("ScreenApplicationFunctionName", "ReserveSlotFunctionName", "RecordContractFunctionName"):
        assert correlation_of(task, "step done", applicationId=application_id) == {correlation}, task
