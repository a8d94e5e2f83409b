"""R12's order of formation (anshin.domain.contract_rules): which contract of an account formed
first, decided the same way whatever order they are recorded in; pure."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from anshin.domain.contract_rules import FirstClaim, FirstClaimMove, first_claim_move, formation_order
from hypothesis import given
from hypothesis import strategies as st

AT = datetime(2026, 11, 30, 14, 59, 59, 123000, tzinfo=UTC)


def test_milliseconds_decide_first() -> None:
    assert formation_order(AT, 2, "b") < formation_order(AT + timedelta(milliseconds=1), 1, "a")


def test_in_the_same_millisecond_the_earlier_received_is_first_then_the_id() -> None:
    assert formation_order(AT, 1, "z") < formation_order(AT, 2, "a")
    assert formation_order(AT, 9, "z") < formation_order(AT, 10, "a")  # numbers, not text
    assert formation_order(AT, None, "a") < formation_order(AT, None, "b")
    assert formation_order(AT, 999, "z") < formation_order(AT, None, "a")  # no sequence: last


def test_the_same_instant_in_any_zone_or_text_is_the_same_order() -> None:
    jst = AT.astimezone(timezone(timedelta(hours=9)))
    assert formation_order(jst, 1, "a") == formation_order(AT, 1, "a")
    assert formation_order("2026-11-30T14:59:59.123Z", 1, "a") == formation_order(AT, 1, "a")
    # Below the millisecond is not part of the order (formedAt is stored to the millisecond).
    assert formation_order(AT + timedelta(microseconds=999), 1, "a") == formation_order(AT, 1, "a")


@pytest.mark.parametrize("bad", [datetime(2026, 1, 1), "2026-01-01T00:00:00"])
def test_a_naive_instant_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="time zone"):
        formation_order(bad, 1, "a")  # type: ignore[arg-type]


def test_claim_moves() -> None:
    mine = formation_order(AT, 2, "a")
    earlier, later = formation_order(AT, 1, "b"), formation_order(AT, 3, "c")
    assert first_claim_move(mine, FirstClaim()) is FirstClaimMove.CLAIM
    assert first_claim_move(mine, FirstClaim("ctr-b", earlier, True)) is FirstClaimMove.LATER
    assert first_claim_move(mine, FirstClaim("ctr-c", later, True)) is FirstClaimMove.DISPLACE
    # An account with contracts from before (the mirror says so, or a claim without its order)
    # has its first already: never displaced.
    assert first_claim_move(mine, FirstClaim(had_contract=True)) is FirstClaimMove.LATER
    assert first_claim_move(mine, FirstClaim("ctr-old", None, True)) is FirstClaimMove.LATER


instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
).map(lambda at: at.replace(microsecond=at.microsecond // 1000 * 1000))
contracts = st.lists(
    st.tuples(instants, st.integers(min_value=1, max_value=10**6)),
    min_size=1,
    max_size=8,
    unique_by=lambda c: c[1],
)


@given(contracts, st.randoms(use_true_random=False))
def test_applying_the_moves_in_any_recording_order_leaves_the_earliest_holding_the_claim(
    formed: list[tuple[datetime, int]], rnd: object
) -> None:
    """A model of the claim: each recording applies its move; whatever the recording order, the
    claim ends with the contract first in (formedAt, then sequence), and every move is a step to
    an earlier one (so it can never cycle)."""
    orders = [formation_order(at, sequence, f"app-{sequence}") for at, sequence in formed]
    recording = list(orders)
    rnd.shuffle(recording)  # type: ignore[attr-defined]
    held = FirstClaim()
    for order in recording:
        move = first_claim_move(order, held)
        if move is not FirstClaimMove.LATER:
            assert held.order is None or order < held.order
            held = FirstClaim(order, order, True)
    earliest = min(formed)
    assert held.order == formation_order(earliest[0], earliest[1], f"app-{earliest[1]}")
