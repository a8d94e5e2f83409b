"""The staff's paged lists (issue 16, part A1) against moto, through API Gateway events: the
queue of deferred applications (R6.2, ``GET /applications?status=DEFERRED``) and an account's
invoices newest month first (R12, R13, ``GET /accounts/{id}/invoices``)."""

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from anshin.domain.paging import encode_cursor
from anshin.domain.terms import BillingMonth
from anshin.services import billing, screening
from anshin.store import applications as stored
from anshin.store import keys
from anshin.store.keys import shard_of

from tests.integration.conftest import STAFF, api_call, load_handler, member_claims, rest_event
from tests.integration.test_applications_api import VALID
from tests.integration.test_approval_steps import apply
from tests.integration.test_approval_steps import seed_account as seed_mirror
from tests.integration.test_contract_end_and_billing import jst, seed_account, seed_contract

NOT_STAFF = {"sub": "u", "cognito:groups": "subscribers"}


def get(
    api: Any,
    context: object,
    path: str,
    resource: str,
    params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    claims: dict[str, str] | None = STAFF,
) -> tuple[int, Any]:
    return api_call(api, context, "GET", path, resource, params, claims=claims, query=query)


# --- R6.2: the deferred applications --------------------------------------------------------------


@pytest.fixture
def applications_api(aws_env: dict[str, str]) -> Any:
    return load_handler("applications_api")


def queue(api: Any, context: object, claims: dict[str, str] | None = STAFF, **query: str) -> tuple[int, Any]:
    return get(api, context, "/applications", "/applications", query=query, claims=claims)


def queue_pages(api: Any, context: object, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        status, answer = queue(
            api, context, status="DEFERRED", limit=str(limit), **({"cursor": cursor} if cursor else {})
        )
        assert status == 200, answer
        pages.append([item["applicationId"] for item in answer["items"]])
        cursor = answer["nextCursor"]
        if cursor is None:
            return pages


def deferred_applications(count: int) -> list[str]:
    """Applications deferred by the account's review flag (R6.2), received a day apart."""
    seed_mirror(defer_review=True)
    ids = []
    for day in range(count):
        with time_machine.travel(jst(2026, 11, 1 + day, 10), tick=False):
            application_id = apply(deviceId=f"android-{day:04d}")
        assert screening.screen(application_id)["outcome"] == "DEFER"
        screening.defer(application_id, f"token-{day}")
        ids.append(application_id)
    return ids


class TestDeferredQueueR62:
    def test_staff_only_while_applying_stays_the_members(
        self, applications_api: Any, lambda_context: object
    ) -> None:
        assert queue(applications_api, lambda_context, claims=None, status="DEFERRED")[0] == 401
        assert queue(applications_api, lambda_context, claims=NOT_STAFF, status="DEFERRED")[0] == 403
        event = rest_event("POST", "/applications", VALID)
        event["requestContext"]["authorizer"] = {"claims": member_claims(VALID["mobileContractId"])}
        response = applications_api.handler(event, lambda_context)
        assert response["statusCode"] == 202  # the account's holder still applies (same resource, POST)

    def test_oldest_first_across_pages_and_what_each_shows(
        self, applications_api: Any, lambda_context: object
    ) -> None:
        ids = deferred_applications(5)
        assert queue_pages(applications_api, lambda_context, 2) == [ids[0:2], ids[2:4], ids[4:5]]
        first = queue(applications_api, lambda_context, status="DEFERRED", limit="1")[1]["items"][0]
        assert first == {
            "applicationId": ids[0],
            "receivedAt": "2026-11-01T01:00:00.000Z",
            "mobileContractId": "MC-0001",
            "applicantName": "山田 太郎",
            "device": {"platform": "android", "kind": "smartphone", "model": "Pixel 9"},
            "deferredReason": "ACCOUNT_UNDER_REVIEW",
        }
        assert "taro@example.com" not in json.dumps(first)

    def test_decided_applications_leave_the_queue(
        self, applications_api: Any, lambda_context: object
    ) -> None:
        ids = deferred_applications(4)
        screening.defer(ids[0], "token-again")  # a retried deferral: still once in the queue
        screening.staff_reject(ids[1], "OTHER")
        assert screening.reserve_slot(ids[2])["status"] == "APPROVED"  # the staff approved
        screening.record_failure(ids[3], "timed out")  # the workflow gave up waiting
        assert queue_pages(applications_api, lambda_context, 10) == [[ids[0]]]
        stored.delete(ids[0])  # an application no workflow will decide
        assert queue_pages(applications_api, lambda_context, 10) == [[]]

    def test_a_proceeding_application_never_enters_it(
        self, applications_api: Any, lambda_context: object
    ) -> None:
        seed_mirror()
        application_id = apply()
        assert screening.screen(application_id)["outcome"] == "PROCEED"
        screening.reserve_slot(application_id)
        assert queue_pages(applications_api, lambda_context, 10) == [[]]

    @pytest.mark.parametrize(
        "query",
        [
            {},
            {"status": "RECEIVED"},
            {"status": "DEFERRED", "limit": "0"},
            {"status": "DEFERRED", "limit": "51"},
        ],
    )
    def test_other_statuses_and_bad_limits_are_400(
        self, applications_api: Any, lambda_context: object, query: dict[str, str]
    ) -> None:
        status, answer = queue(applications_api, lambda_context, **query)
        assert (status, answer["code"]) == (400, "VALIDATION_ERROR")

    def test_a_bad_cursor_is_400_invalid_cursor(self, applications_api: Any, lambda_context: object) -> None:
        for cursor in ("garbage!", encode_cursor({"pk": "PHONE#x", "sk": "CONTRACT#1"})):
            status, answer = queue(applications_api, lambda_context, status="DEFERRED", cursor=cursor)
            assert (status, answer["code"]) == (400, "INVALID_CURSOR")


# --- R12, R13: an account's invoices ---------------------------------------------------------------


@pytest.fixture
def contracts_api(aws_env: dict[str, str]) -> Any:
    return load_handler("contracts_api")


def invoices(
    api: Any, context: object, account: str, claims: dict[str, str] | None = STAFF, **query: str
) -> Any:
    return get(
        api,
        context,
        f"/accounts/{account}/invoices",
        "/accounts/{mobileContractId}/invoices",
        {"mobileContractId": account},
        query or None,
        claims,
    )


def bill(contract_id: str, *months: str) -> None:
    for month in months:
        billed = BillingMonth.parse(month)
        billing.bill_shard(
            billed,
            shard_of(contract_id),
            billed.end() + timedelta(hours=1),
            500,
            run_id="t",
        )


class TestInvoicesR12:
    def test_staff_only(self, contracts_api: Any, lambda_context: object) -> None:
        assert invoices(contracts_api, lambda_context, "MC-1", claims=None)[0] == 401
        assert invoices(contracts_api, lambda_context, "MC-1", claims=NOT_STAFF)[0] == 403

    @time_machine.travel("2027-01-15T03:00:00Z", tick=False)
    def test_newest_month_first_across_pages(self, contracts_api: Any, lambda_context: object) -> None:
        seed_account("MC-1", has_formed_contract=True)
        one = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        two = seed_contract("MC-1", jst(2026, 10, 20), first=False)
        bill(one, "2026-09", "2026-10", "2026-11", "2026-12")
        bill(two, "2026-10", "2026-11", "2026-12")
        pages, cursor = [], None
        while True:
            status, answer = invoices(
                contracts_api, lambda_context, "MC-1", limit="2", **({"cursor": cursor} if cursor else {})
            )
            assert status == 200, answer
            pages.append(
                [(i["month"], i["subtotal"], i["tax"], i["total"], len(i["lines"])) for i in answer["items"]]
            )
            cursor = answer["nextCursor"]
            if cursor is None:
                break
        # January is not billed yet (its month is not over): skipped, never an empty invoice.
        assert pages == [
            [("2026-12", 1000, 100, 1100, 2), ("2026-11", 1000, 100, 1100, 2)],
            [("2026-10", 1000, 100, 1100, 2), ("2026-09", 500, 50, 550, 1)],
        ]
        assert invoices(contracts_api, lambda_context, "MC-1", limit="1")[1]["items"][0]["lines"] == sorted(
            [{"contractId": c, "month": "2026-12", "amount": 500} for c in (one, two)],
            key=lambda x: x["contractId"],
        )

    def test_an_account_without_contracts_has_none(self, contracts_api: Any, lambda_context: object) -> None:
        assert invoices(contracts_api, lambda_context, "MC-9") == (200, {"items": [], "nextCursor": None})

    @time_machine.travel("2027-01-15T03:00:00Z", tick=False)
    def test_a_bad_cursor_is_400_invalid_cursor(self, contracts_api: Any, lambda_context: object) -> None:
        seed_account("MC-1", has_formed_contract=True)
        seed_contract("MC-1", jst(2026, 9, 1), first=False)
        for cursor in (
            "garbage!",
            encode_cursor({"month": "2026-13", "account": "MC-1"}),
            encode_cursor({"month": "2026-08", "account": "MC-1"}),  # before the first billable month
            encode_cursor({"month": "2027-02", "account": "MC-1"}),  # a month to come
            encode_cursor({"month": "2026-10", "account": "MC-2"}),  # another account's list
            encode_cursor({"month": "2026-10"}),  # a cursor of no account
            encode_cursor({"pk": keys.account_pk("MC-1"), "sk": "PROFILE"}),
        ):
            status, answer = invoices(contracts_api, lambda_context, "MC-1", cursor=cursor)
            assert (status, answer["code"]) == (400, "INVALID_CURSOR"), cursor
        assert invoices(contracts_api, lambda_context, "MC-1", limit="0")[0] == 400

    def test_the_existing_monthly_route_stays(self, contracts_api: Any, lambda_context: object) -> None:
        status, answer = get(
            contracts_api,
            lambda_context,
            "/accounts/MC-1/invoices/2026-11",
            "/accounts/{mobileContractId}/invoices/{month}",
            {"mobileContractId": "MC-1", "month": "2026-11"},
        )
        assert (status, answer["code"]) == (404, "INVOICE_NOT_FOUND")
