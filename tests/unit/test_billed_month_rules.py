"""Which closed billing months a late change concerns (R9, R11, R12, R13): pure.

A contract recorded late, or displaced from its account's first-contract claim, is billable for
closed months (billing may already have run for them: they owe a line); an end recorded late can
fall before closed months the contract was billable for (billing may already have charged them:
the charges stand)."""

from datetime import datetime, timedelta
from typing import Any

from anshin.domain import billed_months
from anshin.domain.billing_rules import why_not_charged
from anshin.domain.clock import iso, parse_iso
from anshin.domain.entities import Contract
from anshin.domain.terms import JST, BillingMonth, billing_month_of, charged_months
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import a_contract


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


def months(*texts: str) -> list[BillingMonth]:
    return [BillingMonth.parse(text) for text in texts]


def contract(formed: datetime, first: bool = False, **changes: Any) -> Contract:
    return a_contract(formed, first, **changes)


class TestLastClosedMonth:
    def test_the_month_before_the_one_now_is_in_japan_time(self) -> None:
        assert billed_months.last_closed_month(jst(2026, 12, 1, 0, 0)) == BillingMonth(2026, 11)
        # 30 Nov 23:59 JST is still November: October is the last closed month.
        assert billed_months.last_closed_month(jst(2026, 11, 30, 23, 59)) == BillingMonth(2026, 10)


class TestClosedBillableMonths:
    def test_a_contract_recorded_in_its_own_open_month_concerns_no_closed_month(self) -> None:
        assert (
            billed_months.closed_billable_months(contract(jst(2026, 11, 30, 23)), jst(2026, 11, 30, 23)) == []
        )

    def test_recorded_late_its_billable_months_up_to_the_last_closed_one_r12(self) -> None:
        formed = contract(jst(2026, 9, 10))
        assert billed_months.closed_billable_months(formed, jst(2026, 12, 3)) == months(
            "2026-09", "2026-10", "2026-11"
        )

    def test_the_first_contract_from_two_months_after_it_formed_r12(self) -> None:
        first = contract(jst(2026, 9, 10), first=True)
        assert billed_months.closed_billable_months(first, jst(2026, 12, 3)) == months("2026-11")
        assert billed_months.closed_billable_months(first, jst(2026, 10, 3)) == []

    def test_no_later_than_the_month_of_its_end_scheduled_or_past(self) -> None:
        pending = contract(
            jst(2026, 8, 10),
            status="CANCELLATION_PENDING",
            endReason="SUBSCRIBER_CANCELLATION",
            endsAt=iso(jst(2026, 9, 30, 23, 59)),
        )
        assert billed_months.closed_billable_months(pending, jst(2026, 12, 3)) == months("2026-08", "2026-09")
        ended = contract(
            jst(2026, 8, 10), status="ENDED", endReason="ACCOUNT_LOSS", endedAt=iso(jst(2026, 8, 31, 23))
        )
        assert billed_months.closed_billable_months(ended, jst(2026, 12, 3)) == months("2026-08")


class TestDisplaced:
    def test_the_former_first_is_newly_billable_from_the_month_it_formed_r12(self) -> None:
        before = contract(jst(2026, 9, 10), first=True)
        after = contract(jst(2026, 9, 10), first=False)
        # Billable from November before; from September now: September and October are new.
        assert billed_months.newly_billable_closed_months(before, after, jst(2026, 12, 3)) == months(
            "2026-09", "2026-10"
        )
        # Displaced while its months are still open: nothing closed is concerned.
        assert billed_months.newly_billable_closed_months(before, after, jst(2026, 9, 20)) == []

    def test_an_ended_former_first_only_up_to_its_end(self) -> None:
        ended = {"status": "ENDED", "endReason": "ACCOUNT_LOSS", "endedAt": iso(jst(2026, 9, 30, 23))}
        before = contract(jst(2026, 9, 10), first=True, **ended)
        after = contract(jst(2026, 9, 10), first=False, **ended)
        assert billed_months.newly_billable_closed_months(before, after, jst(2026, 12, 3)) == months(
            "2026-09"
        )


class TestPastEnd:
    def test_a_notice_entered_just_after_its_month_closed_concerns_no_billed_month_r9(self) -> None:
        formed = contract(jst(2026, 8, 10))
        # Arrived on 31 Oct, entered on 2 Nov: ends 31 Oct; October is the last closed month.
        assert billed_months.closed_months_past_end(formed, jst(2026, 10, 31, 23, 59), jst(2026, 11, 2)) == []

    def test_an_end_recorded_months_late_concerns_the_closed_months_after_it_r9_r11(self) -> None:
        formed = contract(jst(2026, 8, 10))
        assert billed_months.closed_months_past_end(
            formed, jst(2026, 8, 31, 23, 59), jst(2026, 11, 2)
        ) == months("2026-09", "2026-10")

    def test_never_a_month_before_the_first_billable_one_r12(self) -> None:
        first = contract(jst(2026, 8, 10), first=True)  # billable from October
        assert billed_months.closed_months_past_end(first, jst(2026, 8, 31, 23, 59), jst(2026, 12, 2)) == (
            months("2026-10", "2026-11")
        )

    @given(
        st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(JST)),
        st.booleans(),
        st.integers(0, 500),
        st.integers(0, 500),
    )
    def test_exactly_the_closed_billable_months_after_the_end_month(
        self, formed_at: datetime, first: bool, end_days: int, now_days: int
    ) -> None:
        ends_at = formed_at + timedelta(days=end_days)
        now = ends_at + timedelta(days=now_days)
        found = billed_months.closed_months_past_end(contract(formed_at, first), ends_at, now)
        last_closed = billing_month_of(now) - 1
        billable = charged_months(formed_at, first, None, last_closed)
        assert found == [m for m in billable if m > billing_month_of(ends_at)]
        assert all(m <= last_closed for m in found)
        # What the end leaves billable and what it leaves charged past it partition the months.
        kept = charged_months(formed_at, first, ends_at, last_closed)
        assert sorted(kept + found) == billable


# --- why a contract is not on an invoice (the subscriber's page, issue 23) ---------------------------
def _contract(formed: str, first: bool, ended: str | None = None) -> Contract:
    if ended:
        return a_contract(parse_iso(formed), first, status="ENDED", endReason="ACCOUNT_LOSS", endedAt=ended)
    return a_contract(parse_iso(formed), first)


def _reason(contract: Contract, month: BillingMonth) -> object:
    """The reason an uncharged ``month`` gives for ``contract``."""
    why = why_not_charged(contract, month, charged=False)
    assert why is not None
    return why["reason"]


def test_why_not_charged_names_the_r12_reason() -> None:
    first = _contract("2026-09-01T01:00:00.000Z", first=True)  # 10:00 JST, first billed 2026-11
    october = BillingMonth.parse("2026-10")
    assert why_not_charged(first, october, charged=False) == {
        "contractId": "ctr-1",
        "reason": "NOT_YET_BILLABLE",
        "firstBillableMonth": "2026-11",
        "firstUnderAccount": True,
    }
    assert why_not_charged(first, BillingMonth.parse("2026-11"), charged=True) is None
    assert _reason(first, BillingMonth.parse("2026-08")) == "FORMED_AFTER"
    # Formed on the 1st at 00:30 JST, still August 31st in UTC: Japan time decides the month.
    midnight = _contract("2026-08-31T15:30:00.000Z", first=False)
    assert _reason(midnight, BillingMonth.parse("2026-08")) == "FORMED_AFTER"
    ended = _contract("2026-09-01T01:00:00.000Z", first=False, ended="2026-10-31T14:59:59.999Z")
    assert why_not_charged(ended, BillingMonth.parse("2026-11"), charged=False) == {
        "contractId": "ctr-1",
        "reason": "ENDED_BEFORE",
        "endedAt": "2026-10-31T14:59:59.999Z",
    }
    # Billable but no line yet (the run has not reached it, or set it aside).
    assert _reason(ended, october) == "NOT_BILLED"
