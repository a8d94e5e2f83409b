"""The staff console's reads on the deployed stack (issue 16, part A1): find the caller by phone
number, account or contract; read the full contract; preview a cancellation (R9) and see the
notice do just that; the queue of deferred applications (R6.2); an account's invoices (R12).
Everything through the deployed stage with a staff token; refused without one."""

import random
import uuid
from collections.abc import Callable

import pytest
import requests

from local.service import LocalService
from tests.e2e.conftest import eventually, staff_request
from tests.e2e.test_applications import application, apply, settled, until_status


def unique_phone() -> tuple[str, str]:
    """A mobile number no other test's applicant has, as applied with and as a person writes it."""
    digits = f"{random.randrange(10**8):08d}"  # a test number, not a secret
    return f"090{digits}", f"090-{digits[:4]}-{digits[4:]}"


def contract_for(service: LocalService, mobile_contract_id: str, phone: str) -> str:
    body = application(mobile_contract_id)
    body["applicant"]["phone"] = phone
    result = settled(service, apply(service, body))
    assert result["status"] == "CONTRACTED", result
    return str(result["contractId"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/contract-searches"),
        ("GET", "/contracts/ctr-ffff/cancellation/preview"),
        ("GET", "/applications?status=DEFERRED"),
        ("GET", "/accounts/MC-none/invoices"),
    ],
)
def test_the_new_routes_refuse_anonymous_callers(local_service: LocalService, method: str, path: str) -> None:
    answer = requests.request(
        method, local_service.api_url + path, json={} if method == "POST" else None, timeout=30
    )
    assert (answer.status_code, answer.json()["code"]) == (401, "UNAUTHENTICATED")


def test_find_the_caller_by_phone_account_and_contract(
    local_service: LocalService, account: Callable[..., str]
) -> None:
    mobile_contract_id = account()
    applied, written = unique_phone()
    first = contract_for(local_service, mobile_contract_id, applied)
    second = contract_for(local_service, mobile_contract_id, applied)

    status, page = staff_request(local_service, "POST", "/contract-searches", {"phone": written, "limit": 1})
    assert status == 200, page
    assert [item["contractId"] for item in page["items"]] == [second]  # newest formed first
    status, rest = staff_request(
        local_service,
        "POST",
        "/contract-searches",
        {"phone": written, "limit": 1, "cursor": page["nextCursor"]},
    )
    assert [item["contractId"] for item in rest["items"]] == [first] and rest["nextCursor"] is None

    status, by_account = staff_request(
        local_service, "POST", "/contract-searches", {"mobileContractId": mobile_contract_id}
    )
    assert {item["contractId"] for item in by_account["items"]} == {first, second}
    summary = by_account["items"][0]
    assert set(summary) >= {"contractId", "mobileContractId", "status", "formedAt", "holderName", "device"}

    status, by_id = staff_request(local_service, "POST", "/contract-searches", {"contractId": first})
    assert [item["contractId"] for item in by_id["items"]] == [first]
    assert staff_request(local_service, "POST", "/contract-searches", {"phone": "090-0000-0000x"})[0] == 400
    status, bad = staff_request(
        local_service, "POST", "/contract-searches", {"phone": written, "cursor": "nope!"}
    )
    assert (status, bad["code"]) == (400, "INVALID_CURSOR")

    status, view = staff_request(local_service, "GET", f"/contracts/{first}")
    assert status == 200
    assert view["holderName"] == "E2E 太郎" and view["passphraseSet"] is False
    assert view["device"]["appRegistered"] is False
    assert view["account"]["slotsLimit"] == 10
    assert [c["contractId"] for c in view["account"]["contracts"]] == [second]
    assert applied not in str(view)


def test_the_cancellation_preview_is_what_the_notice_does(
    local_service: LocalService, account: Callable[..., str]
) -> None:
    contract_id = contract_for(local_service, account(), unique_phone()[0])
    status, preview = staff_request(local_service, "GET", f"/contracts/{contract_id}/cancellation/preview")
    assert status == 200, preview
    assert preview["existingEndStands"] is False
    status, noticed = staff_request(local_service, "POST", f"/contracts/{contract_id}/cancellation", {})
    # The same month unless the notice crossed midnight at a month's end (Japan time).
    assert (status, noticed["endsAt"][:7]) == (200, preview["endsAt"][:7])
    status, again = staff_request(local_service, "GET", f"/contracts/{contract_id}/cancellation/preview")
    assert (again["existingEndStands"], again["endsAt"]) == (True, noticed["endsAt"])
    staff_request(local_service, "POST", f"/contracts/{contract_id}/termination", {"reason": "e2e"})
    status, ended = staff_request(local_service, "GET", f"/contracts/{contract_id}/cancellation/preview")
    assert (status, ended["code"]) == (409, "CONTRACT_ENDED")


def deferred_ids(service: LocalService) -> list[str]:
    """Every application in the staff's queue, oldest first, page by page."""
    ids: list[str] = []
    cursor = ""
    while True:
        status, page = staff_request(service, "GET", f"/applications?status=DEFERRED&limit=50{cursor}")
        assert status == 200, page
        ids += [item["applicationId"] for item in page["items"]]
        if page["nextCursor"] is None:
            return ids
        cursor = f"&cursor={page['nextCursor']}"


def test_the_deferred_queue_oldest_first_until_decided(
    local_service: LocalService, account: Callable[..., str]
) -> None:
    mobile_contract_id = account(defer_review=True)
    older = apply(local_service, application(mobile_contract_id))
    until_status(local_service, older, "DEFERRED")
    newer = apply(local_service, application(mobile_contract_id))
    until_status(local_service, newer, "DEFERRED")
    queued = deferred_ids(local_service)
    assert queued.index(older) < queued.index(newer)

    status, _ = staff_request(
        local_service, "POST", f"/applications/{older}/decision", {"decision": "REJECT"}
    )
    assert status == 200
    settled(local_service, older)
    eventually(lambda: True if older not in deferred_ids(local_service) else None)
    assert newer in deferred_ids(local_service)
    assert staff_request(local_service, "GET", "/applications?status=APPROVED")[0] == 400


def test_an_account_without_invoices_lists_none(
    local_service: LocalService, account: Callable[..., str]
) -> None:
    mobile_contract_id = account()
    status, page = staff_request(local_service, "GET", f"/accounts/{mobile_contract_id}/invoices")
    assert (status, page) == (200, {"items": [], "nextCursor": None})
    contract_for(local_service, mobile_contract_id, unique_phone()[0])
    # Formed this month: nothing is billed before its month is over.
    status, page = staff_request(local_service, "GET", f"/accounts/{mobile_contract_id}/invoices?limit=5")
    assert (status, page["items"]) == (200, [])
    status, bad = staff_request(
        local_service, "GET", f"/accounts/{mobile_contract_id}/invoices?cursor={uuid.uuid4().hex}"
    )
    assert (status, bad["code"]) == (400, "INVALID_CURSOR")
