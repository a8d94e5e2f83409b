"""R7 support hours and R14 exclusions, as pure rules."""

from datetime import UTC, datetime

import pytest
from anshin.domain.support import EXCLUDED_CATEGORIES, Channel, refusal, within_support_hours
from anshin.domain.terms import JST


@pytest.mark.parametrize(
    ("at", "open_"),
    [
        (datetime(2026, 11, 24, 8, 59, 59, tzinfo=JST), False),
        (datetime(2026, 11, 24, 9, 0, tzinfo=JST), True),
        (datetime(2026, 11, 24, 20, 59, 59, tzinfo=JST), True),
        (datetime(2026, 11, 24, 21, 0, tzinfo=JST), False),
        # 00:30 UTC is 09:30 JST: open, although UTC says it is the middle of the night.
        (datetime(2026, 11, 24, 0, 30, tzinfo=UTC), True),
        # 13:00 UTC is 22:00 JST: closed.
        (datetime(2026, 11, 24, 13, 0, tzinfo=UTC), False),
    ],
)
def test_support_hours_in_japan_time_r7(at: datetime, open_: bool) -> None:
    assert within_support_hours(at) is open_


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        within_support_hours(datetime(2026, 11, 24, 10, 0))


NOON = datetime(2026, 11, 24, 12, 0, tzinfo=JST)


def test_order_of_refusals() -> None:
    night = datetime(2026, 11, 24, 23, 0, tzinfo=JST)
    assert refusal(night, Channel.REMOTE, "UNLAWFUL_REQUEST", "ios") == "OUTSIDE_SUPPORT_HOURS"
    assert refusal(NOON, Channel.REMOTE, "UNLAWFUL_REQUEST", "ios") == "UNSUPPORTED_DEVICE"
    assert refusal(NOON, Channel.PHONE, "UNLAWFUL_REQUEST", "ios") == "UNLAWFUL_REQUEST"


@pytest.mark.parametrize("category", sorted(EXCLUDED_CATEGORIES))
def test_each_r14_exclusion_is_its_own_code(category: str) -> None:
    assert refusal(NOON, Channel.PHONE, category, "android") == category


def test_phone_support_covers_ios_and_remote_covers_android() -> None:
    assert refusal(NOON, Channel.PHONE, "SETTINGS", "ios") is None
    assert refusal(NOON, Channel.REMOTE, "SETTINGS", "android") is None
