"""Fault injection for the local stack: make a named function raise for its next N calls.

Only a local deployment has this module (the local-only layer): with ``anshin:faultInjection`` on
(local turns it on, AWS deployments never do), every function's handler is
``anshin_local.faults.handler``, which wraps the function's own ``app.handler``. Before each call
it installs the clock the environment asks for (``time_travel``), takes one fault, if any is
armed, from the counter ``fault#<function>`` in the idempotency table, and raises
``InjectedFault`` instead of running the function. ``make fault FUNCTION=record_contract
TIMES=2`` (local/faults.py) arms it. The counter is decremented conditionally, so concurrent
calls take exactly N faults.
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from typing import Any

from anshin.settings import settings
from anshin.store import db

from anshin_local import call_log, time_travel

#: The environment of a function deployed with fault injection on.
SWITCH = "ANSHIN_FAULT_INJECTION"
FUNCTION = "ANSHIN_FUNCTION"
WRAPPED = "ANSHIN_HANDLER"


class InjectedFault(Exception):
    """The failure a test asked for (never raised in an AWS deployment)."""


def counter_key(function: str) -> dict[str, str]:
    return {"id": f"fault#{function}"}


def take(function: str) -> bool:
    """Take one armed fault of ``function``; False when none is left."""
    return db.update_if(
        counter_key(function),
        "SET remaining = remaining - :one",
        "remaining > :zero",
        values={":one": 1, ":zero": 0},
        table=db.table(settings.idempotency_table),
    )


@cache
def _wrapped() -> Any:
    module, _, name = os.environ.get(WRAPPED, "app.handler").rpartition(".")
    return getattr(importlib.import_module(module), name)


def handler(event: Any, context: Any) -> Any:
    function = os.environ.get(FUNCTION, "")
    time_travel.install()
    if os.environ.get(call_log.LOG):
        call_log.install()  # before the function's clients exist (the permission check)
    if os.environ.get(SWITCH) == "on" and function and take(function):
        raise InjectedFault(f"fault injected into {function}")
    with call_log.recording(function):
        return _wrapped()(event, context)
