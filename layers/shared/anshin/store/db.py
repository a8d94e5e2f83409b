"""The tables and DynamoDB's transactions; table names come from the environment."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3


@cache
def _resource() -> Any:
    return boto3.resource("dynamodb")


@cache
def dynamodb() -> Any:
    """The low-level client (transactions, its modelled exceptions)."""
    return boto3.client("dynamodb")


def table(env_name: str) -> Any:
    """The DynamoDB table whose name is in the environment variable ``env_name``."""
    return _resource().Table(os.environ[env_name])


def contracts_table() -> Any:
    return table("CONTRACTS_TABLE")


def sessions_table() -> Any:
    return table("SESSIONS_TABLE")


def reset() -> None:
    """Forget the cached clients (tests that start a fresh mock)."""
    _resource.cache_clear()
    dynamodb.cache_clear()


class _Serializer:
    """Python values <-> DynamoDB's typed JSON, for the low-level client (transactions)."""

    def __init__(self) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._to = TypeSerializer()
        self._from = TypeDeserializer()

    def item(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: self._to.serialize(v) for k, v in item.items()}

    key = item
    values = item

    def python(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: self._from.deserialize(v) for k, v in item.items()}


@cache
def serializer() -> _Serializer:
    return _Serializer()


def cancellation_reasons(error: Any) -> list[str | None]:
    """Each transaction item's cancellation code (``ConditionalCheckFailed``, ``None``...), in order."""
    return [r.get("Code") for r in error.response.get("CancellationReasons", [])]


def transact(items: list[dict[str, Any]], optional: int | None = None) -> bool:
    """Run one DynamoDB transaction. False when its first item's condition failed (the work is
    done already or not allowed). When only item ``optional``'s condition failed, the others run
    without it. Any other cancellation is raised."""
    client = dynamodb()
    try:
        client.transact_write_items(TransactItems=items)
    except client.exceptions.TransactionCanceledException as error:
        reasons = cancellation_reasons(error)
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return False
        if optional is not None and len(reasons) > optional and reasons[optional] == "ConditionalCheckFailed":
            return transact(items[:optional] + items[optional + 1 :])
        raise
    return True
