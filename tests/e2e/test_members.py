"""Only the account's holder applies, reads and changes it (Art. 5, issue 23), over HTTP through
the deployed stage: a stranger signed in as the member of account A can neither apply on B nor
read B's application, contracts or invoices, nor cancel or change B's contracts; staff and member
tokens each stay on their own routes; a burst of applications stops at the day's limit."""

from collections.abc import Callable
from typing import Any

import pytest
import requests

from local.service import LocalService
from tests.e2e.conftest import member_request, member_token, staff_request, staff_token
from tests.e2e.test_applications import account_item, application, apply, holder_of, settled

#: A token whose signature no pool made (the authorizer refuses it before any function runs).
FORGED = "eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.eyJzdWIiOiJ4IiwiY3VzdG9tOm1vYmlsZUNvbnRyYWN0SWQiOiJNQy1YIn0.c2ln"


@pytest.fixture(scope="module")
def victim(local_service: LocalService) -> dict[str, str]:
    """Account B with a formed contract of its holder's, and account A of a stranger."""
    from tests.e2e.conftest import new_account

    b = new_account(local_service)
    a = new_account(local_service)
    application_id = apply(local_service, application(b))
    contracted = settled(local_service, application_id)
    assert contracted["status"] == "CONTRACTED", contracted
    return {"a": a, "b": b, "application": application_id, "contract": contracted["contractId"]}


def test_a_stranger_cannot_apply_on_another_account(
    local_service: LocalService, aws_client: Callable[[str], Any], victim: dict[str, str]
) -> None:
    before = account_item(local_service, aws_client, victim["b"])
    answer = requests.post(
        f"{local_service.api_url}/applications",
        json=application(victim["b"]),
        headers=holder_of(local_service, victim["a"]),
        timeout=30,
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "NOT_ACCOUNT_HOLDER")
    # Nothing written: the account's line and slots are as they were.
    assert account_item(local_service, aws_client, victim["b"]) == before


def test_a_stranger_reads_nothing_of_another_account(
    local_service: LocalService, victim: dict[str, str]
) -> None:
    a, contract = victim["a"], victim["contract"]
    status, answer = member_request(local_service, a, "GET", f"/applications/{victim['application']}")
    assert (status, answer["code"]) == (404, "APPLICATION_NOT_FOUND")
    status, mine = member_request(local_service, a, "GET", "/me")
    assert status == 200 and mine["mobileContractId"] == a and mine["contracts"] == []
    assert member_request(local_service, a, "GET", "/me/invoices")[1]["items"] == []
    status, answer = member_request(local_service, a, "GET", f"/me/contracts/{contract}/cancellation/preview")
    assert (status, answer["code"]) == (404, "CONTRACT_NOT_FOUND")
    # The holder sees it all.
    status, theirs = member_request(local_service, victim["b"], "GET", "/me")
    assert [c["contractId"] for c in theirs["contracts"]] == [contract]


def test_a_stranger_cannot_cancel_or_change_another_accounts_contract(
    local_service: LocalService, victim: dict[str, str]
) -> None:
    a, contract = victim["a"], victim["contract"]
    preview = member_request(
        local_service, victim["b"], "GET", f"/me/contracts/{contract}/cancellation/preview"
    )[1]
    for method, suffix, body in (
        ("POST", "/cancellation", {"endsAt": preview["endsAt"]}),
        ("PATCH", "", {"locationOptOut": True}),
    ):
        status, answer = member_request(local_service, a, method, f"/me/contracts/{contract}{suffix}", body)
        assert (status, answer["code"]) == (404, "CONTRACT_NOT_FOUND"), (method, suffix)
    status, seen = staff_request(local_service, "GET", f"/contracts/{contract}")
    assert (seen["status"], seen["locationOptOut"]) == ("ACTIVE", False)


def test_the_holder_changes_the_opt_out_and_gives_notice(
    local_service: LocalService, victim: dict[str, str]
) -> None:
    b, contract = victim["b"], victim["contract"]
    status, changed = member_request(
        local_service, b, "PATCH", f"/me/contracts/{contract}", {"locationOptOut": True}
    )
    assert (status, changed["locationOptOut"]) == (200, True)
    assert staff_request(local_service, "GET", f"/contracts/{contract}")[1]["locationOptOut"] is True
    status, preview = member_request(
        local_service, b, "GET", f"/me/contracts/{contract}/cancellation/preview"
    )
    assert status == 200
    status, stale = member_request(
        local_service,
        b,
        "POST",
        f"/me/contracts/{contract}/cancellation",
        {"endsAt": "2000-01-31T14:59:59.999Z"},
    )
    assert (status, stale["code"], stale["endsAt"]) == (409, "END_CHANGED", preview["endsAt"])
    status, noticed = member_request(
        local_service, b, "POST", f"/me/contracts/{contract}/cancellation", {"endsAt": preview["endsAt"]}
    )
    assert (status, noticed["status"], noticed["endsAt"]) == (200, "CANCELLATION_PENDING", preview["endsAt"])
    # Both are on the contract's timeline, as the subscriber's own doing.
    events = staff_request(local_service, "GET", f"/contracts/{contract}/timeline")[1]["items"]
    mine = {e["event"]: e["details"].get("channel") for e in events if e["kind"] == "CONTRACT"}
    assert mine["LOCATION_OPT_OUT_CHANGED"] == mine["CANCELLATION_RECEIVED"] == "MY_PAGE"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/applications"), ("GET", "/applications/app-x"), ("GET", "/me"), ("GET", "/me/invoices")],
)
def test_member_routes_refuse_nobody_forged_and_staff_tokens(
    local_service: LocalService, method: str, path: str
) -> None:
    for headers in (
        {},
        {"Authorization": FORGED},
        {"Authorization": member_token(local_service, "MC-X") + "x"},
    ):
        answer = requests.request(method, local_service.api_url + path, json={}, headers=headers, timeout=30)
        assert (answer.status_code, answer.json()["code"]) == (401, "UNAUTHENTICATED"), (method, path)
    answer = requests.request(
        method,
        local_service.api_url + path,
        json={},
        headers={"Authorization": staff_token(local_service)},
        timeout=30,
    )
    assert (answer.status_code, answer.json()["code"]) == (403, "MEMBERS_ONLY"), (method, path)


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/contracts/ctr-abc"), ("GET", "/applications?status=DEFERRED")]
)
def test_a_members_token_on_a_staff_route_is_403(local_service: LocalService, method: str, path: str) -> None:
    status, answer = member_request(local_service, "MC-X", method, path)
    assert (status, answer["code"]) == (403, "FORBIDDEN")


def test_the_eleventh_application_of_a_day_is_429(
    local_service: LocalService, account: Callable[..., str]
) -> None:
    mobile_contract_id = account(in_arrears=True)  # refused at once (R6.3(2)): no slot is held
    for _ in range(10):
        apply(local_service, application(mobile_contract_id))
    answer = requests.post(
        f"{local_service.api_url}/applications",
        json=application(mobile_contract_id),
        headers=holder_of(local_service, mobile_contract_id),
        timeout=30,
    )
    assert (answer.status_code, answer.json()["code"]) == (429, "TOO_MANY_APPLICATIONS")
    assert 0 < int(answer.headers["Retry-After"]) <= 24 * 3600
