"""The one place the service reads the wall clock, so tests move it with time-machine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def _wall_clock() -> datetime:
    # datetime.now is looked up at each call: time-machine patches it there.
    return datetime.now(UTC)


_source: Callable[[], datetime] = _wall_clock


def set_source(source: Callable[[], datetime] | None) -> None:
    """Read the time from ``source`` from now on (None: the wall clock again). The seam of the
    local-only layer's time travel (``anshin_local.time_travel``); nothing shipped calls it."""
    global _source
    _source = source or _wall_clock


def now() -> datetime:
    """The current instant, aware, in UTC (convert with ``anshin.terms.JST`` for business dates)."""
    return _source()


def iso(at: datetime) -> str:
    """An aware instant as ISO 8601 in UTC with milliseconds (sortable as a string)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
