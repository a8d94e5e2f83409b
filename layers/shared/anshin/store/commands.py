"""Device commands in the Contracts table (Appendix).

Keys: the command ``CMD#<id>/CMD``; the in-flight marker ``INFLIGHT#<deviceId>/<action>`` (its
existence *is* "an identical command is in flight"; it is removed in the same transaction that
finishes the command); the audit ``AUDIT#<contractId>/CMD#<at>#<id>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from anshin.domain.clock import iso
from anshin.domain.commands import CommandStatus
from anshin.domain.entities import Command, CommandUpdate
from anshin.store import audit, db, keys


def get(command_id: str) -> Command | None:
    # The storage boundary: the item under a command's key is a command.
    return cast(Command | None, db.read(keys.command(command_id)))


def in_flight(device_id: str, action: str) -> str | None:
    """The id the device's in-flight marker of ``action`` names, if there is one."""
    marker = db.read(keys.command_in_flight(device_id, action))
    return str(marker["commandId"]) if marker else None


def create(command: Command, now: datetime) -> bool:
    """Record the command, its in-flight marker and its audit entry (``COMMAND_<action>_REQUESTED``,
    by the staff member who asked), in one transaction. False when an identical command took the
    marker meanwhile."""
    command_id, device_id, action = command["commandId"], command["deviceId"], command["action"]
    marker = {**keys.command_in_flight(device_id, action), "type": "INFLIGHT", "commandId": command_id}
    item = {**keys.command(command_id), "type": "COMMAND", **command}
    return db.transact(
        [
            db.put_op(marker, condition=db.IF_ABSENT),
            db.put_op(item),
            audit.put(
                str(command["contractId"]),
                "CMD",
                now,
                f"COMMAND_{action}_REQUESTED",
                staffId=command["requestedBy"],
                commandId=command_id,
            ),
        ]
    )


def release(device_id: str, action: str, command_id: str) -> None:
    """Remove the in-flight marker if it still names ``command_id``."""
    try:
        db.contracts_table().delete_item(
            Key=keys.command_in_flight(device_id, action),
            ConditionExpression="commandId = :id",
            ExpressionAttributeValues={":id": command_id},
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        pass  # already released, or taken by a newer command


def record_attempt(command_id: str, attempt: int, at: datetime) -> bool:
    """Record push ``attempt`` of the command, once: a duplicate delivery of the same attempt
    (or an older one arriving late) changes nothing and returns False, as does a command that
    already finished."""
    return db.update_if(
        keys.command(command_id),
        "SET #s = :sent, lastAttemptAt = :at, attempts = :attempt, sentAt = if_not_exists(sentAt, :at)",
        "attribute_exists(pk) AND #s IN (:pending, :sent) AND attempts < :attempt",
        names={"#s": "status"},
        values={
            ":sent": CommandStatus.SENT.value,
            ":pending": CommandStatus.PENDING.value,
            ":at": iso(at),
            ":attempt": attempt,
        },
    )


def finish(command: Command, updates: CommandUpdate) -> bool:
    """Move an in-flight command to a final state and release its in-flight marker, in one
    transaction. False if it had finished already."""
    names = {f"#{name}": name for name in updates}
    values = {f":{name}": value for name, value in updates.items()}
    return db.transact(
        [
            db.update_op(
                keys.command(str(command["commandId"])),
                "SET " + ", ".join(f"#{n} = :{n}" for n in updates),
                condition="#status IN (:pending, :sent)",
                names=names,
                values={**values, ":pending": CommandStatus.PENDING.value, ":sent": CommandStatus.SENT.value},
            ),
            db.delete_op(
                keys.command_in_flight(str(command["deviceId"]), str(command["action"])),
                condition=f"{db.IF_ABSENT} OR commandId = :id",
                values={":id": command["commandId"]},
            ),
        ]
    )
