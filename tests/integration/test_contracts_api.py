"""The contracts API (staff) against moto: R8, R9, R10 and invoices, through API Gateway events."""

from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain.terms import BillingMonth
from anshin.services import billing
from anshin.store.keys import shard_of

from tests.integration.conftest import api_call, load_handler
from tests.integration.test_contract_end_and_billing import jst, seed_account, seed_contract


@pytest.fixture
def api(aws_env: dict[str, str]) -> Any:
    return load_handler("contracts_api")


call = api_call


def contract_call(
    api: Any, context: object, method: str, contract_id: str, suffix: str = "", **kw: Any
) -> Any:
    resource = "/contracts/{contractId}" + suffix
    return call(
        api, context, method, f"/contracts/{contract_id}{suffix}", resource, {"contractId": contract_id}, **kw
    )


@pytest.fixture
def contract_id(aws_env: dict[str, str]) -> str:
    seed_account("MC-1", has_formed_contract=True)
    return seed_contract("MC-1", jst(2026, 9, 1), first=False)


def test_every_route_refuses_anonymous_and_non_staff(
    api: Any, lambda_context: object, contract_id: str
) -> None:
    for claims, code in ((None, 401), ({"sub": "u", "cognito:groups": "subscribers"}, 403)):
        assert contract_call(api, lambda_context, "GET", contract_id, claims=claims)[0] == code
        assert (
            contract_call(api, lambda_context, "POST", contract_id, "/cancellation", body={}, claims=claims)[
                0
            ]
            == code
        )
        assert (
            contract_call(
                api, lambda_context, "POST", contract_id, "/termination", body={"reason": "x"}, claims=claims
            )[0]
            == code
        )


def test_read_a_contract(api: Any, lambda_context: object, contract_id: str) -> None:
    status, body = contract_call(api, lambda_context, "GET", contract_id)
    assert status == 200
    assert body["status"] == "ACTIVE"
    assert body["firstBillableMonth"] == "2026-09"
    assert "holder" not in body and "memberCodeMac" not in body
    assert contract_call(api, lambda_context, "GET", "ctr-ffff")[0] == 404


@time_machine.travel("2026-11-30T14:30:00Z", tick=False)  # 23:30 JST on the last day
def test_cancellation_defaults_to_now_and_is_idempotent(
    api: Any, lambda_context: object, contract_id: str
) -> None:
    status, body = contract_call(api, lambda_context, "POST", contract_id, "/cancellation", body={})
    assert (status, body["status"], body["endsAt"]) == (
        200,
        "CANCELLATION_PENDING",
        "2026-11-30T14:59:59.999Z",
    )
    again = contract_call(
        api, lambda_context, "POST", contract_id, "/cancellation", body={"receivedAt": "2026-11-30T10:00:00Z"}
    )
    assert again == (200, body)


@time_machine.travel("2026-11-24T03:00:00Z", tick=False)
def test_notice_from_the_future_is_400(api: Any, lambda_context: object, contract_id: str) -> None:
    status, body = contract_call(
        api, lambda_context, "POST", contract_id, "/cancellation", body={"receivedAt": "2026-12-24T03:00:00Z"}
    )
    assert (status, body["code"]) == (400, "NOTICE_IN_THE_FUTURE")
    status, body = contract_call(
        api, lambda_context, "POST", contract_id, "/cancellation", body={"receivedAt": "2026-11-24T03:00:00"}
    )
    assert status == 400  # a naive time is not an instant


@time_machine.travel("2026-11-15T01:00:00Z", tick=False)
def test_termination_ends_now_and_then_nothing_changes(
    api: Any, lambda_context: object, contract_id: str
) -> None:
    status, body = contract_call(
        api, lambda_context, "POST", contract_id, "/termination", body={"reason": "abuse"}
    )
    assert (status, body["status"], body["endedAt"], body["endReason"]) == (
        200,
        "ENDED",
        "2026-11-15T01:00:00.000Z",
        "COMPANY_TERMINATION",
    )
    for suffix, payload in (("/termination", {"reason": "again"}), ("/cancellation", {})):
        status, body = contract_call(api, lambda_context, "POST", contract_id, suffix, body=payload)
        assert (status, body["code"]) == (409, "CONTRACT_ENDED")


def test_termination_needs_a_reason(api: Any, lambda_context: object, contract_id: str) -> None:
    assert contract_call(api, lambda_context, "POST", contract_id, "/termination", body={})[0] == 400


def test_holder_never_changes_r8(api: Any, lambda_context: object, contract_id: str) -> None:
    holder = {"name": "Someone Else", "email": "x@example.com", "phone": "09099999999"}
    status, body = contract_call(api, lambda_context, "PUT", contract_id, "/holder", body=holder)
    assert (status, body["code"]) == (409, "NON_TRANSFERABLE")
    status, body = contract_call(api, lambda_context, "PATCH", contract_id, body={"holder": holder})
    assert (status, body["code"]) == (409, "NON_TRANSFERABLE")
    stored = (
        boto3.resource("dynamodb")
        .Table("Contracts")
        .get_item(Key={"pk": f"CONTRACT#{contract_id}", "sk": "CONTRACT"})["Item"]
    )
    assert stored["holder"]["name"] == "Seed"


def test_invoice(api: Any, lambda_context: object, contract_id: str) -> None:
    resource = "/accounts/{mobileContractId}/invoices/{month}"
    status, body = call(
        api,
        lambda_context,
        "GET",
        "/accounts/MC-1/invoices/2026-11",
        resource,
        {"mobileContractId": "MC-1", "month": "2026-11"},
    )
    assert (status, body["code"]) == (404, "INVOICE_NOT_FOUND")
    billing.bill_shard(
        BillingMonth.parse("2026-11"), shard_of(contract_id), jst(2026, 12, 1, 1), 500, run_id="t"
    )
    status, body = call(
        api,
        lambda_context,
        "GET",
        "/accounts/MC-1/invoices/2026-11",
        resource,
        {"mobileContractId": "MC-1", "month": "2026-11"},
    )
    assert status == 200
    assert body["lines"] == [{"contractId": contract_id, "month": "2026-11", "amount": 500}]
    assert (body["subtotal"], body["tax"], body["total"]) == (500, 50, 550)
    status, _ = call(
        api,
        lambda_context,
        "GET",
        "/accounts/MC-1/invoices/2026-13",
        resource,
        {"mobileContractId": "MC-1", "month": "2026-13"},
    )
    assert status == 400
