"""Delivery of device commands (Appendix): a device that is off or out of signal cannot run a
command, so the command is re-sent with backoff until it expires.

1. The command API publishes ``{commandId, attempt: 1}`` to the device-command topic.
2. The relay (subscribed to the topic) makes sure the command's delivery workflow runs (one
   execution per command, named by its id), records the attempt once, and pushes the command to
   the device's platform endpoint.
3. The delivery workflow waits (doubling, capped, never past the expiry), then asks
   :func:`follow_up`: a finished command ends it; an expired one is marked ``EXPIRED``; otherwise
   the next attempt is published to the topic, and the relay pushes it again.

Every step can run twice safely: the execution name, the per-attempt condition and the final
transition are all conditional.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime
from typing import Any

from anshin.adapters import aws, push
from anshin.domain.clock import parse_iso
from anshin.services import commands, devices
from anshin.services.commands import Action, CommandStatus


def retry_settings() -> tuple[int, int]:
    """(base, max) seconds between pushes, from the stack's settings."""
    return int(os.environ.get("COMMAND_RETRY_BASE_SECONDS", "60")), int(
        os.environ.get("COMMAND_RETRY_MAX_SECONDS", "3600")
    )


def publish(command: dict[str, Any], attempt: int) -> None:
    """Hand attempt ``attempt`` of ``command`` to the relay, through the device-command topic."""
    aws.client("sns").publish(
        TopicArn=os.environ["DEVICE_COMMAND_TOPIC_ARN"],
        Message=json.dumps(
            {
                "commandId": command["commandId"],
                "attempt": attempt,
                "correlationId": command.get("correlationId"),
            }
        ),
        MessageAttributes={"action": {"DataType": "String", "StringValue": str(command["action"])}},
    )


def _wait_after(command: dict[str, Any], attempt: int, now: datetime) -> int:
    base, cap = retry_settings()
    left = (parse_iso(str(command["expiresAt"])) - now).total_seconds()
    return commands.next_wait(attempt, base_seconds=base, max_seconds=cap, seconds_left=left)


def _ensure_delivery_workflow(command: dict[str, Any], now: datetime) -> None:
    sfn = aws.client("stepfunctions")
    # A duplicate delivery of the first attempt finds the workflow running already.
    with contextlib.suppress(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(
            stateMachineArn=os.environ["COMMAND_DELIVERY_STATE_MACHINE_ARN"],
            name=str(command["commandId"]),
            input=json.dumps(
                {
                    "commandId": command["commandId"],
                    "attempt": 1,
                    "waitSeconds": _wait_after(command, 1, now),
                    "correlationId": command.get("correlationId"),
                }
            ),
        )


def relay(command_id: str, attempt: int, now: datetime) -> str:
    """Push attempt ``attempt`` of the command to its device. Answers what happened:
    ``PUSHED``, ``UNREACHABLE`` (the endpoint refused), ``DUPLICATE`` (this attempt was relayed
    before) or ``FINISHED``."""
    command = commands.get(command_id)
    if command is None or command["status"] in commands.FINISHED:
        return "FINISHED"
    if attempt == 1:
        # Before the attempt is recorded: if this invocation dies after recording it, the
        # workflow is there already to send the next one, so the command is never stranded.
        _ensure_delivery_workflow(command, now)
    if not commands.record_attempt(command_id, attempt, now):
        return "DUPLICATE"
    device = devices.get(str(command["deviceId"]))
    if device is None or "endpointArn" not in device or device.get("contractId") != command["contractId"]:
        return "UNREACHABLE"  # not registered, or the device id now serves another contract
    # FCM v1 data: string values only.
    payload: dict[str, str] = {
        "commandId": command_id,
        "action": str(command["action"]),
        "expiresAt": str(command["expiresAt"]),
    }
    if command["action"] == Action.BACKUP.value:
        payload["uploadUrl"] = push.upload_url(commands.backup_key(str(command["contractId"]), command_id))
    expires_at = parse_iso(payload["expiresAt"])
    endpoints = [str(device["endpointArn"])]
    if (
        command["action"] == Action.LOCK.value
        and device.get("previousEndpointArn")
        and parse_iso(str(device["previousEndpointUntil"])) > now
    ):
        # Within the cooldown after the app was registered again, a lock also goes to the app
        # registered before: if the new one is someone else's, the subscriber's phone still locks.
        endpoints.append(str(device["previousEndpointArn"]))
    pushed = [push.send(endpoint, payload, expires_at) for endpoint in endpoints]
    return "PUSHED" if any(pushed) else "UNREACHABLE"


def follow_up(command_id: str, attempt: int, now: datetime) -> dict[str, Any]:
    """After the wait that followed push ``attempt``: end, expire, or send the next attempt."""
    command = commands.get(command_id)
    if command is None or command["status"] in commands.FINISHED:
        return {"commandId": command_id, "next": "DONE", "status": command and command["status"]}
    carried = {"correlationId": command.get("correlationId")}
    if parse_iso(str(command["expiresAt"])) <= now:
        return {
            **carried,
            "commandId": command_id,
            "next": "DONE",
            "status": CommandStatus.EXPIRED.value,
            "action": command["action"],
            "expiredNow": commands.expire(command, now),
        }
    publish(command, attempt + 1)
    return {
        **carried,
        "commandId": command_id,
        "next": "RESEND",
        "attempt": attempt + 1,
        "waitSeconds": _wait_after(command, attempt + 1, now),
    }
