"""Remote commands to a device (Appendix: lock, wipe, settings backup; R16).

A command is requested by support staff, relayed to the device's push channel, re-sent with
backoff while the device does not answer, and ends ``SUCCEEDED``/``FAILED`` (the device's report)
or ``EXPIRED``. Lock and wipe need a valid identity verification; a wipe also an explicit
confirmation. One identical command (same device, same action) at a time: asking again while it
is in flight answers the same command.

Keys: the command ``CMD#<id>/CMD``; the in-flight marker ``INFLIGHT#<deviceId>/<action>`` (its
existence *is* "an identical command is in flight"; it is removed in the same transaction that
finishes the command); the audit ``AUDIT#<contractId>/CMD#<at>#<id>``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from anshin.adapters import push
from anshin.domain.clock import iso, parse_iso
from anshin.domain.contract_rules import ContractStatus
from anshin.domain.errors import ContractEnded, ContractNotFound
from anshin.services import contracts, devices, verification
from anshin.store import audit, db


class CommandStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


class Action(StrEnum):
    LOCK = "LOCK"
    WIPE = "WIPE"
    BACKUP = "BACKUP"


#: Appendix: lock and wipe only after the caller's identity is verified with the passphrase.
NEEDS_VERIFICATION = frozenset({Action.LOCK, Action.WIPE})
IN_FLIGHT = frozenset({CommandStatus.PENDING, CommandStatus.SENT})
FINISHED = frozenset({CommandStatus.SUCCEEDED, CommandStatus.FAILED, CommandStatus.EXPIRED})
WIPE_CONFIRMATION = "WIPE"


class UnsupportedDevice(Exception):
    """Not the contract's Android device, or the support app is not registered on it."""


class NotVerified(Exception):
    pass


class WipeNotConfirmed(Exception):
    pass


class WipeCoolingDown(Exception):
    """The device was registered again, or the passphrase changed, less than the cooldown ago:
    a WIPE waits until ``until`` (anshin.devices); a LOCK does not."""

    def __init__(self, until: str) -> None:
        super().__init__(until)
        self.until = until


class CommandNotFound(LookupError):
    pass


class CommandFinished(Exception):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class BackupMissing(Exception):
    """A backup reported done, but nothing was uploaded through the command's URL."""


def key(command_id: str) -> dict[str, str]:
    return {"pk": f"CMD#{command_id}", "sk": "CMD"}


def in_flight_key(device_id: str, action: str) -> dict[str, str]:
    return {"pk": f"INFLIGHT#{device_id}", "sk": action}


def backup_key(contract_id: str, command_id: str) -> str:
    """Where a BACKUP command's device uploads the settings backup."""
    return f"backups/{contract_id}/{command_id}.bin"


def get(command_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        db.contracts_table().get_item(Key=key(command_id), ConsistentRead=True).get("Item")
    )
    return item


def next_wait(attempt: int, *, base_seconds: int, max_seconds: int, seconds_left: float) -> int:
    """Seconds to wait after push ``attempt`` (1, 2, …) before the next: doubling from
    ``base_seconds``, at most ``max_seconds``, and never past the expiry (plus one second, so the
    last look comes after it)."""
    backoff = min(base_seconds * 2 ** min(attempt - 1, 30), max_seconds)  # type: int
    return max(1, min(backoff, int(seconds_left) + 1))


def request(
    *,
    contract_id: str,
    device_id: str,
    action: Action,
    verification_id: str | None,
    confirm: str | None,
    staff_id: str,
    now: datetime,
    expires_in: timedelta,
    correlation_id: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Record a command for the device; returns ``(command, created)``. ``created`` is False
    when an identical command is already in flight: that one is answered instead."""
    contract = contracts.get(contract_id)
    if contract is None:
        raise ContractNotFound(contract_id)
    if contract["status"] == ContractStatus.ENDED.value:
        raise ContractEnded(contract_id)
    device = devices.get(device_id)
    if (
        contract["device"]["deviceId"] != device_id
        or contract["device"].get("platform") != "android"
        or device is None
        or device["contractId"] != contract_id
    ):
        raise UnsupportedDevice(device_id)
    if action in NEEDS_VERIFICATION and not verification.valid_verification(
        verification_id, contract_id, now
    ):
        raise NotVerified(contract_id)
    if action == Action.WIPE and confirm != WIPE_CONFIRMATION:
        raise WipeNotConfirmed(contract_id)
    cooling = contract.get("wipeCooldownUntil")
    if action == Action.WIPE and cooling and parse_iso(str(cooling)) > now:
        raise WipeCoolingDown(str(cooling))

    for _ in range(3):
        existing = _in_flight(device_id, action, now)
        if existing is not None:
            return existing, False
        command_id = f"cmd-{uuid.uuid4().hex}"
        command: dict[str, Any] = {
            **key(command_id),
            "type": "COMMAND",
            "commandId": command_id,
            "contractId": contract_id,
            "deviceId": device_id,
            "action": action.value,
            "status": CommandStatus.PENDING.value,
            "requestedBy": staff_id,
            "requestedAt": iso(now),
            "expiresAt": iso(now + expires_in),
            "attempts": 0,
        }
        if correlation_id:
            command["correlationId"] = correlation_id  # the staff request's, carried to every push
        if action in NEEDS_VERIFICATION:
            command["verificationId"] = verification_id
        if db.transact(
            [
                {
                    "Put": {
                        "TableName": db.contracts_table().name,
                        "Item": db.serializer().item(
                            {**in_flight_key(device_id, action), "type": "INFLIGHT", "commandId": command_id}
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Put": {"TableName": db.contracts_table().name, "Item": db.serializer().item(command)}},
                audit.put(
                    contract_id,
                    "CMD",
                    now,
                    f"COMMAND_{action.value}_REQUESTED",
                    staffId=staff_id,
                    commandId=command_id,
                ),
            ]
        ):
            return command, True
    raise RuntimeError(f"could not record a {action} command for {device_id}")


def _in_flight(device_id: str, action: str, now: datetime) -> dict[str, Any] | None:
    """The identical command in flight, if any. One whose expiry has passed without its
    delivery workflow noticing is expired here, so it never blocks a new command."""
    marker = db.contracts_table().get_item(Key=in_flight_key(device_id, action), ConsistentRead=True)
    if "Item" not in marker:
        return None
    command = get(str(marker["Item"]["commandId"]))
    if command is None or command["status"] not in IN_FLIGHT:
        _release(device_id, action, str(marker["Item"]["commandId"]))
        return None
    if parse_iso(str(command["expiresAt"])) <= now:
        expire(command, now)
        return None
    return command


def _release(device_id: str, action: str, command_id: str) -> None:
    try:
        db.contracts_table().delete_item(
            Key=in_flight_key(device_id, action),
            ConditionExpression="commandId = :id",
            ExpressionAttributeValues={":id": command_id},
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        pass  # already released, or taken by a newer command


def record_attempt(command_id: str, attempt: int, at: datetime) -> bool:
    """Record push ``attempt`` of the command, once: a duplicate delivery of the same attempt
    (or an older one arriving late) changes nothing and returns False, as does a command that
    already finished."""
    try:
        db.contracts_table().update_item(
            Key=key(command_id),
            UpdateExpression=(
                "SET #s = :sent, lastAttemptAt = :at, attempts = :attempt, "
                "sentAt = if_not_exists(sentAt, :at)"
            ),
            ConditionExpression="attribute_exists(pk) AND #s IN (:pending, :sent) AND attempts < :attempt",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":sent": CommandStatus.SENT.value,
                ":pending": CommandStatus.PENDING.value,
                ":at": iso(at),
                ":attempt": attempt,
            },
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        return False
    return True


def _finish(command: dict[str, Any], updates: dict[str, Any]) -> bool:
    """Move an in-flight command to a final state and release its in-flight marker, in one
    transaction. False if it had finished already."""
    names = {f"#{name}": name for name in updates}
    values = {f":{name}": value for name, value in updates.items()}
    return db.transact(
        [
            {
                "Update": {
                    "TableName": db.contracts_table().name,
                    "Key": db.serializer().key(key(str(command["commandId"]))),
                    "UpdateExpression": "SET " + ", ".join(f"#{n} = :{n}" for n in updates),
                    "ConditionExpression": "#status IN (:pending, :sent)",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": db.serializer().values(
                        {**values, ":pending": CommandStatus.PENDING.value, ":sent": CommandStatus.SENT.value}
                    ),
                }
            },
            {
                "Delete": {
                    "TableName": db.contracts_table().name,
                    "Key": db.serializer().key(
                        in_flight_key(str(command["deviceId"]), str(command["action"]))
                    ),
                    "ConditionExpression": "attribute_not_exists(pk) OR commandId = :id",
                    "ExpressionAttributeValues": db.serializer().values({":id": command["commandId"]}),
                }
            },
        ]
    )


def expire(command: dict[str, Any], now: datetime) -> bool:
    """Mark an unanswered command (as read) EXPIRED once its expiry has passed. False if it
    finished (or is not due)."""
    if command["status"] not in IN_FLIGHT or parse_iso(str(command["expiresAt"])) > now:
        return False
    return _finish(command, {"status": CommandStatus.EXPIRED.value, "finishedAt": iso(now)})


def current(command_id: str, now: datetime) -> dict[str, Any] | None:
    """The command as it stands at ``now``: one whose expiry passed while nothing noticed (its
    delivery workflow failed) is expired first, so it never reads as still in flight."""
    command = get(command_id)
    if command is not None and expire(command, now):
        command = get(command_id)
    return command


def report_result(
    *,
    command_id: str,
    device: dict[str, Any],
    status: CommandStatus,
    location: dict[str, Any] | None,
    failure_reason: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The device's report on a command it ran. Reporting the same outcome again answers the
    command unchanged; R16: a location is dropped, never stored, when the subscriber opted out.
    A BACKUP succeeds only with its upload in the backup bucket."""
    command = get(command_id)
    if (
        command is None
        or command["deviceId"] != device["deviceId"]
        or command["contractId"] != device.get("contractId")  # the device now serves another contract
    ):
        raise CommandNotFound(command_id)
    if command["status"] in FINISHED:
        if command["status"] == status.value:
            return command
        raise CommandFinished(str(command["status"]))
    if parse_iso(str(command["expiresAt"])) <= now:
        expire(command, now)
        raise CommandFinished(CommandStatus.EXPIRED.value)
    updates: dict[str, Any] = {"status": status.value, "finishedAt": iso(now)}
    contract = contracts.get(str(command["contractId"]))
    if location is not None and contract is not None and not contract.get("locationOptOut", False):
        updates["location"] = location
    if status == CommandStatus.FAILED and failure_reason:
        updates["failureReason"] = failure_reason
    if command["action"] == Action.BACKUP.value and status == CommandStatus.SUCCEEDED:
        backup = push.uploaded(backup_key(str(command["contractId"]), command_id))
        if backup is None:
            raise BackupMissing(command_id)
        updates["backup"] = backup
    if not _finish(command, updates):
        return report_result(
            command_id=command_id,
            device=device,
            status=status,
            location=location,
            failure_reason=failure_reason,
            now=now,
        )
    return {**command, **updates, "finishedNow": True}


def view(command: dict[str, Any]) -> dict[str, Any]:
    """A command as the API shows it."""
    shown = (
        "commandId",
        "contractId",
        "deviceId",
        "action",
        "status",
        "requestedBy",
        "requestedAt",
        "sentAt",
        "lastAttemptAt",
        "finishedAt",
        "expiresAt",
        "failureReason",
        "location",
        "backup",
    )
    answer = {name: command[name] for name in shown if name in command}
    answer["attempts"] = int(command.get("attempts", 0))
    if "location" in answer:
        answer["location"] = {k: float(v) for k, v in answer["location"].items()}
    if "backup" in answer:
        answer["backup"] = {**answer["backup"], "size": int(answer["backup"]["size"])}
    return answer
