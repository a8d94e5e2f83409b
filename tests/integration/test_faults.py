"""anshin.faults: the local stack's switch that makes a function raise for its next N calls."""

import sys
import types
from typing import Any

import pytest
from anshin import faults
from anshin.store import db


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


def arm(times: int) -> None:
    db.table("IDEMPOTENCY_TABLE").put_item(Item={**faults.counter_key("demo"), "remaining": times})


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
    item = db.table("IDEMPOTENCY_TABLE").get_item(Key=faults.counter_key("demo"))["Item"]
    assert item["remaining"] == 0  # never below zero


def test_without_the_switch_nothing_is_read(wrapped: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    arm(5)
    monkeypatch.delenv(faults.SWITCH)
    assert faults.handler({"n": 1}, None) == {"ok": True}
    item = db.table("IDEMPOTENCY_TABLE").get_item(Key=faults.counter_key("demo"))["Item"]
    assert item["remaining"] == 5
