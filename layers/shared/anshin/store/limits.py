"""Attempt limits: a fixed-window counter per (scope, subject) in the sessions table, expiring
with its window (DynamoDB TTL). One conditional update per attempt, so concurrent attempts
never overshoot the limit."""

from __future__ import annotations

from datetime import datetime, timedelta

from anshin.domain.clock import iso
from anshin.domain.credentials import attempt_window, retry_after
from anshin.domain.errors import TooManyAttempts
from anshin.store import db, keys


def check(scope: str, subject: str, limit: int, window: timedelta, now: datetime) -> None:
    """Raise :class:`TooManyAttempts` if the window already holds ``limit`` attempts of
    ``subject``, without counting one (for limits that count failures only, with
    :func:`fail` after a failure)."""
    start, ends = attempt_window(window, now)
    counted = db.read(keys.limit_window(scope, subject, start), db.sessions_table()) or {}
    if int(counted.get("attempts", 0)) >= limit:
        raise TooManyAttempts(retry_after=retry_after(ends, now))


def take(scope: str, subject: str, limit: int, window: timedelta, now: datetime) -> None:
    """Count one attempt of ``subject`` (a code's MAC, a source address) in ``scope``; raise
    :class:`TooManyAttempts` when the window already holds ``limit``."""
    if _count(scope, subject, limit, window, now) is None:
        raise TooManyAttempts(retry_after=retry_after(attempt_window(window, now)[1], now))


def fail(scope: str, subject: str, limit: int, window: timedelta, now: datetime) -> bool:
    """Count one failure of ``subject`` (for limits that count failures only); True when it is
    the one that used the window's allowance up (the moment to tell someone: once per window),
    False below it or past it (nothing more is counted then)."""
    return _count(scope, subject, limit, window, now) == limit


def _count(scope: str, subject: str, limit: int, window: timedelta, now: datetime) -> int | None:
    """Count one attempt, conditional on the window holding fewer than ``limit``: the count now,
    or None when the window was full (nothing counted)."""
    start, ends = attempt_window(window, now)
    try:
        answer = db.sessions_table().update_item(
            Key=keys.limit_window(scope, subject, start),
            UpdateExpression="ADD attempts :one SET #ttl = :ttl, windowEnds = :ends",
            ConditionExpression="attribute_not_exists(attempts) OR attempts < :limit",
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues={
                ":one": 1,
                ":limit": limit,
                ":ttl": ends,
                ":ends": iso(datetime.fromtimestamp(ends, now.tzinfo)),
            },
            ReturnValues="UPDATED_NEW",
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        return None
    return int(answer["Attributes"]["attempts"])
