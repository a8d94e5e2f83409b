"""Remote commands to a device (Appendix: lock, wipe, settings backup)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from boto3.dynamodb.conditions import Attr

from anshin import aws
from anshin.clock import iso


class CommandStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


def key(command_id: str) -> dict[str, str]:
    return {"pk": f"CMD#{command_id}", "sk": "CMD"}


def get(command_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        aws.contracts_table().get_item(Key=key(command_id), ConsistentRead=True).get("Item")
    )
    return item


def record_attempt(command_id: str, message_id: str, at: datetime) -> bool:
    """Record one push of the command to its device, once per SNS message.

    A duplicate delivery of the same SNS message changes nothing (returns False); a command
    that already finished is never moved back.
    """
    try:
        aws.contracts_table().update_item(
            Key=key(command_id),
            UpdateExpression=(
                "SET #s = :sent, lastAttemptAt = :at, attempts = if_not_exists(attempts, :zero) + :one "
                "ADD deliveredMessages :msg"
            ),
            ConditionExpression=Attr("pk").exists()
            & Attr("status").is_in([CommandStatus.PENDING.value, CommandStatus.SENT.value])
            & ~Attr("deliveredMessages").contains(message_id),
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":sent": CommandStatus.SENT.value,
                ":at": iso(at),
                ":zero": 0,
                ":one": 1,
                ":msg": {message_id},
            },
        )
    except aws.client("dynamodb").exceptions.ConditionalCheckFailedException:
        return False
    return True
