"""Arm the local stack's fault injection (anshin_local.faults, local-only layer): the named function raises
``InjectedFault`` on its next ``times`` calls, then runs normally again."""

from __future__ import annotations

from typing import Any

from anshin.store import db
from anshin_local.faults import counter_key

from local.deploy import client, outputs_of


def _target(endpoint: str) -> tuple[Any, str]:
    return client("dynamodb", endpoint), outputs_of(endpoint, "AnshinData")["IdempotencyTableName"]


def arm(endpoint: str, function: str, times: int) -> None:
    """``function`` is the folder name under functions/ (record_contract, billing_shard...)."""
    dynamodb, table = _target(endpoint)
    item = {**counter_key(function), "remaining": int(times)}
    dynamodb.put_item(TableName=table, Item=db.serializer().item(item))


def remaining(endpoint: str, function: str) -> int:
    """Faults still armed: 0 once the function has failed ``times`` times (or was disarmed)."""
    dynamodb, table = _target(endpoint)
    key = db.serializer().key(counter_key(function))
    item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)
    return int(item.get("Item", {}).get("remaining", {}).get("N", 0))


def disarm(endpoint: str, function: str) -> None:
    dynamodb, table = _target(endpoint)
    dynamodb.delete_item(TableName=table, Key=db.serializer().key(counter_key(function)))
