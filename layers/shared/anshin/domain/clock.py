"""The one place the service reads the wall clock, so tests move it with time-machine."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

#: Time travel for a *local* deployment only (``local.jobs.time_travel``, for the demo and
#: the e2e scenario's month end). The stack never sets it (tests/infra checks).
OFFSET_VARIABLE = "ANSHIN_CLOCK_OFFSET_SECONDS"


def now() -> datetime:
    """The current instant, aware, in UTC (convert with ``anshin.terms.JST`` for business dates)."""
    offset = os.environ.get(OFFSET_VARIABLE)
    return datetime.now(UTC) + timedelta(seconds=float(offset)) if offset else datetime.now(UTC)


def iso(at: datetime) -> str:
    """An aware instant as ISO 8601 in UTC with milliseconds (sortable as a string)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
