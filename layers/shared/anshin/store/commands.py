"""Device commands in the Contracts table (Appendix).

Keys: the command ``CMD#<id>/CMD``; the in-flight marker ``INFLIGHT#<deviceId>/<action>`` (its
existence *is* "an identical command is in flight"; it is removed in the same transaction that
finishes the command); the device's history ``CMDS#<contractId>#<deviceId>/<requestedAt>#<id>``
(written with the command; the history is a Query of it, newest first, then the commands by
BatchGetItem: no Scan, no index); the audit ``AUDIT#<contractId>/<at>#CMD#<id>#<outcome>``:
requested, each attempt, and the final transition (succeeded, failed, expired, cancelled).
Who asked or cancelled is on the command and its entry by id and by name (anshin.domain.staff:
``requestedBy``/``requestedByName``, ``cancelledBy``/``cancelledByName``; ``staffId``/``staffName``
in the entries).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from boto3.dynamodb.conditions import Key

from anshin.domain.clock import iso, parse_iso
from anshin.domain.commands import IN_FLIGHT, Action, CommandStatus
from anshin.domain.entities import Command, CommandUpdate
from anshin.domain.staff import StaffMember, entry_fields, recorded
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
    contract_id = str(command["contractId"])
    marker = {**keys.command_in_flight(device_id, action), "type": "INFLIGHT", "commandId": command_id}
    item = {**keys.command(command_id), "type": "COMMAND", **command}
    history = {
        **keys.command_history(contract_id, device_id, str(command["requestedAt"]), command_id),
        "type": "COMMAND_HISTORY",
        "commandId": command_id,
    }
    reason = {"reason": command["reason"]} if command.get("reason") else {}
    return db.transact(
        [
            db.put_op(marker, condition=db.IF_ABSENT),
            db.put_op(item),
            db.put_op(history),
            audit.put(
                contract_id,
                "CMD",
                now,
                f"COMMAND_{action}_REQUESTED",
                **entry_fields(command, "requestedBy"),
                commandId=command_id,
                action=action,
                deviceId=device_id,
                **reason,
            ),
        ]
    )


def get_many(command_ids: list[str]) -> dict[str, Command]:
    """The commands of these ids (BatchGetItem, consistent), by id; unknown ids are left out."""
    found: dict[str, Command] = {}
    table = db.contracts_table()
    wanted = [keys.command(c) for c in dict.fromkeys(command_ids)]
    while wanted:
        request: dict[str, Any] = {table.name: {"Keys": wanted[:100], "ConsistentRead": True}}
        wanted = wanted[100:]
        while request:
            answer = table.meta.client.batch_get_item(RequestItems=request)
            for stored in answer["Responses"].get(table.name, []):
                found[str(stored["commandId"])] = cast(Command, stored)
            request = answer.get("UnprocessedKeys") or {}
    return found


def history(contract_id: str, device_id: str, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
    """One page of the device's command ids under the contract, newest first, and the cursor of
    the next page (None: the last)."""
    partition = keys.command_history_pk(contract_id, device_id)
    items, after = db.query_page(
        db.contracts_table(),
        cursor,
        limit,
        ("pk", "sk"),
        {"pk": partition},
        KeyConditionExpression=Key("pk").eq(partition),
        ScanIndexForward=False,
        ConsistentRead=True,
    )
    return [str(i["commandId"]) for i in items], after


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


def record_attempt(command: Command, attempt: int, at: datetime, next_attempt_at: str | None) -> bool:
    """Record push ``attempt`` of the command once, with when the workflow pushes again
    (``next_attempt_at``; None: it expires first) and its audit entry: a duplicate delivery of
    the same attempt (or an older one arriving late) changes nothing and returns False, as does
    a command that finished (cancelled, say) meanwhile."""
    command_id = str(command["commandId"])
    update = "SET #s = :sent, lastAttemptAt = :at, attempts = :attempt, sentAt = if_not_exists(sentAt, :at)"
    values: dict[str, Any] = {
        ":sent": CommandStatus.SENT.value,
        ":pending": CommandStatus.PENDING.value,
        ":at": iso(at),
        ":attempt": attempt,
    }
    if next_attempt_at:
        update += ", nextAttemptAt = :next"
        values[":next"] = next_attempt_at
    else:
        update += " REMOVE nextAttemptAt"
    return db.transact(
        [
            db.update_op(
                keys.command(command_id),
                update,
                condition="attribute_exists(pk) AND #s IN (:pending, :sent) AND attempts < :attempt",
                names={"#s": "status"},
                values=values,
            ),
            audit.put(
                str(command["contractId"]),
                "CMD",
                at,
                "COMMAND_ATTEMPTED",
                commandId=command_id,
                action=str(command["action"]),
                attempt=attempt,
            ),
        ]
    )


def finish_items(command: Command, updates: CommandUpdate) -> list[dict[str, Any]]:
    """The transaction items of an in-flight command's final transition: the command (condition:
    still PENDING or SENT), the release of its in-flight marker, and its audit entry
    (``COMMAND_<status>``; a cancellation with who, when staff made it, and why)."""
    names = {f"#{name}": name for name in updates}
    values = {f":{name}": value for name, value in updates.items()}
    status = str(updates.get("status"))
    by = entry_fields(updates, "cancelledBy") if "cancelledBy" in updates else {}
    why = {"reason": updates["cancelReason"]} if "cancelReason" in updates else {}
    failure = {"failureReason": updates["failureReason"]} if "failureReason" in updates else {}
    return [
        db.update_op(
            keys.command(str(command["commandId"])),
            "SET " + ", ".join(f"#{n} = :{n}" for n in updates) + " REMOVE nextAttemptAt",
            condition="#status IN (:pending, :sent)",
            names=names,
            values={**values, ":pending": CommandStatus.PENDING.value, ":sent": CommandStatus.SENT.value},
        ),
        db.delete_op(
            keys.command_in_flight(str(command["deviceId"]), str(command["action"])),
            condition=f"{db.IF_ABSENT} OR commandId = :id",
            values={":id": command["commandId"]},
        ),
        audit.put(
            str(command["contractId"]),
            "CMD",
            parse_iso(str(updates.get("finishedAt"))),
            f"COMMAND_{status}",
            commandId=str(command["commandId"]),
            action=str(command["action"]),
            **by,
            **why,
            **failure,
        ),
    ]


def finish(command: Command, updates: CommandUpdate) -> bool:
    """Move an in-flight command to a final state, release its in-flight marker and audit it
    (``COMMAND_<status>``; a cancellation with who and why), in one transaction. False if it had
    finished already."""
    return db.transact(finish_items(command, updates))


def pending_of(contract_id: str, device_id: str) -> list[Command]:
    """The contract's commands in flight (PENDING or SENT) to its device: those the device's
    in-flight markers name (one Query of ``INFLIGHT#<deviceId>``: one marker per action, so at
    most three), read consistently, that are the contract's (a device id may have served an
    earlier contract)."""
    partition = keys.command_in_flight(device_id, Action.LOCK.value)["pk"]
    markers = db.query_all(
        db.contracts_table(), KeyConditionExpression=Key("pk").eq(partition), ConsistentRead=True
    )
    found = get_many([str(m["commandId"]) for m in markers if m.get("commandId")])
    return [
        command
        for command in found.values()
        if command["contractId"] == contract_id and command["status"] in IN_FLIGHT
    ]


def record_late_report(command: Command, status: str, at: datetime) -> bool:
    """A device ran a command staff had cancelled (a push already on its way when they did) and
    reports it: keep what it says it did (``ranAfterCancel``) and audit it
    (``COMMAND_<status>_AFTER_CANCEL``), once, in one transaction — so the record never says a
    command was only cancelled when the device in fact ran it. False when already recorded."""
    late = {"status": status, "reportedAt": iso(at)}
    return db.transact(
        [
            db.update_op(
                keys.command(str(command["commandId"])),
                "SET ranAfterCancel = :late",
                condition="#status = :cancelled AND attribute_not_exists(ranAfterCancel)",
                names={"#status": "status"},
                values={":late": late, ":cancelled": CommandStatus.CANCELLED.value},
            ),
            audit.put(
                str(command["contractId"]),
                "CMD",
                at,
                f"COMMAND_{status}_AFTER_CANCEL",
                commandId=str(command["commandId"]),
                action=str(command["action"]),
            ),
        ]
    )


def audit_joined(command: Command, staff: StaffMember, at: datetime, reason: str | None) -> None:
    """Audit a request that joined ``command`` (the identical command already in flight):
    ``COMMAND_<action>_REQUESTED_AGAIN``, by whom and why."""
    audit.write(
        str(command["contractId"]),
        "CMD",
        at,
        f"COMMAND_{command['action']}_REQUESTED_AGAIN",
        commandId=str(command["commandId"]),
        **recorded(staff),
        **({"reason": reason} if reason else {}),
    )
