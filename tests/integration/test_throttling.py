"""DynamoDB throttling in the handlers (tests/integration/throttling.py): a few throttled requests
are retried by the SDK with backoff; past its retries, a workflow step or job shard fails and is
retried by its workflow, an API call answers 503, and in every case nothing is lost or doubled.

The crash tests throttle *every* DynamoDB request from the k-th on, for every k a run makes, so
a step fails at each of its requests in turn."""

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from anshin.domain.terms import JST, BillingMonth
from anshin.services import billing, contracts, screening
from anshin.store import applications as stored_applications
from anshin.store import contracts as contract_store
from botocore.exceptions import ClientError

from tests.integration.conftest import load_handler, member_claims, rest_event, sent_notifications
from tests.integration.test_applications_api import VALID, executions
from tests.integration.test_approval_steps import apply, seed_account, slots
from tests.integration.test_contract_end_and_billing import FEE, bill, seed_contract
from tests.integration.throttling import throttled

pytestmark = pytest.mark.usefixtures("aws_env")
NEVER_ENDING = 10_000  # more throttled requests than any retry budget


def test_a_few_throttled_requests_are_retried_by_the_sdk_with_backoff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_account("MC-1", has_formed_contract=True)
    made = [seed_contract("MC-1", datetime(2026, 9, 1, tzinfo=JST), first=False) for _ in range(3)]
    with throttled(monkeypatch, times=3) as throttle:
        totals = bill("2026-10", datetime(2026, 11, 1, 1, tzinfo=JST))
    assert throttle.refused == 3
    assert len(throttle.backoff) == 3 and all(delay > 0 for delay in throttle.backoff)  # jittered
    assert totals["linesWritten"] == 3
    invoice = billing.invoice_of("MC-1", BillingMonth.parse("2026-10"))
    assert invoice is not None and sorted(line["contractId"] for line in invoice["lines"]) == sorted(made)


def _requests_made(monkeypatch: pytest.MonkeyPatch, run: Any) -> int:
    with throttled(monkeypatch) as counter:
        run()
    return counter.seen


def test_billing_throttled_at_any_request_fails_the_shard_and_the_retry_bills_each_line_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_account("MC-1", has_formed_contract=True)
    made = [seed_contract("MC-1", datetime(2024, 12, 1, tzinfo=JST), first=False) for _ in range(5)]
    month = BillingMonth.parse("2025-01")

    def run(month: BillingMonth) -> None:  # the run that closes ``month``, an hour into the next
        bill(str(month), (month + 1).start() + timedelta(hours=1), page_size=2)

    total = _requests_made(monkeypatch, lambda: run(month - 1))
    assert total > 10
    for k in range(total):
        with throttled(monkeypatch, after=k, times=NEVER_ENDING), pytest.raises(ClientError):
            run(month)
        # The workflow retries the shard (here: the whole run) once DynamoDB has capacity again.
        run(month)
        invoice = billing.invoice_of("MC-1", month)
        assert invoice is not None, k
        assert sorted(line["contractId"] for line in invoice["lines"]) == sorted(made), k
        assert invoice["subtotal"] == 5 * FEE, k
        month += 1


STEPS = (contracts.issue_credentials, contracts.send_notification, contracts.record_contract)


def _approved(mobile_contract_id: str) -> str:
    application_id = apply(mobile_contract_id)
    screening.screen(application_id)
    screening.reserve_slot(application_id)
    return application_id


def _form_with_retries(application_id: str, monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    """The notification workflow's three steps; the step that fails is retried, and the rest
    follow, as its Retry does once DynamoDB has capacity again."""
    failed = len(STEPS)
    with throttled(monkeypatch, after=after, times=NEVER_ENDING):
        for position, step in enumerate(STEPS):
            try:
                step(application_id)
            except ClientError:
                failed = position
                break
    for step in STEPS[failed:]:
        step(application_id)


def test_a_contract_throttled_at_any_request_forms_once_and_notifies_at_least_once(
    monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]
) -> None:
    seed_account("MC-COUNT")
    counted = _approved("MC-COUNT")
    total = _requests_made(monkeypatch, lambda: [step(counted) for step in STEPS])
    assert len(sent_notifications(aws_env)) == 1 and total >= 5
    repeated = []
    for k in range(total):
        account = f"MC-{k:04d}"
        seed_account(account)
        application_id = _approved(account)
        _form_with_retries(application_id, monkeypatch, after=k)
        application = stored_applications.require(application_id)
        assert application["status"] == "CONTRACTED", k
        contract = contract_store.get(application["contractId"])
        assert contract is not None and contract.mobile_contract_id == account, k
        assert slots(account) == 1, k
        notified = [m for m in sent_notifications(aws_env) if m["applicationId"] == application_id]
        assert notified and all(m == notified[0] for m in notified), k  # repeats are identical
        if len(notified) > 1:
            repeated.append(k)
    # Only a failure between SNS accepting the message and formedAt being stored repeats it
    # (deliverers drop it by its notificationId attribute); no other point sends twice.
    assert len(repeated) <= 1


def applying() -> dict[str, Any]:
    """The holder of VALID's account applies (issue 23)."""
    event = rest_event("POST", "/applications", VALID)
    event["requestContext"]["authorizer"] = {"claims": member_claims(VALID["mobileContractId"])}
    return event


def test_an_application_throttled_past_the_sdk_is_503_and_nothing_is_written(
    monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str], lambda_context: object
) -> None:
    api = load_handler("applications_api")
    with throttled(monkeypatch, times=NEVER_ENDING):
        response = api.handler(applying(), lambda_context)
    body = json.loads(response["body"])
    assert (response["statusCode"], body["code"]) == (503, "TEMPORARILY_UNAVAILABLE")
    assert response["multiValueHeaders"].get("Retry-After") == ["1"] or response["headers"].get("Retry-After")
    assert boto3.client("dynamodb").scan(TableName="Contracts")["Count"] == 0
    assert executions(aws_env) == []
    # When DynamoDB has room again, the same request is received once.
    response = api.handler(applying(), lambda_context)
    assert response["statusCode"] == 202
    assert len(executions(aws_env)) == 1


def test_the_notification_carries_the_correlation_id_as_an_attribute(aws_env: dict[str, str]) -> None:
    seed_account("MC-1")
    application_id = _approved("MC-1")
    contracts.issue_credentials(application_id)
    contracts.send_notification(application_id, correlation_id="req-0001")
    message = boto3.client("sqs").receive_message(
        QueueUrl=aws_env["OUTBOX_QUEUE_URL"], MessageAttributeNames=["All"]
    )["Messages"][0]
    assert message["MessageAttributes"]["correlationId"]["StringValue"] == "req-0001"
    assert (
        message["MessageAttributes"]["notificationId"]["StringValue"] == f"CONTRACT_FORMED#{application_id}"
    )
    assert json.loads(message["Body"])["applicationId"] == application_id
