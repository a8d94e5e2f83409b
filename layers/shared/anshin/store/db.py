"""The tables and DynamoDB's transactions; table names come from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import boto3

from anshin.domain import paging
from anshin.settings import settings

#: The condition of a write that must create its item (a retry or a second writer finds it there).
IF_ABSENT = "attribute_not_exists(pk)"


@cache
def _resource() -> Any:
    return boto3.resource("dynamodb")


@cache
def dynamodb() -> Any:
    """The low-level client (transactions, its modelled exceptions)."""
    return boto3.client("dynamodb")


def table(name: str) -> Any:
    return _resource().Table(name)


def contracts_table() -> Any:
    return table(settings.contracts_table)


def sessions_table() -> Any:
    return table(settings.sessions_table)


def ledger_table() -> Any:
    """The ledger of charges (R13): invoice lines, appended only (anshin.store.invoices)."""
    return table(settings.ledger_table)


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
    table: Any = None,
) -> bool:
    """Update the item under ``key`` (in the contracts table unless ``table``) when ``condition``
    holds; False when it does not (the work is done already, or not allowed). Throttling and
    other errors are raised."""
    options: dict[str, Any] = {"UpdateExpression": update, "ConditionExpression": condition}
    if values:
        options["ExpressionAttributeValues"] = values
    if names:
        options["ExpressionAttributeNames"] = names
    try:
        (table or contracts_table()).update_item(Key=key, **options)
    except dynamodb().exceptions.ConditionalCheckFailedException:
        return False
    return True


def _operation(
    kind: str,
    target: dict[str, Any],
    condition: str | None = None,
    values: dict[str, Any] | None = None,
    table: Any = None,
    **more: Any,
) -> dict[str, Any]:
    """One transaction item (``Put``, ``Update``, ``Delete``) on ``table`` (the contracts table
    unless told)."""
    operation: dict[str, Any] = {"TableName": (table or contracts_table()).name, **target, **more}
    if condition:
        operation["ConditionExpression"] = condition
    if values:
        operation["ExpressionAttributeValues"] = serializer().values(values)
    return {kind: operation}


def update_op(
    key: dict[str, str],
    update: str,
    *,
    condition: str | None = None,
    values: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
    table: Any = None,
) -> dict[str, Any]:
    """A transaction item updating the item under ``key`` of ``table`` (the contracts table
    unless told)."""
    more: dict[str, Any] = {"UpdateExpression": update}
    if names:
        more["ExpressionAttributeNames"] = names
    return _operation("Update", {"Key": serializer().key(key)}, condition, values, table, **more)


def put_op(
    item: Mapping[str, Any],
    *,
    condition: str | None = None,
    values: dict[str, Any] | None = None,
    table: Any = None,
) -> dict[str, Any]:
    """A transaction item putting ``item`` into ``table`` (the contracts table unless told;
    ``condition``: e.g. IF_ABSENT)."""
    return _operation("Put", {"Item": serializer().item(item)}, condition, values, table)


def delete_op(
    key: dict[str, str], *, condition: str | None = None, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A transaction item deleting the contracts table's item under ``key``."""
    return _operation("Delete", {"Key": serializer().key(key)}, condition, values)


def reset() -> None:
    """Forget the cached clients (tests that start a fresh mock)."""
    _resource.cache_clear()
    dynamodb.cache_clear()


class _Serializer:
    """Python values -> DynamoDB's typed JSON, for the low-level client (transactions)."""

    def __init__(self) -> None:
        from boto3.dynamodb.types import TypeSerializer

        self._to = TypeSerializer()

    def item(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self._to.serialize(v) for k, v in item.items()}

    key = item
    values = item


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


def query_page(
    table: Any,
    cursor: str | None,
    limit: int,
    key_fields: tuple[str, ...],
    partition: dict[str, str],
    prefixes: dict[str, str] | None = None,
    **arguments: Any,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a query for a paged list: up to ``limit`` items and the opaque cursor of the
    next page (None: this was the last). ``key_fields`` are the attributes of the position (the
    table's key, and the index's when querying one); ``partition`` is the one the query reads
    (``{"gsi1pk": ...}``) and ``prefixes`` how the sort keys it reads begin: a cursor naming
    another partition or a key outside that range is ``InvalidCursor``.

    One more item than asked is read, so a full last page says so (no empty page after it)."""
    if cursor is not None:
        arguments["ExclusiveStartKey"] = paging.decode_cursor(cursor, key_fields, prefixes, **partition)
    found = table.query(Limit=limit + 1, **arguments)["Items"]
    if len(found) <= limit:
        return found, None
    page = found[:limit]
    return page, paging.encode_cursor({name: str(page[-1][name]) for name in key_fields})
