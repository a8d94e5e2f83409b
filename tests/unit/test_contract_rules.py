"""What every stored contract satisfies (R6.4, R9-R12: ``Contract.from_item`` refuses a record
that does not), and how its end is decided: pure."""

from datetime import datetime
from typing import Any

import pytest
from anshin.domain import contract_rules
from anshin.domain.clock import iso
from anshin.domain.entities import Contract
from anshin.domain.errors import InvariantViolation
from anshin.domain.terms import JST

from tests.factories import contract_item


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


def contract(**changes: Any) -> dict[str, Any]:
    """An ACTIVE contract record formed 2026-09-10 12:00 JST, not the account's first (first
    billable 2026-09)."""
    return contract_item(jst(2026, 9, 10, 12), **changes)


PENDING = {"status": "CANCELLATION_PENDING", "endReason": "SUBSCRIBER_CANCELLATION"}


class TestFromItem:
    @pytest.mark.parametrize(
        "changes",
        [
            {},
            {"firstUnderAccount": True, "firstBillableMonth": "2026-11"},  # R12: two months later
            {
                **PENDING,
                "endsAt": iso(jst(2026, 11, 30, 23, 59, 59)),
                "cancellationReceivedAt": iso(jst(2026, 11, 5)),
            },
            # Ended the very instant it formed: allowed (formation <= end).
            {"status": "ENDED", "endReason": "COMPANY_TERMINATION", "endedAt": iso(jst(2026, 9, 10, 12))},
            {"status": "ENDED", "endReason": "ACCOUNT_LOSS", "endedAt": iso(jst(2026, 9, 30, 23, 59))},
        ],
    )
    def test_consistent_contracts_pass(self, changes: dict[str, Any]) -> None:
        parsed = Contract.from_item(contract(**changes))
        assert parsed.to_item() == contract(**changes)  # nothing it holds is lost

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            # The case: a notice before formation, its end before formation (R9).
            (
                {
                    **PENDING,
                    "endsAt": iso(jst(2026, 8, 31, 23, 59)),
                    "cancellationReceivedAt": iso(jst(2026, 8, 3)),
                },
                "NOTICE_BEFORE_FORMATION",
            ),
            ({**PENDING, "endsAt": iso(jst(2026, 8, 31, 23, 59))}, "END_BEFORE_FORMATION"),
            (
                {"status": "ENDED", "endReason": "COMPANY_TERMINATION", "endedAt": iso(jst(2026, 9, 1))},
                "END_BEFORE_FORMATION",
            ),
            (
                {
                    **PENDING,
                    "endsAt": iso(jst(2026, 10, 31)),
                    "cancellationReceivedAt": iso(jst(2026, 11, 5)),
                },
                "END_BEFORE_NOTICE",
            ),
            ({"firstBillableMonth": "2026-11"}, "CORRUPT_CONTRACT"),  # R12 would be misapplied
            ({"formedAt": "2026-09-10T12:00:00"}, "CORRUPT_CONTRACT"),  # no time zone
            ({"formedAt": "last tuesday"}, "CORRUPT_CONTRACT"),
            ({"formedAt": None}, "CORRUPT_CONTRACT"),
            ({"firstUnderAccount": "yes"}, "CORRUPT_CONTRACT"),
            ({"status": "SUSPENDED"}, "CORRUPT_CONTRACT"),  # a status from a future schema
            ({"mobileContractId": ""}, "CORRUPT_CONTRACT"),
            ({"endsAt": iso(jst(2026, 11, 30))}, "CORRUPT_CONTRACT"),  # ACTIVE with an end
            ({"status": "CANCELLATION_PENDING", "endsAt": iso(jst(2026, 11, 30))}, "CORRUPT_CONTRACT"),
            ({**PENDING, "endReason": "BORED", "endsAt": iso(jst(2026, 11, 30))}, "CORRUPT_CONTRACT"),
            ({"status": "ENDED", "endReason": "ACCOUNT_LOSS"}, "CORRUPT_CONTRACT"),  # ENDED, no endedAt
        ],
    )
    def test_inconsistent_contracts_are_named(self, changes: dict[str, Any], code: str) -> None:
        with pytest.raises(InvariantViolation) as raised:
            Contract.from_item(contract(**changes))
        assert raised.value.code == code
        assert raised.value.message

    @pytest.mark.parametrize(
        "field",
        [
            "contractId",
            "mobileContractId",
            "status",
            "formedAt",
            "firstUnderAccount",
            "firstBillableMonth",
            "device",
        ],
    )
    def test_a_missing_field_is_named_not_a_key_error(self, field: str) -> None:
        broken = contract()
        del broken[field]
        with pytest.raises(InvariantViolation, match=field) as raised:
            Contract.from_item(broken)
        assert raised.value.code == "CORRUPT_CONTRACT"


class TestEnds:
    def test_a_notice_ends_the_contract_with_its_month_r9(self) -> None:
        ends = contract_rules.end_on_notice(jst(2026, 9, 10), jst(2026, 11, 30, 23, 30))
        assert ends == jst(2026, 11, 30, 23, 59, 59, 999999)

    def test_a_notice_in_the_month_of_formation_ends_with_that_month(self) -> None:
        assert contract_rules.end_on_notice(jst(2026, 9, 10, 12), jst(2026, 9, 10, 12)) == jst(
            2026, 9, 30, 23, 59, 59, 999999
        )

    def test_a_notice_before_formation_is_refused_r9(self) -> None:
        with pytest.raises(InvariantViolation) as raised:
            contract_rules.end_on_notice(jst(2026, 9, 10, 12), jst(2026, 9, 10, 11, 59))
        assert raised.value.code == "NOTICE_BEFORE_FORMATION"

    def test_account_loss_ends_with_the_month_of_the_loss_r11(self) -> None:
        assert contract_rules.end_on_account_loss(jst(2026, 9, 10), jst(2026, 11, 20)) == jst(
            2026, 11, 30, 23, 59, 59, 999999
        )

    def test_a_contract_formed_after_the_loss_ends_with_its_own_month_r11(self) -> None:
        # The upstream event arrived late: the contract never ends before it formed.
        assert contract_rules.end_on_account_loss(jst(2026, 11, 20), jst(2026, 9, 10)) == jst(
            2026, 11, 30, 23, 59, 59, 999999
        )
