"""The subscriber's own page (issue 23) against moto: ``/me`` routes, as the signed-in holder of
the account, and what a stranger, a staff member or nobody gets (R7, R9, R12, Art. 16.4)."""

import json
from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain.clock import iso
from anshin.store import audit, contracts

from tests.integration.conftest import STAFF, api_call, load_handler, member_claims
from tests.integration.test_contract_end_and_billing import jst, seed_account, seed_contract
from tests.integration.test_staff_lists import bill

HOLDER = member_claims("MC-1")
STRANGER = member_claims("MC-2")


@pytest.fixture
def api(aws_env: dict[str, str]) -> Any:
    return load_handler("members_api")


def me(api: Any, context: object, path: str = "", resource: str = "", claims: Any = HOLDER, **kw: Any) -> Any:
    params = kw.pop("params", None)
    return api_call(
        api, context, kw.pop("method", "GET"), f"/me{path}", f"/me{resource}", params, claims=claims, **kw
    )


def on_contract(api: Any, context: object, method: str, contract_id: str, suffix: str = "", **kw: Any) -> Any:
    return me(
        api,
        context,
        f"/contracts/{contract_id}{suffix}",
        "/contracts/{contractId}" + suffix,
        method=method,
        params={"contractId": contract_id},
        **kw,
    )


@pytest.fixture
def contract_id(aws_env: dict[str, str]) -> str:
    seed_account("MC-1", has_formed_contract=True)
    seed_account("MC-2")
    return seed_contract("MC-1", jst(2026, 9, 1, 10), first=True)


def outbox(env: dict[str, str]) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=env["OUTBOX_QUEUE_URL"], MaxNumberOfMessages=10).get(
        "Messages", []
    )
    return [json.loads(m["Body"]) for m in messages]


class TestWhoMayCall:
    def test_nobody_is_401_a_staff_token_403_on_every_route(
        self, api: Any, lambda_context: object, contract_id: str
    ) -> None:
        routes = [
            ("GET", "", ""),
            ("GET", "/invoices", "/invoices"),
            (
                "GET",
                f"/contracts/{contract_id}/cancellation/preview",
                "/contracts/{contractId}/cancellation/preview",
            ),
        ]
        for method, path, resource in routes:
            params = {"contractId": contract_id} if "{contractId}" in resource else None
            assert (
                me(api, lambda_context, path, resource, claims=None, method=method, params=params)[0] == 401
            )
            status, answer = me(
                api, lambda_context, path, resource, claims=STAFF, method=method, params=params
            )
            assert (status, answer["code"]) == (403, "MEMBERS_ONLY")

    def test_a_stranger_finds_none_of_another_accounts_contracts(
        self, api: Any, lambda_context: object, contract_id: str
    ) -> None:
        for method, suffix, body in (
            ("GET", "/cancellation/preview", None),
            ("POST", "/cancellation", {"endsAt": "2026-12-31T14:59:59.999Z"}),
            ("PATCH", "", {"locationOptOut": True}),
        ):
            status, answer = on_contract(
                api, lambda_context, method, contract_id, suffix, body=body, claims=STRANGER
            )
            assert (status, answer["code"]) == (404, "CONTRACT_NOT_FOUND"), (method, suffix)
        stored = contracts.require(contract_id)
        assert stored.status == "ACTIVE" and stored.location_opt_out is False
        assert audit.newest_first(contract_id, None, 10)[0] == []
        assert me(api, lambda_context, claims=STRANGER)[1]["contracts"] == []


class TestMyAccount:
    def test_contracts_support_hours_and_months(
        self, api: Any, lambda_context: object, contract_id: str
    ) -> None:
        status, answer = me(api, lambda_context)
        assert status == 200
        assert answer["mobileContractId"] == "MC-1"
        assert answer["support"] == {
            "phoneNumber": "0120-000-110",
            "hours": {"opens": "09:00", "closes": "21:00", "timeZone": "Asia/Tokyo"},
        }
        (only,) = answer["contracts"]
        assert only["contractId"] == contract_id
        assert (only["status"], only["firstBillableMonth"], only["firstUnderAccount"]) == (
            "ACTIVE",
            "2026-11",
            True,
        )
        assert only["device"]["platform"] == "android" and only["locationOptOut"] is False
        assert "holder" not in only and "memberCodeMac" not in json.dumps(answer)

    @time_machine.travel("2027-01-15T03:00:00Z", tick=False)
    def test_invoices_say_why_a_contract_is_not_on_them(self, api: Any, lambda_context: object) -> None:
        seed_account("MC-1")
        first = seed_contract("MC-1", jst(2026, 9, 1, 10), first=True)  # R12: first billed 2026-11
        later = seed_contract("MC-1", jst(2026, 10, 5, 10), first=False)  # billed from 2026-10
        bill(later, "2026-10", "2026-11", "2026-12")
        bill(first, "2026-11", "2026-12")
        status, page = me(api, lambda_context, "/invoices", "/invoices")
        assert status == 200, page
        by_month = {item["month"]: item for item in page["items"]}
        assert sorted(by_month) == ["2026-10", "2026-11", "2026-12"]
        october = by_month["2026-10"]
        assert [line["contractId"] for line in october["lines"]] == [later]
        assert (october["subtotal"], october["tax"], october["total"]) == (500, 50, 550)
        assert october["notCharged"] == [
            {
                "contractId": first,
                "reason": "NOT_YET_BILLABLE",
                "firstBillableMonth": "2026-11",
                "firstUnderAccount": True,
            }
        ]
        assert by_month["2026-12"]["notCharged"] == []
        status, one = me(
            api, lambda_context, "/invoices/2026-10", "/invoices/{month}", params={"month": "2026-10"}
        )
        assert (status, one) == (200, october)
        status, none = me(
            api, lambda_context, "/invoices/2026-08", "/invoices/{month}", params={"month": "2026-08"}
        )
        assert (status, none["code"]) == (404, "INVOICE_NOT_FOUND")


class TestCancelFromMyPage:
    @time_machine.travel("2026-12-07T03:00:00Z", tick=False)
    def test_the_end_shown_is_the_end_recorded(
        self, api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        status, preview = on_contract(api, lambda_context, "GET", contract_id, "/cancellation/preview")
        assert status == 200
        assert preview["endsAt"] == "2026-12-31T14:59:59.999Z"  # R9: the end of December, JST
        # A page that showed another end (the month turned meanwhile) records nothing.
        status, changed = on_contract(
            api,
            lambda_context,
            "POST",
            contract_id,
            "/cancellation",
            body={"endsAt": "2026-11-30T14:59:59.999Z"},
        )
        assert (status, changed["code"], changed["endsAt"]) == (409, "END_CHANGED", preview["endsAt"])
        assert contracts.require(contract_id).status == "ACTIVE"
        status, done = on_contract(
            api, lambda_context, "POST", contract_id, "/cancellation", body={"endsAt": preview["endsAt"]}
        )
        assert status == 200, done
        assert (done["status"], done["endsAt"]) == ("CANCELLATION_PENDING", preview["endsAt"])
        entries = audit.newest_first(contract_id, None, 10)[0]
        noticed = next(e for e in entries if e["outcome"] == "CANCELLATION_RECEIVED")
        assert (noticed["channel"], noticed["memberId"]) == ("MY_PAGE", HOLDER["sub"])
        told = [m for m in outbox(aws_env) if m["kind"] == "CANCELLATION_CONFIRMED"]
        assert [(m["channel"], m["endsAt"]) for m in told] == [("MY_PAGE", preview["endsAt"])]

    def test_a_malformed_notice_is_400(self, api: Any, lambda_context: object, contract_id: str) -> None:
        for body in ({}, {"endsAt": ""}, {"endsAt": "x", "more": 1}):
            status, answer = on_contract(api, lambda_context, "POST", contract_id, "/cancellation", body=body)
            assert (status, answer["code"]) == (400, "VALIDATION_ERROR"), body


class TestLocationOptOut:
    def test_changed_at_once_and_audited_once(
        self, api: Any, lambda_context: object, contract_id: str
    ) -> None:
        status, answer = on_contract(api, lambda_context, "PATCH", contract_id, body={"locationOptOut": True})
        assert (status, answer["locationOptOut"]) == (200, True)
        assert contracts.require(contract_id).location_opt_out is True
        # The same value again changes and audits nothing.
        assert on_contract(api, lambda_context, "PATCH", contract_id, body={"locationOptOut": True})[0] == 200
        entries = [
            e
            for e in audit.newest_first(contract_id, None, 10)[0]
            if e["outcome"] == "LOCATION_OPT_OUT_CHANGED"
        ]
        assert [(e["locationOptOut"], e["channel"], e["memberId"]) for e in entries] == [
            (True, "MY_PAGE", HOLDER["sub"])
        ]
        assert (
            on_contract(api, lambda_context, "PATCH", contract_id, body={"locationOptOut": False})[1][
                "locationOptOut"
            ]
            is False
        )

    def test_an_ended_contract_is_409_and_bodies_are_checked(
        self, api: Any, lambda_context: object, contract_id: str
    ) -> None:
        for body in ({}, {"locationOptOut": "yes"}, {"locationOptOut": True, "holder": "x"}):
            status, answer = on_contract(api, lambda_context, "PATCH", contract_id, body=body)
            assert (status, answer["code"]) == (400, "VALIDATION_ERROR"), body
        # A consistent ended contract: terminated by the company after it formed (1 Sep).
        boto3.resource("dynamodb").Table("Contracts").update_item(
            Key={"pk": f"CONTRACT#{contract_id}", "sk": "CONTRACT"},
            UpdateExpression="SET #s = :e, endedAt = :at, endReason = :reason",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":e": "ENDED",
                ":at": iso(jst(2026, 10, 15, 10)),
                ":reason": "COMPANY_TERMINATION",
            },
        )
        status, answer = on_contract(api, lambda_context, "PATCH", contract_id, body={"locationOptOut": True})
        assert (status, answer["code"]) == (409, "CONTRACT_ENDED")
