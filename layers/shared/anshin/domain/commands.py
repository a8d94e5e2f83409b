"""The rules of a remote command to a device (Appendix: lock, wipe, settings backup; R16), pure.

A command starts ``PENDING``, is ``SENT`` once pushed, and ends ``SUCCEEDED``/``FAILED`` (the
device's report), ``EXPIRED``, or ``CANCELLED`` (by staff, while the device has not reported).
Lock and wipe need a valid identity verification; a wipe also an explicit confirmation (the
device's id typed back) and a reason, and none within the cooldown after the credentials changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from anshin.domain.clock import iso, parse_iso
from anshin.domain.entities import Command, CommandUpdate, Contract, Device
from anshin.domain.errors import (
    CommandNotCancellable,
    NoCommandableDevice,
    ReasonRequired,
    WipeCoolingDown,
    WipeNotConfirmed,
)
from anshin.domain.staff import StaffMember, name_field


class CommandStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


class Action(StrEnum):
    LOCK = "LOCK"
    WIPE = "WIPE"
    BACKUP = "BACKUP"


#: Appendix: lock and wipe only after the caller's identity is verified with the passphrase.
NEEDS_VERIFICATION = frozenset({Action.LOCK, Action.WIPE})
IN_FLIGHT = frozenset({CommandStatus.PENDING, CommandStatus.SENT})
FINISHED = frozenset(
    {CommandStatus.SUCCEEDED, CommandStatus.FAILED, CommandStatus.EXPIRED, CommandStatus.CANCELLED}
)


def new(
    command_id: str,
    *,
    contract_id: str,
    device_id: str,
    action: Action,
    staff: StaffMember,
    now: datetime,
    expires_in: timedelta,
    verification_id: str | None,
    correlation_id: str | None,
    reason: str | None = None,
) -> Command:
    """A command as requested by ``staff``: pending, not yet pushed."""
    command: Command = {
        "commandId": command_id,
        "contractId": contract_id,
        "deviceId": device_id,
        "action": action.value,
        "status": CommandStatus.PENDING.value,
        "requestedBy": staff.id,
        "requestedByName": staff.name,
        "requestedAt": iso(now),
        "expiresAt": iso(now + expires_in),
        "attempts": 0,
    }
    if correlation_id:
        command["correlationId"] = correlation_id  # the staff request's, carried to every push
    if action in NEEDS_VERIFICATION:
        command["verificationId"] = verification_id
    if reason:
        command["reason"] = reason
    return command


def check_device(contract: Contract, contract_id: str, device: Device | None, device_id: str) -> None:
    """Appendix: commands go to the contract's own Android device, registered for this contract."""
    if (
        contract.device_id != device_id
        or contract.device.platform != "android"
        or device is None
        or device.contract_id != contract_id
    ):
        raise NoCommandableDevice(device_id)


def check_wipe(
    contract: Contract, contract_id: str, confirm: str | None, now: datetime, reason: str | None = None
) -> None:
    """A wipe needs the explicit confirmation (the device's id typed back, exactly) and a reason,
    and is refused within the credential cooldown."""
    if not confirm or confirm != contract.device_id:
        raise WipeNotConfirmed(contract_id)
    if not reason or not reason.strip():
        raise ReasonRequired(contract_id)
    cooldown_until = contract.wipe_cooldown_until
    if cooldown_until is not None and cooldown_until > now:
        raise WipeCoolingDown(wipeRefusedUntil=iso(cooldown_until))


def past_expiry(command: Command, now: datetime) -> bool:
    return parse_iso(str(command["expiresAt"])) <= now


def due_to_expire(command: Command, now: datetime) -> bool:
    """In flight and past its expiry: the command is to be marked ``EXPIRED``."""
    return command["status"] in IN_FLIGHT and past_expiry(command, now)


def finished(command: Command) -> bool:
    """In a final state: nothing more to deliver, and its result cannot change."""
    return command["status"] in FINISHED


def never_relayed(command: Command) -> bool:
    """Still pending without an attempt: its first publish may have failed."""
    return command["status"] == CommandStatus.PENDING.value and not command["attempts"]


def expired(now: datetime) -> CommandUpdate:
    """The final transition of an unanswered command."""
    return {"status": CommandStatus.EXPIRED.value, "finishedAt": iso(now)}


def check_cancellable(command: Command) -> bool:
    """Whether a cancellation is to be made: True while the device has not reported (PENDING,
    SENT); False when it is CANCELLED already (cancelling again answers it unchanged);
    ``CommandNotCancellable`` for any other final status."""
    if command["status"] in IN_FLIGHT:
        return True
    if command["status"] == CommandStatus.CANCELLED.value:
        return False
    raise CommandNotCancellable(command["commandId"], commandStatus=str(command["status"]))


def cancelled(now: datetime, staff: StaffMember, reason: str) -> CommandUpdate:
    """The final transition of a command ``staff`` cancel: the workflow pushes it no more."""
    return {
        "status": CommandStatus.CANCELLED.value,
        "finishedAt": iso(now),
        "cancelledAt": iso(now),
        "cancelledBy": staff.id,
        "cancelledByName": staff.name,
        "cancelReason": reason,
    }


#: Why a command is cancelled when its contract ends (``cancelReason``, the audit entry's reason).
CONTRACT_ENDED = "CONTRACT_ENDED"


def cancelled_by_end(now: datetime) -> CommandUpdate:
    """The final transition of a command whose contract has ended (R9 at its instant, R10, R11):
    ``CANCELLED`` — not ``EXPIRED``, which says the device stayed out of reach for the command's
    whole life, whereas this one was withdrawn, and staff reading the history must tell the two
    apart. Nobody's: no ``cancelledBy``; ``cancelReason`` is :data:`CONTRACT_ENDED`. The
    workflow pushes it no more (its ``Cancelled`` state)."""
    return {
        "status": CommandStatus.CANCELLED.value,
        "finishedAt": iso(now),
        "cancelledAt": iso(now),
        "cancelReason": CONTRACT_ENDED,
    }


def next_attempt_at(command: Command, wait_seconds: int, now: datetime) -> str | None:
    """When the delivery workflow pushes again after an attempt made at ``now`` and a wait of
    ``wait_seconds`` (:func:`next_wait`): None when the command expires first (the follow-up then
    expires it instead)."""
    due = now + timedelta(seconds=wait_seconds)
    return iso(due) if due < parse_iso(str(command["expiresAt"])) else None


def next_wait(attempt: int, *, base_seconds: int, max_seconds: int, seconds_left: float) -> int:
    """Seconds to wait after push ``attempt`` (1, 2, …) before the next: doubling from
    ``base_seconds``, at most ``max_seconds``, and never past the expiry (plus one second, so the
    last look comes after it)."""
    backoff = min(base_seconds * 2 ** min(attempt - 1, 30), max_seconds)  # type: int
    return max(1, min(backoff, int(seconds_left) + 1))


def result(
    command: Command,
    status: CommandStatus,
    *,
    location: dict[str, Decimal] | None,
    location_opt_out: bool,
    failure_reason: str | None,
    now: datetime,
) -> CommandUpdate:
    """The device's report as the command's final fields. R16: a location is dropped, never
    stored, when the subscriber opted out. (A BACKUP's upload is added by the caller.)"""
    updates: CommandUpdate = {"status": status.value, "finishedAt": iso(now)}
    if location is not None and not location_opt_out:
        updates["location"] = location
    if status == CommandStatus.FAILED and failure_reason:
        updates["failureReason"] = failure_reason
    return updates


def needs_backup(command: Command, status: CommandStatus) -> bool:
    """A BACKUP succeeds only with its upload in the backup bucket."""
    return command["action"] == Action.BACKUP.value and status == CommandStatus.SUCCEEDED


def push_data(command: Command) -> dict[str, str]:
    """What the device is pushed (FCM v1 data: string values only); a BACKUP adds its upload URL."""
    return {
        "commandId": str(command["commandId"]),
        "action": str(command["action"]),
        "expiresAt": str(command["expiresAt"]),
    }


def push_targets(command: Command, device: Device, now: datetime) -> list[str]:
    """The platform endpoints the command goes to. Within the cooldown after the app was
    registered again, a lock also goes to the app registered before: if the new one is someone
    else's, the subscriber's phone still locks."""
    endpoints = [str(device.endpoint_arn)]
    kept, until = device.previous_endpoint_arn, device.previous_endpoint_until
    if command["action"] == Action.LOCK.value and kept and until is not None and until > now:
        endpoints.append(kept)
    return endpoints


#: What the API shows of a command (never its push endpoints).
SHOWN = (  # noqa: SIM905 - one line of names reads better than twenty
    "commandId contractId deviceId action status reason requestedBy requestedByName requestedAt "
    "sentAt lastAttemptAt nextAttemptAt finishedAt expiresAt failureReason location backup "
    "cancelledAt cancelledBy cancelledByName cancelReason ranAfterCancel"
).split()
#: The names of who acted the view shows, each with its id's field: null when the id was
#: recorded without a name (before names were stored).
NAMES = {name_field(by): by for by in ("requestedBy", "cancelledBy")}


def view(command: Command) -> dict[str, Any]:
    """A command as the API shows it; ``nextAttemptAt`` only while it is in flight; who asked
    for it and who cancelled it by id and by name (``requestedByName``, ``cancelledByName``:
    null for a command recorded before names were stored)."""
    fields: Mapping[str, Any] = command  # read by name, in SHOWN's order
    answer: dict[str, Any] = {
        name: fields.get(name)
        for name in SHOWN
        if name in fields or (name in NAMES and NAMES[name] in fields)
    }
    answer["attempts"] = int(command.get("attempts", 0))
    if finished(command):
        answer.pop("nextAttemptAt", None)
    if "location" in answer:
        answer["location"] = {k: float(v) for k, v in answer["location"].items()}
    if "backup" in answer:
        answer["backup"] = {**answer["backup"], "size": int(answer["backup"]["size"])}
    return answer
