"""The rules of remote commands (Appendix, R16), pure: no moto."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from anshin.domain import commands as rules
from anshin.domain.commands import Action, CommandStatus
from anshin.domain.entities import Contract, Device
from anshin.domain.errors import NoCommandableDevice, ReasonRequired, WipeCoolingDown, WipeNotConfirmed
from anshin.domain.staff import StaffMember

from tests.factories import a_contract, a_device

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
SATO = StaffMember(id="staff-1", name="sato.hanako")
CONTRACT = a_contract(platform="android")


def command(**fields: Any) -> dict[str, Any]:
    return {
        "commandId": "cmd-1",
        "contractId": "ctr-1",
        "deviceId": "dev-1",
        "action": "LOCK",
        "status": "SENT",
        "attempts": 1,
        "expiresAt": "2026-11-27T03:00:00.000Z",
        **fields,
    }


@pytest.mark.parametrize(
    ("attempt", "left", "wait"),
    [
        (1, 10_000, 60),
        (2, 10_000, 120),
        (6, 10_000, 1920),
        (7, 10_000, 3600),  # capped at an hour
        (40, 10_000, 3600),  # no overflow however many attempts
        (3, 100.5, 101),  # never past the expiry, plus one second
        (1, 0, 1),
        (1, -5, 1),  # at least a second
    ],
)
def test_the_wait_doubles_is_capped_and_never_passes_the_expiry(attempt: int, left: float, wait: int) -> None:
    assert rules.next_wait(attempt, base_seconds=60, max_seconds=3600, seconds_left=left) == wait


def test_a_new_command_is_pending_with_its_expiry() -> None:
    lock = rules.new(
        "cmd-1",
        contract_id="ctr-1",
        device_id="dev-1",
        action=Action.LOCK,
        staff=SATO,
        now=NOW,
        expires_in=timedelta(hours=72),
        verification_id="ver-1",
        correlation_id="req-1",
    )
    assert lock == {
        "commandId": "cmd-1",
        "contractId": "ctr-1",
        "deviceId": "dev-1",
        "action": "LOCK",
        "status": "PENDING",
        "requestedBy": "staff-1",
        "requestedByName": "sato.hanako",
        "requestedAt": "2026-11-24T03:00:00.000Z",
        "expiresAt": "2026-11-27T03:00:00.000Z",
        "attempts": 0,
        "correlationId": "req-1",
        "verificationId": "ver-1",
    }
    backup = rules.new(
        "cmd-2",
        contract_id="ctr-1",
        device_id="dev-1",
        action=Action.BACKUP,
        staff=SATO,
        now=NOW,
        expires_in=timedelta(hours=72),
        verification_id="ver-1",
        correlation_id=None,
    )
    assert "verificationId" not in backup and "correlationId" not in backup


@pytest.mark.parametrize(
    ("contract", "device", "device_id"),
    [
        (CONTRACT, None, "dev-1"),  # the app is not registered
        (CONTRACT, a_device(contractId="ctr-1"), "dev-2"),  # not the contract's device
        (CONTRACT, a_device(contractId="ctr-2"), "dev-1"),  # the device now serves another contract
        (a_contract(platform="ios"), a_device(contractId="ctr-1"), "dev-1"),
    ],
)
def test_commands_go_only_to_the_contracts_android_device(
    contract: Contract, device: Device | None, device_id: str
) -> None:
    with pytest.raises(NoCommandableDevice):
        rules.check_device(contract, "ctr-1", device, device_id)


def test_the_contracts_registered_android_device_takes_commands() -> None:
    rules.check_device(CONTRACT, "ctr-1", a_device(contractId="ctr-1"), "dev-1")


def test_a_wipe_needs_the_device_id_typed_back_a_reason_and_waits_out_the_cooldown() -> None:
    for confirm in (None, "", "yes", "WIPE", "DEV-1", "dev-1 "):
        with pytest.raises(WipeNotConfirmed):
            rules.check_wipe(CONTRACT, "ctr-1", confirm, NOW, "lost phone")
    for reason in (None, "", "   "):
        with pytest.raises(ReasonRequired):
            rules.check_wipe(CONTRACT, "ctr-1", "dev-1", NOW, reason)
    cooling = a_contract(wipeCooldownUntil="2026-11-24T04:00:00.000Z")
    with pytest.raises(WipeCoolingDown) as refused:
        rules.check_wipe(cooling, "ctr-1", "dev-1", NOW, "lost phone")
    assert refused.value.details == {"wipeRefusedUntil": "2026-11-24T04:00:00.000Z"}
    rules.check_wipe(cooling, "ctr-1", "dev-1", NOW + timedelta(hours=1), "lost phone")
    rules.check_wipe(CONTRACT, "ctr-1", "dev-1", NOW, "lost phone")


def test_expiry_and_the_final_states() -> None:
    at_expiry = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
    assert not rules.past_expiry(command(), at_expiry - timedelta(milliseconds=1))
    assert rules.past_expiry(command(), at_expiry)
    assert rules.due_to_expire(command(status="PENDING"), at_expiry)
    assert not rules.due_to_expire(command(status="SUCCEEDED"), at_expiry)
    assert [rules.finished(command(status=s.value)) for s in CommandStatus] == [
        False,
        False,
        True,
        True,
        True,
        True,  # CANCELLED
    ]
    assert rules.expired(NOW) == {"status": "EXPIRED", "finishedAt": "2026-11-24T03:00:00.000Z"}


def test_only_a_pending_command_without_attempts_was_never_relayed() -> None:
    assert rules.never_relayed(command(status="PENDING", attempts=0))
    assert not rules.never_relayed(command(status="PENDING", attempts=1))
    assert not rules.never_relayed(command(status="SENT", attempts=0))


def test_a_location_is_dropped_when_the_subscriber_opted_out_r16() -> None:
    where = {"latitude": Decimal("35.6812"), "longitude": Decimal("139.7671")}
    kept = rules.result(
        command(),
        CommandStatus.SUCCEEDED,
        location=where,
        location_opt_out=False,
        failure_reason=None,
        now=NOW,
    )
    dropped = rules.result(
        command(),
        CommandStatus.SUCCEEDED,
        location=where,
        location_opt_out=True,
        failure_reason=None,
        now=NOW,
    )
    assert kept == {"status": "SUCCEEDED", "finishedAt": "2026-11-24T03:00:00.000Z", "location": where}
    assert "location" not in dropped


def test_a_failure_reason_is_kept_only_for_a_failure() -> None:
    failed = rules.result(
        command(), CommandStatus.FAILED, location=None, location_opt_out=False, failure_reason="LOW", now=NOW
    )
    succeeded = rules.result(
        command(),
        CommandStatus.SUCCEEDED,
        location=None,
        location_opt_out=False,
        failure_reason="LOW",
        now=NOW,
    )
    assert failed["failureReason"] == "LOW" and "failureReason" not in succeeded


def test_only_a_succeeded_backup_needs_its_upload() -> None:
    assert rules.needs_backup(command(action="BACKUP"), CommandStatus.SUCCEEDED)
    assert not rules.needs_backup(command(action="BACKUP"), CommandStatus.FAILED)
    assert not rules.needs_backup(command(action="LOCK"), CommandStatus.SUCCEEDED)


def test_the_push_carries_strings_only() -> None:
    assert rules.push_data(command()) == {
        "commandId": "cmd-1",
        "action": "LOCK",
        "expiresAt": "2026-11-27T03:00:00.000Z",
    }


def test_within_the_cooldown_a_lock_also_goes_to_the_app_registered_before() -> None:
    device = a_device(
        endpointArn="arn:new", previousEndpointArn="arn:old", previousEndpointUntil="2026-11-25T03:00:00.000Z"
    )
    assert rules.push_targets(command(action="LOCK"), device, NOW) == ["arn:new", "arn:old"]
    assert rules.push_targets(command(action="BACKUP"), device, NOW) == ["arn:new"]
    assert rules.push_targets(command(action="LOCK"), device, NOW + timedelta(days=1)) == ["arn:new"]
    assert rules.push_targets(command(action="LOCK"), a_device(endpointArn="arn:new"), NOW) == ["arn:new"]


def test_the_view_shows_numbers_as_numbers_and_hides_the_rest() -> None:
    stored = command(
        pk="CMD#cmd-1",
        verificationId="ver-1",
        attempts=Decimal(3),
        location={"latitude": Decimal("35.5"), "longitude": Decimal("139.5")},
        backup={"key": "backups/ctr-1/cmd-1.bin", "size": Decimal(8), "encryption": "aws:kms"},
    )
    shown = rules.view(stored)
    assert "pk" not in shown and "verificationId" not in shown
    assert shown["attempts"] == 3 and shown["location"] == {"latitude": 35.5, "longitude": 139.5}
    assert shown["backup"]["size"] == 8
