"""Attempt limits: a fixed-window counter per (scope, subject) in the sessions table, expiring
with its window (DynamoDB TTL). One conditional update per attempt, so concurrent attempts
never overshoot the limit."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from anshin.domain.clock import iso
from anshin.domain.credentials import attempt_window, retry_after
from anshin.domain.errors import TooManyAttempts
from anshin.store import db, keys


def check(scope: str, subject: str, limit: int, window: timedelta, now: datetime) -> None:
    """Raise :class:`TooManyAttempts` if the window already holds ``limit`` attempts of
    ``subject``, without counting one (for limits that count failures only, with
    :func:`take_quietly` after a failure)."""
    start, ends = attempt_window(window, now)
    counted = db.read(keys.limit_window(scope, subject, start), db.sessions_table()) or {}
    if int(counted.get("attempts", 0)) >= limit:
        raise TooManyAttempts(retry_after=retry_after(ends, now))


def take_quietly(scope: str, subject: str, limit: int, window: timedelta, now: datetime) -> None:
    """Count one attempt; at the limit already, count nothing more (the next check refuses)."""
    with contextlib.suppress(TooManyAttempts):
        take(scope, subject, limit, window, now)


def take(scope: str, subject: str, limit: int, window: timedelta, now: datetime) -> None:
    """Count one attempt of ``subject`` (a code's MAC, a source address) in ``scope``; raise
    :class:`TooManyAttempts` when the window already holds ``limit``."""
    start, ends = attempt_window(window, now)
    if not db.update_if(
        keys.limit_window(scope, subject, start),
        "ADD attempts :one SET #ttl = :ttl, windowEnds = :ends",
        "attribute_not_exists(attempts) OR attempts < :limit",
        names={"#ttl": "ttl"},
        values={
            ":one": 1,
            ":limit": limit,
            ":ttl": ends,
            ":ends": iso(datetime.fromtimestamp(ends, now.tzinfo)),
        },
        table=db.sessions_table(),
    ):
        raise TooManyAttempts(retry_after=retry_after(ends, now))
