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

A command whose contract has ended (anshin.domain.contract_rules.has_ended: recorded, or its
end passed before the month-end run records it) is pushed no more: the relay and the follow-up
read the contract before they act and mark the command ``CANCELLED`` (``cancelReason``
``CONTRACT_ENDED``, audited ``COMMAND_CANCELLED``), the same transition every end gives the
contract's commands in its own transaction (anshin.services.contract_ends); the workflow ends at
its ``Cancelled`` state.

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
from anshin.domain import contract_rules
from anshin.domain.clock import parse_iso
from anshin.domain.commands import Action, CommandStatus
from anshin.domain.entities import Command
from anshin.settings import settings
from anshin.store import commands as store
from anshin.store import contracts, devices, keys


def publish(command: Command, attempt: int) -> None:
    """Hand attempt ``attempt`` of ``command`` to the relay, through the device-command topic."""
    command_topic.publish(
        str(command["commandId"]), attempt, str(command["action"]), command.get("correlationId")
    )


def expire(command: Command, now: datetime) -> bool:
    """Mark an unanswered command (as read) EXPIRED once its expiry has passed. False if it
    finished (or is not due)."""
    return rules.due_to_expire(command, now) and store.finish(command, rules.expired(now))


def _stop_if_contract_ended(command: Command, now: datetime) -> bool:
    """Whether the command's contract has ended at ``now`` (or is gone): then the command, still
    in flight as read, is ``CANCELLED`` with the reason ``CONTRACT_ENDED`` and audited (once: a
    command that finished meanwhile is left as it is). An end recorded in a transaction has done
    this already; an R9 or R11 end that has passed but is not yet recorded (the month-end run
    comes later) is found here, as is a command requested while the end was being written."""
    contract = contracts.get(str(command["contractId"]))
    if contract is not None and not contract_rules.has_ended(contract, now):
        return False
    store.finish(command, rules.cancelled_by_end(now))
    return True


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
    before), ``FINISHED`` or ``CONTRACT_ENDED`` (its contract has ended: cancelled, not pushed)."""
    command = store.get(command_id)
    if command is None or rules.finished(command):
        return "FINISHED"
    if _stop_if_contract_ended(command, now):
        return "CONTRACT_ENDED"
    if attempt == 1:
        # Before the attempt is recorded: if this invocation dies after recording it, the
        # workflow is there already to send the next one, so the command is never stranded.
        _ensure_delivery_workflow(command, now)
    next_at = rules.next_attempt_at(command, _wait_after(command, attempt, now), now)
    if not store.record_attempt(command, attempt, now, next_at):
        # A duplicate, or finished (cancelled, say) since it was read: not pushed either way.
        return "DUPLICATE"
    device = devices.get(str(command["deviceId"]))
    if device is None or device.endpoint_arn is None or device.contract_id != command["contractId"]:
        return "UNREACHABLE"  # not registered, or the device id now serves another contract
    payload = rules.push_data(command)
    if command["action"] == Action.BACKUP.value:
        payload.update(push.upload_form(keys.backup_object(str(command["contractId"]), command_id)))
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
    if _stop_if_contract_ended(command, now):
        done = store.get(command_id) or command
        return {**carried, "commandId": command_id, "next": "DONE", "status": done["status"]}
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
