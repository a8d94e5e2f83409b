"""The rules behind the staff console's reads (pure): what a cancellation notice received now
would do (R9) and the last month it charges (R12), and why an application was deferred (R6.2)."""

from datetime import datetime
from typing import Any, ClassVar

import pytest
from anshin.domain import errors
from anshin.domain.applications import DeferralReason, deferral_reason, deferred_view
from anshin.domain.billing_rules import last_charged_month
from anshin.domain.clock import iso
from anshin.domain.contract_rules import notice_outcome
from anshin.domain.entities import Contract
from anshin.domain.terms import JST, BillingMonth

from tests.factories import a_contract


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


def contract(formed: datetime, first: bool = False, **more: Any) -> Contract:
    return a_contract(formed, first, **more)


class TestNoticeOutcomeR9:
    def test_an_active_contract_ends_at_the_end_of_the_notices_month_in_japan_time(self) -> None:
        outcome = notice_outcome(contract(jst(2026, 9, 1)), jst(2026, 11, 30, 23, 30))
        assert (iso(outcome.ends_at), outcome.moves) == ("2026-11-30T14:59:59.999Z", True)
        later = notice_outcome(contract(jst(2026, 9, 1)), jst(2026, 12, 1, 0, 30))
        assert iso(later.ends_at) == "2026-12-31T14:59:59.999Z"

    def test_a_pending_contract_keeps_its_end(self) -> None:
        pending = contract(
            jst(2026, 9, 1),
            status="CANCELLATION_PENDING",
            endReason="SUBSCRIBER_CANCELLATION",
            endsAt="2026-10-31T14:59:59.999Z",
        )
        outcome = notice_outcome(pending, jst(2026, 11, 5))
        assert (iso(outcome.ends_at), outcome.moves) == ("2026-10-31T14:59:59.999Z", False)

    def test_a_notice_before_formation_is_refused(self) -> None:
        with pytest.raises(errors.InvariantViolation) as refused:
            notice_outcome(contract(jst(2026, 9, 1)), jst(2026, 8, 31))
        assert refused.value.code == "NOTICE_BEFORE_FORMATION"


class TestLastChargedMonthR12:
    def test_the_month_of_the_end(self) -> None:
        assert last_charged_month(contract(jst(2026, 9, 1)), jst(2026, 11, 30, 23, 59)) == BillingMonth(
            2026, 11
        )

    def test_a_first_contract_ending_before_its_first_billable_month_is_never_charged(self) -> None:
        first = contract(jst(2026, 11, 10), first=True)  # first billable: 2027-01
        assert last_charged_month(first, jst(2026, 12, 31, 23, 59)) is None
        assert last_charged_month(first, jst(2027, 1, 31, 23, 59)) == BillingMonth(2027, 1)


class TestDeferralReasonR62:
    DEVICE: ClassVar[dict[str, str]] = {"platform": "ios", "kind": "tablet", "model": "iPad"}

    @pytest.mark.parametrize(
        ("review", "rules", "reason"),
        [
            (True, {"deferAll": True}, DeferralReason.ACCOUNT_UNDER_REVIEW),
            (False, {"deferAll": True}, DeferralReason.STAFF_RULE_ALL),
            (False, {"deferKinds": ["tablet"], "deferPlatforms": ["ios"]}, DeferralReason.STAFF_RULE_KIND),
            (False, {"deferPlatforms": ["ios"]}, DeferralReason.STAFF_RULE_PLATFORM),
            (False, {"deferKinds": ["smartphone"]}, None),
        ],
    )
    def test_the_first_rule_that_holds(
        self, review: bool, rules: dict[str, Any], reason: DeferralReason | None
    ) -> None:
        assert deferral_reason(review, rules, self.DEVICE) == reason

    def test_the_queue_shows_no_contact_details(self) -> None:
        entry = {
            "pk": "DEFERRED",
            "sk": "APP#t#app-1",
            "applicationId": "app-1",
            "receivedAt": "t",
            "mobileContractId": "MC-1",
            "applicantName": "山田 太郎",
            "device": self.DEVICE,
            "deferredReason": "STAFF_RULE_ALL",
        }
        assert deferred_view(entry) == {
            "applicationId": "app-1",
            "receivedAt": "t",
            "mobileContractId": "MC-1",
            "applicantName": "山田 太郎",
            "device": self.DEVICE,
            "deferredReason": "STAFF_RULE_ALL",
        }
