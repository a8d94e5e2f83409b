"""anshin_local.faults: the local stack's switch that makes a function raise for its next N calls,
and the shifted clock it installs for local time travel."""

import sys
import types
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from anshin.domain import clock
from anshin.settings import settings
from anshin.store import db
from anshin_local import faults, time_travel


@pytest.fixture
def wrapped(monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]) -> list[Any]:
    """A function ``demo`` whose own handler records its calls, deployed with the switch on."""
    calls: list[Any] = []
    module = types.ModuleType("demo_app")
    module.handler = lambda event, context: calls.append(event) or {"ok": True}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "demo_app", module)
    monkeypatch.setenv(faults.SWITCH, "on")
    monkeypatch.setenv(faults.FUNCTION, "demo")
    monkeypatch.setenv(faults.WRAPPED, "demo_app.handler")
    faults._wrapped.cache_clear()
    yield calls
    faults._wrapped.cache_clear()
    clock.set_source(None)  # whatever clock the wrapper installed


def arm(times: int) -> None:
    db.table(settings.idempotency_table).put_item(Item={**faults.counter_key("demo"), "remaining": times})


def test_unarmed_the_function_runs(wrapped: list[Any]) -> None:
    assert faults.handler({"n": 1}, None) == {"ok": True}
    assert wrapped == [{"n": 1}]


def test_the_next_n_calls_raise_then_the_function_runs_again(wrapped: list[Any]) -> None:
    arm(2)
    for _ in range(2):
        with pytest.raises(faults.InjectedFault, match="demo"):
            faults.handler({"n": 1}, None)
    assert wrapped == []  # the function itself never ran
    assert faults.handler({"n": 2}, None) == {"ok": True}
    assert wrapped == [{"n": 2}]
    item = db.table(settings.idempotency_table).get_item(Key=faults.counter_key("demo"))["Item"]
    assert item["remaining"] == 0  # never below zero


def test_without_the_switch_nothing_is_read(wrapped: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    arm(5)
    monkeypatch.delenv(faults.SWITCH)
    assert faults.handler({"n": 1}, None) == {"ok": True}
    item = db.table(settings.idempotency_table).get_item(Key=faults.counter_key("demo"))["Item"]
    assert item["remaining"] == 5


def test_the_wrapper_shifts_the_clock_by_the_offset_of_the_environment_only(
    wrapped: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """local.jobs.time_travel sets the offset on a deployed function; a warm process whose offset
    was removed reads the wall clock again."""
    seen: list[datetime] = []
    sys.modules["demo_app"].handler = lambda event, context: seen.append(clock.now())  # type: ignore[attr-defined]
    with time_machine.travel(datetime(2026, 11, 30, 15, 0, tzinfo=UTC), tick=False):
        monkeypatch.setenv(time_travel.OFFSET_VARIABLE, str(3 * 3600))
        faults.handler({}, None)
        monkeypatch.delenv(time_travel.OFFSET_VARIABLE)
        faults.handler({}, None)
    assert seen == [datetime(2026, 11, 30, 18, 0, tzinfo=UTC), datetime(2026, 11, 30, 15, 0, tzinfo=UTC)]
