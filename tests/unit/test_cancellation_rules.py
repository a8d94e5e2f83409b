"""The web cancellation's one-time code (R9, anshin.domain.cancellations), without I/O: how it is
drawn, how long it works, what a try with it amounts to, and when wrong tries lock it."""

from datetime import UTC, datetime, timedelta

import pytest
from anshin.domain import cancellations as rules
from anshin.domain.cancellations import RequestStatus, Verdict
from anshin.domain.clock import iso

SENT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def request(**fields: object) -> dict[str, object]:
    return {
        "status": RequestStatus.PENDING.value,
        "expiresAt": iso(SENT + rules.CODE_VALID_FOR),
        "wrongAttempts": 0,
        "codeDigest": "a" * 64,
        **fields,
    }


def test_a_code_is_six_digits_leading_zeros_kept_from_the_whole_range() -> None:
    assert rules.new_code(lambda n: 42) == "000042"
    assert rules.new_code(lambda n: n - 1) == "999999"
    drawn = {rules.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in drawn) and len(drawn) > 150


def test_a_request_id_is_unguessable_and_a_codes_digest_is_bound_to_its_request() -> None:
    assert rules.new_request_id(lambda n: "f" * 2 * n) == "cxl-" + "f" * 32
    assert rules.code_message("cxl-1", "123456") != rules.code_message("cxl-2", "123456")
    assert rules.code_message("cxl-1", "123456").startswith("cancel:")  # never a member code's


def test_the_right_code_in_time_is_accepted_a_wrong_one_is_not() -> None:
    assert rules.judge(request(), "a" * 64, SENT) is Verdict.ACCEPTED
    assert rules.judge(request(), "b" * 64, SENT) is Verdict.WRONG


def test_a_request_for_no_contract_takes_no_code_at_all() -> None:
    decoy = request()
    del decoy["codeDigest"]
    assert rules.judge(decoy, "", SENT) is Verdict.WRONG
    assert rules.judge(decoy, "a" * 64, SENT) is Verdict.WRONG


@pytest.mark.parametrize(
    ("after", "verdict"),
    [(timedelta(minutes=9, seconds=59), Verdict.ACCEPTED), (timedelta(minutes=10), Verdict.EXPIRED)],
)
def test_a_code_works_ten_minutes(after: timedelta, verdict: Verdict) -> None:
    assert rules.judge(request(), "a" * 64, SENT + after) is verdict


def test_five_wrong_codes_lock_even_the_right_one_and_expiry_tells_nothing_of_the_code() -> None:
    assert [rules.locks(n) for n in range(6)] == [False] * 5 + [True]
    assert rules.attempts_left(request(wrongAttempts=3)) == 2
    locked = request(wrongAttempts=5)
    assert rules.judge(locked, "a" * 64, SENT) is Verdict.LOCKED
    late = SENT + timedelta(hours=1)
    assert rules.judge(request(), "a" * 64, late) == rules.judge(request(), "b" * 64, late) == Verdict.EXPIRED


def test_a_confirmed_request_accepts_its_own_code_again_later_and_no_other() -> None:
    done = request(status=RequestStatus.CONFIRMED.value, wrongAttempts=5)
    late = SENT + timedelta(hours=2)
    assert rules.judge(done, "a" * 64, late) is Verdict.ACCEPTED
    assert rules.judge(done, "b" * 64, late) is Verdict.WRONG
