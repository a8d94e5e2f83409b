"""Remote commands to a device (Appendix: lock, wipe, settings backup; R16).

A command is requested by support staff, relayed to the device's push channel, re-sent with
backoff while the device does not answer (anshin.services.delivery), and ends
``SUCCEEDED``/``FAILED`` (the device's report), ``EXPIRED``, or ``CANCELLED`` (staff cancel it
while the device has not reported, or its contract ended: every end cancels the contract's
commands in flight, anshin.services.contract_ends; the workflow then pushes it no more). Lock and wipe need a
valid identity verification; a wipe also an explicit confirmation (the device's id typed back)
and a reason. One identical command (same device, same action) at a time: asking again while it
is in flight answers the same command. The device's history is listed newest first, paged.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict

from anshin.adapters import push
from anshin.domain import commands as rules
from anshin.domain.commands import NEEDS_VERIFICATION, Action, CommandStatus
from anshin.domain.entities import Command, Device
from anshin.domain.errors import BackupMissing, CommandFinished, CommandNotFound, NotVerified, UnknownDevice
from anshin.domain.staff import StaffMember
from anshin.services import delivery, verification
from anshin.services.requests import CommandRequest, Reason
from anshin.settings import settings
from anshin.store import commands as store
from anshin.store import contracts, devices, keys

logger = Logger()


class Cancellation(BaseModel):
    """Staff cancel a command the device has not reported on, saying why."""

    model_config = ConfigDict(extra="forbid")
    reason: Reason


def send(
    contract_id: str,
    device_id: str,
    body: CommandRequest,
    staff: StaffMember,
    now: datetime,
    correlation_id: str | None,
) -> dict[str, Any]:
    """Staff ask for a command; it is handed to the relay if new, or if never relayed (the first
    publish may have failed: the relay pushes each attempt once). Answers the command's id and
    status, and whether it was created (False: the identical command in flight)."""
    command, created = request(
        contract_id=contract_id,
        device_id=device_id,
        action=body.action,
        verification_id=body.verificationId,
        confirm=body.confirm,
        staff=staff,
        now=now,
        correlation_id=correlation_id,
        reason=body.reason,
    )
    if created or rules.never_relayed(command):
        delivery.publish(command, 1)
    logger.info(
        "command requested",
        extra={"commandId": command["commandId"], "action": body.action.value, "isNew": created},
    )
    return {"commandId": command["commandId"], "status": command["status"], "created": created}


def request(
    *,
    contract_id: str,
    device_id: str,
    action: Action,
    verification_id: str | None,
    confirm: str | None,
    staff: StaffMember,
    now: datetime,
    correlation_id: str | None = None,
    reason: str | None = None,
) -> tuple[Command, bool]:
    """Record a command for the device, asked for by ``staff`` (by id and name); returns
    ``(command, created)``. ``created`` is False when an identical command is already in flight:
    that one is answered instead."""
    # Ended is ended at once (its end passed, the month-end run or not): CONTRACT_ENDED (409).
    contract = contracts.require_live(contract_id, now)
    rules.check_device(contract, contract_id, devices.get(device_id), device_id)
    if action in NEEDS_VERIFICATION and not verification.valid_verification(
        verification_id, contract_id, staff.id, now
    ):
        raise NotVerified(contract_id)
    if action == Action.WIPE:
        rules.check_wipe(contract, contract_id, confirm, now, reason)

    for _ in range(3):
        existing = _in_flight(device_id, action, now)
        if existing is not None:
            # Joined, not ignored: who asked again, and why, is on the record too.
            store.audit_joined(existing, staff, now, reason)
            return existing, False
        command = rules.new(
            f"cmd-{uuid.uuid4().hex}",
            contract_id=contract_id,
            device_id=device_id,
            action=action,
            staff=staff,
            now=now,
            expires_in=settings.command_expiry,
            verification_id=verification_id,
            correlation_id=correlation_id,
            reason=reason,
        )
        if store.create(command, now):
            return command, True
    raise RuntimeError(f"could not record a {action} command for {device_id}")


def _in_flight(device_id: str, action: str, now: datetime) -> Command | None:
    """The identical command in flight, if any. One whose expiry has passed without its
    delivery workflow noticing is expired here, so it never blocks a new command."""
    command_id = store.in_flight(device_id, action)
    if command_id is None:
        return None
    command = store.get(command_id)
    if command is None or rules.finished(command):
        store.release(device_id, action, command_id)
        return None
    if rules.past_expiry(command, now):
        delivery.expire(command, now)
        return None
    return command


def show(command_id: str, now: datetime) -> dict[str, Any]:
    """The command as it stands at ``now``, as the API shows it: one whose expiry passed while
    nothing noticed (its delivery workflow failed) is expired first, so it never reads as still
    in flight."""
    command = store.get(command_id)
    if command is not None and delivery.expire(command, now):
        command = store.get(command_id)
    if command is None:
        raise CommandNotFound(command_id)
    return rules.view(command)


def cancel(command_id: str, reason: str, staff: StaffMember, now: datetime) -> dict[str, Any]:
    """Staff cancel a command the device has not reported on (PENDING or SENT): it ends
    ``CANCELLED``, its in-flight marker is released and the cancellation audited, all at once; the
    delivery workflow pushes it no more. Cancelling it again answers it unchanged; a command that
    ended otherwise (one past its expiry is expired first) is refused (``COMMAND_FINISHED``)."""
    while True:  # a command that changed meanwhile (a report, a push) is judged again
        command = store.get(command_id)
        if command is None:
            raise CommandNotFound(command_id)
        if delivery.expire(command, now):
            continue
        if not rules.check_cancellable(command):
            return rules.view(command)
        if store.finish(command, rules.cancelled(now, staff, reason)):
            logger.info("command cancelled", extra={"commandId": command_id, "action": command["action"]})
            done = store.get(command_id)
            return rules.view(done if done is not None else command)


def history(
    contract_id: str, device_id: str, cursor: str | None, limit: int, now: datetime
) -> dict[str, Any]:
    """The device's commands under the contract, newest first, one page (``limit``), each as
    :func:`show` answers it; ``nextCursor`` for the next page (None: the last)."""
    contract = contracts.require(contract_id)
    if contract.device_id != device_id:
        raise UnknownDevice(device_id)
    ids, after = store.history(contract_id, device_id, cursor, limit)
    found = store.get_many(ids)
    items = []
    for command_id in ids:
        command = found.get(command_id)
        if command is None:
            continue
        if delivery.expire(command, now):
            command = store.get(command_id) or command
        items.append(rules.view(command))
    return {"items": items, "nextCursor": after}


def report_result(
    *,
    command_id: str,
    device: Device,
    status: CommandStatus,
    location: dict[str, Decimal] | None,
    failure_reason: str | None,
    now: datetime,
) -> Mapping[str, Any]:
    """The device's report on a command it ran, answered with the command as it now stands
    (``finishedNow`` when this report finished it). Reporting the same outcome again answers the
    command unchanged; R16: a location is dropped, never stored, when the subscriber opted out.
    A BACKUP succeeds only with its upload in the backup bucket."""
    while True:  # a command that changed meanwhile (expired, the same report landed) is judged again
        command = store.get(command_id)
        if (
            command is None
            or command["deviceId"] != device.device_id
            or command["contractId"] != device.contract_id  # the device now serves another contract
        ):
            raise CommandNotFound(command_id, message="This device has no such command.")
        if rules.finished(command):
            if command["status"] == status.value:
                return command
            if command["status"] == CommandStatus.CANCELLED.value:
                # A push already on its way when staff cancelled: the device ran it anyway.
                store.record_late_report(command, status.value, now)
            raise CommandFinished(str(command["status"]))
        if rules.past_expiry(command, now):
            delivery.expire(command, now)
            raise CommandFinished(CommandStatus.EXPIRED.value)
        contract = contracts.get(str(command["contractId"]))
        updates = rules.result(
            command,
            status,
            location=location,
            location_opt_out=contract is None or contract.location_opt_out,
            failure_reason=failure_reason,
            now=now,
        )
        if rules.needs_backup(command, status):
            backup = push.uploaded(keys.backup_object(str(command["contractId"]), command_id))
            if backup is None:
                raise BackupMissing(command_id)
            updates["backup"] = backup
        if store.finish(command, updates):
            return {**command, **updates, "finishedNow": True}
