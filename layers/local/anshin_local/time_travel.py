"""Time travel for a local deployment: the functions' clock runs a set number of seconds ahead.

``local.jobs.time_travel`` sets ``ANSHIN_CLOCK_OFFSET_SECONDS`` on the deployed job functions so
that a demo or an e2e test can close the current month; ``anshin_local.faults.handler`` installs
the shifted clock from it before each call. The shipped package only has the seam
(``anshin.domain.clock.set_source``): no AWS deployment can be shifted, whatever its environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from anshin.domain import clock

#: Seconds the clock of a local deployment's function runs ahead (unset: the wall clock).
OFFSET_VARIABLE = "ANSHIN_CLOCK_OFFSET_SECONDS"


def shifted(offset_seconds: float) -> Callable[[], datetime]:
    """A clock ``offset_seconds`` ahead of the wall clock, read at each call (as time-machine
    patches ``datetime.now``, tests can still move it)."""
    offset = timedelta(seconds=offset_seconds)
    return lambda: datetime.now(UTC) + offset


def install() -> None:
    """Point ``anshin.domain.clock.now`` at the offset the environment names, or back at the wall
    clock when none is set (a warm process keeps no shift the function no longer has)."""
    offset = os.environ.get(OFFSET_VARIABLE)
    clock.set_source(shifted(float(offset)) if offset else None)
