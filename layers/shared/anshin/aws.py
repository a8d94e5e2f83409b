"""Small, cached AWS clients; the endpoint comes from the environment (AWS_ENDPOINT_URL)."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3


@cache
def resource(name: str) -> Any:
    return boto3.resource(name)


@cache
def client(name: str) -> Any:
    return boto3.client(name)


def table(env_name: str) -> Any:
    """The DynamoDB table whose name is in the environment variable ``env_name``."""
    return resource("dynamodb").Table(os.environ[env_name])


def contracts_table() -> Any:
    return table("CONTRACTS_TABLE")


def sessions_table() -> Any:
    return table("SESSIONS_TABLE")


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
    dynamodb = client("dynamodb")
    try:
        dynamodb.transact_write_items(TransactItems=items)
    except dynamodb.exceptions.TransactionCanceledException as error:
        reasons = cancellation_reasons(error)
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return False
        if optional is not None and len(reasons) > optional and reasons[optional] == "ConditionalCheckFailed":
            return transact(items[:optional] + items[optional + 1 :])
        raise
    return True
