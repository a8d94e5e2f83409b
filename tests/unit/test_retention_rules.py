"""When personal data is due to be erased (anshin.domain.retention, docs/retention.md): whole days
in Japan time, the event's own day not counted (民法 Art. 140, 141), at the JST/UTC boundaries."""

from datetime import UTC, datetime, timedelta

import pytest
from anshin.domain import retention
from anshin.domain.terms import JST
from hypothesis import given
from hypothesis import strategies as st


def test_a_refusal_at_1000_jst_is_kept_through_the_90th_day() -> None:
    refused = datetime(2026, 4, 1, 10, 0, tzinfo=JST)
    due = retention.due_at(refused, 90)
    assert due == datetime(2026, 7, 1, 0, 0, tzinfo=JST)
    assert not retention.is_due(refused, 90, due - timedelta(milliseconds=1))
    assert retention.is_due(refused, 90, due)


def test_the_day_counts_in_japan_time_not_utc() -> None:
    # 23:59 JST on 31 March is 14:59 UTC the same day; 00:00 JST on 1 April is 15:00 UTC 31 March.
    last_minute = datetime(2026, 3, 31, 14, 59, tzinfo=UTC)
    first_minute = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert retention.due_at(last_minute, 90) == datetime(2026, 6, 30, 0, 0, tzinfo=JST)
    assert retention.due_at(first_minute, 90) == datetime(2026, 7, 1, 0, 0, tzinfo=JST)


def test_a_month_end_at_the_last_millisecond_and_a_leap_year() -> None:
    ended = datetime(2028, 1, 31, 23, 59, 59, 999000, tzinfo=JST)  # a month end (R9)
    assert retention.due_at(ended, 30) == datetime(2028, 3, 2, 0, 0, tzinfo=JST)  # 29 February counts
    assert retention.due_at(ended, 365) == datetime(2029, 1, 31, 0, 0, tzinfo=JST)


def test_zero_days_is_the_next_day_and_negative_days_are_refused() -> None:
    at = datetime(2026, 5, 15, 10, tzinfo=JST)
    assert retention.due_at(at, 0) == datetime(2026, 5, 16, tzinfo=JST)
    with pytest.raises(ValueError):
        retention.due_at(at, -1)
    with pytest.raises(ValueError):
        retention.cutoff(at, -1)
    with pytest.raises(ValueError):
        retention.due_at(datetime(2026, 5, 15), 1)  # naive


def test_the_cutoff_is_a_japan_midnight() -> None:
    now = datetime(2026, 7, 1, 3, 15, tzinfo=JST)
    assert retention.cutoff(now, 90) == datetime(2026, 4, 2, 0, 0, tzinfo=JST)


instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)


@given(event=instants, now=instants, days=st.integers(min_value=0, max_value=3000))
def test_what_the_work_list_reads_before_the_cutoff_is_exactly_what_is_due(
    event: datetime, now: datetime, days: int
) -> None:
    """The job reads the entries strictly before ``cutoff`` (one key range): those are the due ones."""
    assert (event < retention.cutoff(now, days)) == retention.is_due(event, days, now)


def test_only_final_refusals_are_on_the_application_list() -> None:
    assert {s.value for s in retention.REFUSED_STATUSES} == {"REJECTED", "NOTIFICATION_FAILED"}
