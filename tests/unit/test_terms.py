"""The terms engine, straight from RULES.md (R9, R11, R12, R13 and the fee rules)."""

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from anshin.domain.terms import (
    JST,
    BillingMonth,
    account_loss_end,
    billing_month_of,
    cancellation_end,
    charged_months,
    end_of_billing_month,
    first_billable_month,
    invoice_amounts,
)
from hypothesis import given
from hypothesis import strategies as st


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


def m(text: str) -> BillingMonth:
    return BillingMonth.parse(text)


class TestBillingMonth:
    def test_parse_and_str_round_trip(self) -> None:
        assert str(m("2026-11")) == "2026-11"
        assert m("2026-11") == BillingMonth(2026, 11)
        assert str(BillingMonth(7, 1)) == "0007-01"

    @pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", " 2026-11"])
    def test_parse_rejects(self, bad: str) -> None:
        with pytest.raises(ValueError):
            BillingMonth.parse(bad)

    def test_arithmetic_crosses_years(self) -> None:
        assert m("2026-11") + 2 == m("2027-01")
        assert m("2027-01") - 1 == m("2026-12")
        assert m("2026-11") + 0 == m("2026-11")
        assert m("2026-11") - 23 == m("2024-12")
        assert m("2026-11") + 14 == m("2028-01")

    def test_ordered_and_hashable(self) -> None:
        assert m("2026-12") < m("2027-01") < m("2027-02")
        assert max(m("2026-12"), m("2026-02")) == m("2026-12")
        assert len({m("2026-11"), BillingMonth(2026, 11)}) == 1

    def test_immutable(self) -> None:
        with pytest.raises(AttributeError):
            m("2026-11").month = 12  # type: ignore[misc]

    @given(st.integers(100, 9000), st.integers(1, 12), st.integers(-500, 500))
    def test_add_then_subtract_is_identity(self, year: int, month: int, n: int) -> None:
        start = BillingMonth(year, month)
        assert (start + n) - n == start
        assert (start + n > start) == (n > 0)


class TestBillingMonthOf:
    @pytest.mark.parametrize(
        ("utc", "expected"),
        [
            # 2026-11-30 14:59:59 UTC is 23:59:59 JST on the 30th: still November.
            (datetime(2026, 11, 30, 14, 59, 59, tzinfo=UTC), "2026-11"),
            # One second later it is 00:00 JST on 1 December, although UTC is still November.
            (datetime(2026, 11, 30, 15, 0, 0, tzinfo=UTC), "2026-12"),
            # New year: 2026-12-31 15:00 UTC is 2027-01-01 00:00 JST.
            (datetime(2026, 12, 31, 15, 0, tzinfo=UTC), "2027-01"),
            (datetime(2026, 12, 31, 14, 59, 59, 999999, tzinfo=UTC), "2026-12"),
        ],
    )
    def test_japan_time_not_utc(self, utc: datetime, expected: str) -> None:
        assert billing_month_of(utc) == m(expected)

    def test_other_offsets_are_converted(self) -> None:
        new_york = timezone(timedelta(hours=-5))
        # 2026-11-30 10:00 in New York is 2026-12-01 00:00 JST.
        assert billing_month_of(datetime(2026, 11, 30, 10, 0, tzinfo=new_york)) == m("2026-12")

    def test_naive_is_refused(self) -> None:
        with pytest.raises(ValueError):
            billing_month_of(datetime(2026, 11, 1))


class TestEndOfBillingMonth:
    @pytest.mark.parametrize(
        ("month", "day"),
        [
            ("2026-11", 30),
            ("2026-12", 31),
            ("2027-02", 28),
            ("2028-02", 29),
            ("2100-02", 28),
            ("2000-02", 29),
        ],
    )
    def test_last_instant_in_jst(self, month: str, day: int) -> None:
        end = end_of_billing_month(m(month))
        bm = m(month)
        assert end == datetime(bm.year, bm.month, day, 23, 59, 59, 999999, tzinfo=JST)
        assert end.utcoffset() == timedelta(hours=9)
        assert billing_month_of(end) == bm
        assert billing_month_of(end + timedelta(microseconds=1)) == bm + 1


class TestCancellationR9:
    def test_last_day_2330_jst_ends_that_month(self) -> None:
        assert cancellation_end(jst(2026, 11, 30, 23, 30)) == jst(2026, 11, 30, 23, 59, 59, 999999)

    def test_0030_jst_next_day_ends_next_month(self) -> None:
        # 2026-12-01 00:30 JST is 2026-11-30 15:30 UTC: Japan time decides, so December.
        notice = jst(2026, 12, 1, 0, 30)
        assert notice.astimezone(UTC).month == 11
        assert cancellation_end(notice) == jst(2026, 12, 31, 23, 59, 59, 999999)

    def test_notice_in_leap_february(self) -> None:
        assert cancellation_end(jst(2028, 2, 3, 12)) == jst(2028, 2, 29, 23, 59, 59, 999999)

    def test_naive_is_refused(self) -> None:
        with pytest.raises(ValueError):
            cancellation_end(datetime(2026, 11, 30, 23, 30))


class TestAccountLossR11:
    def test_ends_at_end_of_month_of_the_event(self) -> None:
        assert account_loss_end(jst(2026, 11, 15, 9)) == jst(2026, 11, 30, 23, 59, 59, 999999)
        assert account_loss_end(datetime(2026, 12, 31, 15, 0, tzinfo=UTC)) == jst(
            2027, 1, 31, 23, 59, 59, 999999
        )


class TestFirstBillableMonthR12:
    def test_first_contract_under_account_is_two_months_later(self) -> None:
        assert first_billable_month(jst(2026, 11, 10), True) == m("2027-01")

    def test_later_contracts_are_charged_from_the_month_they_formed(self) -> None:
        assert first_billable_month(jst(2026, 11, 10), False) == m("2026-11")

    def test_boundary_in_japan_time(self) -> None:
        formed = datetime(2026, 10, 31, 15, 0, tzinfo=UTC)  # 2026-11-01 00:00 JST
        assert first_billable_month(formed, False) == m("2026-11")
        assert first_billable_month(formed, True) == m("2027-01")


class TestChargedMonthsR12:
    @pytest.mark.parametrize(
        ("formed", "first", "ended", "through", "expected"),
        [
            # The first contract formed in November and cancelled in December: never charged.
            (jst(2026, 11, 10), True, cancellation_end(jst(2026, 12, 5)), "2027-03", []),
            # ... cancelled in January: January only.
            (jst(2026, 11, 10), True, cancellation_end(jst(2027, 1, 20)), "2027-03", ["2027-01"]),
            # A second contract formed on the last second of November pays November whole.
            (jst(2026, 11, 30, 23, 59, 59), False, None, "2026-12", ["2026-11", "2026-12"]),
            # Company termination mid-month (R10): that month is charged.
            (jst(2026, 9, 1), False, jst(2026, 11, 15, 10), "2027-01", ["2026-09", "2026-10", "2026-11"]),
            # Open contracts are charged up to "through".
            (jst(2026, 11, 1), False, None, "2026-11", ["2026-11"]),
            (jst(2026, 11, 1), True, None, "2026-12", []),
            # Through earlier than formation: nothing yet.
            (jst(2026, 11, 1), False, None, "2026-10", []),
            # Across a year, first contract: formed December -> February.
            (jst(2026, 12, 31, 23), True, None, "2027-03", ["2027-02", "2027-03"]),
        ],
    )
    def test_table(
        self, formed: datetime, first: bool, ended: datetime | None, through: str, expected: list[str]
    ) -> None:
        assert [str(x) for x in charged_months(formed, first, ended, m(through))] == expected

    def test_end_before_formation_is_an_error(self) -> None:
        with pytest.raises(ValueError):
            charged_months(jst(2026, 11, 2), False, jst(2026, 11, 1), m("2026-12"))

    def test_naive_is_refused(self) -> None:
        with pytest.raises(ValueError):
            charged_months(datetime(2026, 11, 2), False, None, m("2026-12"))


# A strategy of aware instants over several years, in assorted offsets.
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.sampled_from([JST, UTC])
)


class TestChargedMonthsProperties:
    @given(
        instants,
        st.booleans(),
        st.one_of(st.none(), st.timedeltas(timedelta(0), timedelta(days=900))),
        instants,
    )
    def test_properties(
        self, formed: datetime, first: bool, lifetime: timedelta | None, through_at: datetime
    ) -> None:
        ended = None if lifetime is None else formed + lifetime
        through = billing_month_of(through_at)
        months = charged_months(formed, first, ended, through)
        start = first_billable_month(formed, first)
        # No month is charged twice, and months are consecutive (a whole fee per month, no gaps).
        assert len(months) == len(set(months))
        assert months == sorted(months)
        for earlier, later in itertools.pairwise(months):
            assert earlier + 1 == later
        # Never before the first billable month nor after "through" or the end's month.
        assert all(start <= x <= through for x in months)
        if ended is not None:
            assert all(x <= billing_month_of(ended) for x in months)
            # A contract that ends before its first billable month is never charged.
            if billing_month_of(ended) < start:
                assert months == []
        # The count is exactly the months between, whatever the day of the month (no proration).
        last = through if ended is None else min(through, billing_month_of(ended))
        expected = max(0, (last.year * 12 + last.month) - (start.year * 12 + start.month) + 1)
        assert len(months) == expected

    @given(instants, st.booleans(), instants)
    def test_rerun_through_later_month_extends_never_rewrites(
        self, formed: datetime, first: bool, through_at: datetime
    ) -> None:
        # R13: billing month by month charges exactly what one big run would.
        through = billing_month_of(through_at)
        earlier = charged_months(formed, first, None, through - 1)
        later = charged_months(formed, first, None, through)
        assert later[: len(earlier)] == earlier
        assert len(later) - len(earlier) in (0, 1)


class TestInvoiceAmounts:
    def test_tax_once_per_invoice_rounded_down(self) -> None:
        assert invoice_amounts([500]) == (500, 50, 550)
        assert invoice_amounts([500, 500, 500]) == (1500, 150, 1650)
        # 333 + 333 = 666, tax 66.6 -> 66 (once on the sum, not 33 + 33).
        assert invoice_amounts([333, 333]) == (666, 66, 732)
        assert invoice_amounts([333], tax_rate_percent=8) == (333, 26, 359)

    def test_empty_invoice(self) -> None:
        assert invoice_amounts([]) == (0, 0, 0)

    def test_no_negative_lines_r13(self) -> None:
        with pytest.raises(ValueError):
            invoice_amounts([500, -500])

    def test_yen_are_integers(self) -> None:
        with pytest.raises(TypeError):
            invoice_amounts([500.0])  # type: ignore[list-item]

    @given(st.lists(st.integers(0, 10**7), max_size=50), st.integers(0, 30))
    def test_properties(self, lines: list[int], rate: int) -> None:
        subtotal, tax, total = invoice_amounts(lines, rate)
        assert subtotal == sum(lines)
        assert total == subtotal + tax
        assert 0 <= subtotal * rate - tax * 100 < 100  # rounded down, to the yen
