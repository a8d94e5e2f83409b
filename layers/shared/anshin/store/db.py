"""The tables and DynamoDB's transactions; table names come from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import boto3

from anshin.settings import settings


@cache
def _resource() -> Any:
    return boto3.resource("dynamodb")


@cache
def dynamodb() -> Any:
    """The low-level client (transactions, its modelled exceptions)."""
    return boto3.client("dynamodb")


def table(env_name: str) -> Any:
    """The DynamoDB table whose name is in the environment variable ``env_name``."""
    return _resource().Table(settings.table_name(env_name))


def contracts_table() -> Any:
    return table("CONTRACTS_TABLE")


def sessions_table() -> Any:
    return table("SESSIONS_TABLE")


def read(key: dict[str, str], table: Any = None) -> dict[str, Any] | None:
    """The item under ``key``, read consistently, from the contracts table unless ``table``."""
    item: dict[str, Any] | None = (
        (table or contracts_table()).get_item(Key=key, ConsistentRead=True).get("Item")
    )
    return item


def update_if(
    key: dict[str, str],
    update: str,
    condition: str,
    *,
    values: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
) -> bool:
    """Update the contracts table's item under ``key`` when ``condition`` holds; False when it does
    not (the work is done already, or not allowed). Throttling and other errors are raised."""
    options: dict[str, Any] = {"UpdateExpression": update, "ConditionExpression": condition}
    if values:
        options["ExpressionAttributeValues"] = values
    if names:
        options["ExpressionAttributeNames"] = names
    try:
        contracts_table().update_item(Key=key, **options)
    except dynamodb().exceptions.ConditionalCheckFailedException:
        return False
    return True


def update_op(
    key: dict[str, str],
    update: str,
    *,
    condition: str | None = None,
    values: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A transaction item updating the contracts table's item under ``key``."""
    codec = serializer()
    operation: dict[str, Any] = {
        "TableName": contracts_table().name,
        "Key": codec.key(key),
        "UpdateExpression": update,
    }
    if condition:
        operation["ConditionExpression"] = condition
    if names:
        operation["ExpressionAttributeNames"] = names
    if values:
        operation["ExpressionAttributeValues"] = codec.values(values)
    return {"Update": operation}


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

    def item(self, item: Mapping[str, Any]) -> dict[str, Any]:
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


def query_all(table: Any, **arguments: Any) -> list[dict[str, Any]]:
    """Every item a query finds, page after page."""
    found: list[dict[str, Any]] = []
    while True:
        page = table.query(**arguments)
        found += page["Items"]
        if "LastEvaluatedKey" not in page:
            return found
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
