"""The month jobs' pure parts, without AWS: what a billing page charges and sets aside, what a
run records of a record it set aside, the refusals of a contract change, and which failures are
retried (anshin.store.jobs.is_transient classifies DynamoDB's errors)."""

from typing import Any

import pytest
from anshin.domain.billing_rules import Line
from anshin.domain.clock import parse_iso
from anshin.domain.errors import InvariantViolation, NonTransferable, NotModifiable
from anshin.domain.terms import BillingMonth
from anshin.services import billing, contract_ends, jobs
from anshin.store import jobs as job_runs
from botocore.exceptions import ClientError

from tests.factories import contract_item

NOVEMBER = BillingMonth.parse("2026-11")


def contract(contract_id: str, **fields: Any) -> dict[str, Any]:
    """A stored contract record (the jobs read records, and parse each themselves), formed
    2026-09-01 09:00 JST, not the account's first (first billable 2026-09)."""
    return contract_item(parse_iso("2026-09-01T00:00:00.000Z"), contractId=contract_id, **fields)


def test_a_page_charges_the_consistent_contracts_and_sets_the_others_aside() -> None:
    lines, quarantined = billing.lines_of(
        [contract("ctr-a"), contract("ctr-b", firstBillableMonth="2026-10"), contract("ctr-c")], NOVEMBER, 500
    )
    assert lines == [Line("MC-1", "2026-11", "ctr-a", 500), Line("MC-1", "2026-11", "ctr-c", 500)]
    assert [(q["contractId"], q["code"]) for q in quarantined] == [("ctr-b", "CORRUPT_CONTRACT")]


def test_a_set_aside_record_names_the_contract_and_the_error_never_the_record() -> None:
    error = InvariantViolation("CORRUPT_CONTRACT", "status is not a contract status")
    assert jobs.unprocessable({"contractId": "ctr-1", "holder": "secret"}, error) == {
        "contractId": "ctr-1",
        "errorType": "InvariantViolation",
        "code": "CORRUPT_CONTRACT",
        "error": "status is not a contract status",
    }
    assert jobs.unprocessable({"pk": "CONTRACT#x"}, KeyError("formedAt"))["code"] == "UNPROCESSABLE"


@pytest.mark.parametrize(
    ("change", "refusal"),
    [({"holder": {}}, NonTransferable), ({"subscriber": "x"}, NonTransferable), ({"plan": 1}, NotModifiable)],
)
def test_a_contract_never_changes_hands_nor_otherwise_by_request(
    change: dict[str, Any], refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        contract_ends.refuse_change(change)


def test_only_the_infrastructures_failures_are_retried() -> None:
    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "GetItem")
    no_slot = ClientError(
        {
            "Error": {"Code": "TransactionCanceledException"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
        },
        "TransactWriteItems",
    )
    assert job_runs.is_transient(throttled)
    assert not job_runs.is_transient(no_slot)
    assert not job_runs.is_transient(InvariantViolation("CORRUPT_CONTRACT", "bad"))
