"""R6.3 screening order and R6.2 deferral, as the pure rule ``decide``; what a retried screening and
the applicant read back."""

from typing import Any

import pytest
from anshin.domain.accounts import Account
from anshin.domain.applications import public_view
from anshin.domain.screening import CURRENT_TERMS_VERSION, Decision, Outcome, Reason, decide, outcome_of

APPLICATION: dict[str, Any] = {
    "consent": {"termsVersion": CURRENT_TERMS_VERSION, "locationOptOut": False},
    "device": {"deviceId": "d", "platform": "android", "kind": "smartphone", "model": "m"},
}


def account(**overrides: Any) -> Account:
    values: dict[str, Any] = {
        "mobile_contract_id": "MC",
        "active": True,
        "normal_rate_lines": 1,
        "in_arrears": False,
        "defer_review": False,
        "slots_held": 0,
        "has_formed_contract": False,
    }
    values.update(overrides)
    return Account(**values)


def test_eligible_application_proceeds() -> None:
    assert decide(APPLICATION, account(), False, {}) == Decision(Outcome.PROCEED)


@pytest.mark.parametrize(
    ("application", "acct", "violation", "reason"),
    [
        (APPLICATION, None, False, Reason.INVALID_APPLICATION),  # (1) no such account
        (
            {**APPLICATION, "consent": {"termsVersion": "2015-08-03"}},
            account(),
            False,
            Reason.INVALID_APPLICATION,
        ),
        (APPLICATION, account(in_arrears=True), False, Reason.PAYMENT_RISK),  # (2)
        (APPLICATION, account(), True, Reason.PRIOR_VIOLATION),  # (3)
        (APPLICATION, account(normal_rate_lines=0), False, Reason.NO_ELIGIBLE_RATE_CONTRACT),  # (4)
        (APPLICATION, account(active=False), False, Reason.NO_ELIGIBLE_RATE_CONTRACT),
    ],
)
def test_each_r63_reason(
    application: dict[str, Any], acct: Account | None, violation: bool, reason: Reason
) -> None:
    assert decide(application, acct, violation, {}) == Decision(Outcome.REJECT, reason)


def test_first_matching_reason_wins_in_the_terms_order() -> None:
    everything_wrong = account(in_arrears=True, normal_rate_lines=0)
    assert decide(APPLICATION, everything_wrong, True, {}).reason is Reason.PAYMENT_RISK
    assert decide(APPLICATION, account(normal_rate_lines=0), True, {}).reason is Reason.PRIOR_VIOLATION
    bad_consent = {**APPLICATION, "consent": {"termsVersion": "old"}}
    assert decide(bad_consent, everything_wrong, True, {}).reason is Reason.INVALID_APPLICATION


def test_refusal_beats_deferral() -> None:
    assert (
        decide(APPLICATION, account(in_arrears=True, defer_review=True), False, {}).outcome is Outcome.REJECT
    )


@pytest.mark.parametrize(
    ("acct", "rules"),
    [
        (account(defer_review=True), {}),
        (account(), {"deferAll": True}),
        (account(), {"deferKinds": ["smartphone"]}),
        (account(), {"deferPlatforms": ["android"]}),
    ],
)
def test_deferral_by_account_setting_or_staff_rules_r62(acct: Account, rules: dict[str, Any]) -> None:
    assert decide(APPLICATION, acct, False, rules) == Decision(Outcome.DEFER)


def test_staff_rules_for_other_devices_do_not_defer() -> None:
    assert decide(
        APPLICATION, account(), False, {"deferKinds": ["tablet"], "deferPlatforms": ["ios"]}
    ).outcome is (Outcome.PROCEED)


@pytest.mark.parametrize(
    ("status", "reason", "outcome"),
    [
        ("REJECTED", "PAYMENT_RISK", "REJECT"),
        ("DEFERRED", None, "DEFER"),
        ("APPROVED", None, "PROCEED"),
        ("CONTRACTED", None, "PROCEED"),
    ],
)
def test_a_retried_screening_reads_back_what_was_decided(
    status: str, reason: str | None, outcome: str
) -> None:
    application = {"applicationId": "app-1", "status": status, **({"reason": reason} if reason else {})}
    assert outcome_of(application) == {"applicationId": "app-1", "outcome": outcome, "reason": reason}


def test_the_public_view_shows_the_outcome_and_no_personal_data() -> None:
    stored = {"applicationId": "app-1", "receivedAt": "2026-01-01T00:00:00+09:00", "applicant": {"name": "x"}}
    assert public_view({**stored, "status": "RECEIVED"}) == {
        "applicationId": "app-1",
        "status": "RECEIVED",
        "receivedAt": "2026-01-01T00:00:00+09:00",
    }
    assert public_view({**stored, "status": "REJECTED", "reason": "PAYMENT_RISK"})["reason"] == "PAYMENT_RISK"
    formed = public_view({**stored, "status": "CONTRACTED", "contractId": "ctr-1", "formedAt": "t"})
    assert (formed["contractId"], formed["formedAt"], "applicant" in formed) == ("ctr-1", "t", False)
