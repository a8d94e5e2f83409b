"""Delivery of device commands (Appendix): a device that is off or out of signal cannot run a
command, so the command is re-sent with backoff until it expires.

1. The command API publishes ``{commandId, attempt: 1}`` to the device-command topic.
2. The relay (subscribed to the topic) makes sure the command's delivery workflow runs (one
   execution per command, named by its id), records the attempt once, and pushes the command to
   the device's platform endpoint.
3. The delivery workflow waits (doubling, capped, never past the expiry), then asks
   :func:`follow_up`: a finished command ends it (a ``CANCELLED`` one too: the workflow ends
   cleanly); an expired one is marked ``EXPIRED``; otherwise the next attempt is published to the
   topic, and the relay pushes it again.

Each attempt is recorded with when the workflow pushes again (``nextAttemptAt``, the wait after
it) and audited. The relay reads the command's stored status before every push, and records the
attempt only while it is in flight: a command cancelled (or finished) meanwhile is not pushed.

Every step can run twice safely: the execution name, the per-attempt condition and the final
transition are all conditional.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from anshin.adapters import command_topic, push, workflows
from anshin.domain import commands as rules
from anshin.domain.clock import parse_iso
from anshin.domain.commands import Action, CommandStatus
from anshin.domain.entities import Command
from anshin.settings import settings
from anshin.store import commands as store
from anshin.store import devices, keys


def publish(command: Command, attempt: int) -> None:
    """Hand attempt ``attempt`` of ``command`` to the relay, through the device-command topic."""
    command_topic.publish(
        str(command["commandId"]), attempt, str(command["action"]), command.get("correlationId")
    )


def expire(command: Command, now: datetime) -> bool:
    """Mark an unanswered command (as read) EXPIRED once its expiry has passed. False if it
    finished (or is not due)."""
    return rules.due_to_expire(command, now) and store.finish(command, rules.expired(now))


def _wait_after(command: Command, attempt: int, now: datetime) -> int:
    base, cap = settings.command_retry_seconds
    left = (parse_iso(str(command["expiresAt"])) - now).total_seconds()
    return rules.next_wait(attempt, base_seconds=base, max_seconds=cap, seconds_left=left)


def _ensure_delivery_workflow(command: Command, now: datetime) -> None:
    # A duplicate delivery of the first attempt finds the workflow running already.
    with contextlib.suppress(workflows.AlreadyStarted):
        workflows.start(
            settings.command_delivery_state_machine_arn,
            str(command["commandId"]),
            {
                "commandId": command["commandId"],
                "attempt": 1,
                "waitSeconds": _wait_after(command, 1, now),
                "correlationId": command.get("correlationId"),
            },
        )


def relay(command_id: str, attempt: int, now: datetime) -> str:
    """Push attempt ``attempt`` of the command to its device. Answers what happened:
    ``PUSHED``, ``UNREACHABLE`` (the endpoint refused), ``DUPLICATE`` (this attempt was relayed
    before) or ``FINISHED``."""
    command = store.get(command_id)
    if command is None or rules.finished(command):
        return "FINISHED"
    if attempt == 1:
        # Before the attempt is recorded: if this invocation dies after recording it, the
        # workflow is there already to send the next one, so the command is never stranded.
        _ensure_delivery_workflow(command, now)
    next_at = rules.next_attempt_at(command, _wait_after(command, attempt, now), now)
    if not store.record_attempt(command, attempt, now, next_at):
        # A duplicate, or finished (cancelled, say) since it was read: not pushed either way.
        return "DUPLICATE"
    device = devices.get(str(command["deviceId"]))
    if device is None or "endpointArn" not in device or device.get("contractId") != command["contractId"]:
        return "UNREACHABLE"  # not registered, or the device id now serves another contract
    payload = rules.push_data(command)
    if command["action"] == Action.BACKUP.value:
        payload["uploadUrl"] = push.upload_url(keys.backup_object(str(command["contractId"]), command_id))
    expires_at = parse_iso(payload["expiresAt"])
    pushed = [
        push.send(endpoint, payload, expires_at) for endpoint in rules.push_targets(command, device, now)
    ]
    return "PUSHED" if any(pushed) else "UNREACHABLE"


def follow_up(command_id: str, attempt: int, now: datetime) -> dict[str, Any]:
    """After the wait that followed push ``attempt``: end, expire, or send the next attempt."""
    command = store.get(command_id)
    if command is None or rules.finished(command):
        return {"commandId": command_id, "next": "DONE", "status": command and command["status"]}
    carried = {"correlationId": command.get("correlationId")}
    if rules.past_expiry(command, now):
        return {
            **carried,
            "commandId": command_id,
            "next": "DONE",
            "status": CommandStatus.EXPIRED.value,
            "action": command["action"],
            "expiredNow": expire(command, now),
        }
    publish(command, attempt + 1)
    return {
        **carried,
        "commandId": command_id,
        "next": "RESEND",
        "attempt": attempt + 1,
        "waitSeconds": _wait_after(command, attempt + 1, now),
    }
