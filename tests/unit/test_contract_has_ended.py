"""Issue 24, finding 5: a contract whose end has passed is ended for every purpose at once
(anshin.domain.contract_rules.has_ended), and what its commands become (CANCELLED, not EXPIRED)."""

from datetime import datetime, timedelta

from anshin.domain.commands import CONTRACT_ENDED, CommandStatus, cancelled_by_end, finished
from anshin.domain.contract_rules import has_ended
from anshin.domain.terms import JST

from tests.factories import a_contract

END = datetime(2026, 11, 30, 23, 59, 59, 999000, tzinfo=JST)


def test_an_active_contract_has_not_ended() -> None:
    assert not has_ended(a_contract(), END + timedelta(days=400))


def test_a_recorded_end_is_an_end_whenever_it_is_asked() -> None:
    ended = a_contract(status="ENDED", endReason="COMPANY_TERMINATION", endedAt="2026-11-30T14:59:59.999Z")
    assert has_ended(ended, END - timedelta(days=1))


def test_a_scheduled_end_is_an_end_from_its_instant_month_end_run_or_not() -> None:
    pending = a_contract(
        status="CANCELLATION_PENDING", endReason="SUBSCRIBER_CANCELLATION", endsAt="2026-11-30T14:59:59.999Z"
    )
    assert not has_ended(pending, END - timedelta(milliseconds=1))
    assert has_ended(pending, END)  # the end's own instant: ended, as a device token is revoked then
    assert has_ended(pending, END + timedelta(days=3))  # the month-end run failed: still ended


def test_a_command_stopped_by_its_contracts_end_is_cancelled_by_nobody_with_the_reason() -> None:
    now = END + timedelta(seconds=1)
    update = cancelled_by_end(now)
    assert update == {
        "status": CommandStatus.CANCELLED.value,
        "finishedAt": "2026-11-30T15:00:00.999Z",
        "cancelledAt": "2026-11-30T15:00:00.999Z",
        "cancelReason": CONTRACT_ENDED,
    }
    assert finished({"status": update["status"]})  # type: ignore[typeddict-item]
