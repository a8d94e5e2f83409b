"""The one place the service reads the wall clock, so tests move it with time-machine."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current instant, aware, in UTC (convert with ``anshin.terms.JST`` for business dates)."""
    return datetime.now(UTC)


def iso(at: datetime) -> str:
    """An aware instant as ISO 8601 in UTC with milliseconds (sortable as a string)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
