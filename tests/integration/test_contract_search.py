"""Find the caller, and what staff see of a contract (issue 16, part A1) against moto, through API
Gateway events: POST /contract-searches (by contract, account or phone number, paged),
GET /contracts/{id} (the full view), GET /contracts/{id}/cancellation/preview (R9, writes nothing),
and the CONTRACT audit entries of the notice (R9), the termination (R10) and the end."""

import json
from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain.staff import StaffMember
from anshin.domain.terms import BillingMonth
from anshin.services import contract_ends, screening
from anshin.store import contracts, keys
from anshin.store.keys import shard_of

from tests.integration.conftest import STAFF_MEMBER, api_call, load_handler
from tests.integration.test_approval_steps import apply, form_contract
from tests.integration.test_contract_end_and_billing import jst, seed_account, seed_contract

NOT_STAFF = {"sub": "u", "cognito:groups": "subscribers"}


@pytest.fixture
def api(aws_env: dict[str, str]) -> Any:
    return load_handler("contracts_api")


def table() -> Any:
    return boto3.resource("dynamodb").Table("Contracts")


def find(api: Any, context: object, body: Any, **kw: Any) -> tuple[int, Any]:
    return api_call(api, context, "POST", "/contract-searches", "/contract-searches", None, body=body, **kw)


def read(api: Any, context: object, contract_id: str, suffix: str = "", **kw: Any) -> tuple[int, Any]:
    return api_call(
        api,
        context,
        "GET",
        f"/contracts/{contract_id}{suffix}",
        "/contracts/{contractId}" + suffix,
        {"contractId": contract_id},
        **kw,
    )


def preview(api: Any, context: object, contract_id: str, **kw: Any) -> tuple[int, Any]:
    return read(api, context, contract_id, "/cancellation/preview", **kw)


def all_pages(api: Any, context: object, body: dict[str, Any]) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        status, answer = find(api, context, {**body, **({"cursor": cursor} if cursor else {})})
        assert status == 200, answer
        pages.append([item["contractId"] for item in answer["items"]])
        cursor = answer["nextCursor"]
        if cursor is None:
            return pages


def formed_through_the_workflow(count: int, mobile_contract_id: str = "MC-0001") -> list[str]:
    """Contracts formed by the approval and notification steps (the phone lookup is written when
    the contract is recorded), all for the applicant phone 09012345678."""
    seed_account(mobile_contract_id)
    ids = []
    for number in range(count):
        with time_machine.travel(jst(2026, 11, 1 + number, 10), tick=False):
            application_id = apply(mobile_contract_id, deviceId=f"android-{number:04d}")
            screening.screen(application_id)
            screening.reserve_slot(application_id)
            ids.append(form_contract(application_id)["contractId"])
    return ids


def audit_outcomes(contract_id: str) -> list[dict[str, Any]]:
    items = table().query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": keys.audit_pk(contract_id)}
    )["Items"]
    return sorted((i for i in items if i.get("kind", "CONTRACT") == "CONTRACT"), key=lambda i: str(i["at"]))


def test_every_new_route_refuses_anonymous_and_non_staff(api: Any, lambda_context: object) -> None:
    seed_account("MC-1", has_formed_contract=True)
    contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
    for claims, status in ((None, 401), (NOT_STAFF, 403)):
        assert find(api, lambda_context, {"contractId": contract_id}, claims=claims)[0] == status
        assert find(api, lambda_context, {"phone": "09012345678"}, claims=claims)[0] == status
        assert read(api, lambda_context, contract_id, claims=claims)[0] == status
        assert preview(api, lambda_context, contract_id, claims=claims)[0] == status


class TestSearch:
    def test_by_contract_id_answers_its_summary_and_an_unknown_one_nothing(
        self, api: Any, lambda_context: object
    ) -> None:
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        status, answer = find(api, lambda_context, {"contractId": contract_id})
        assert status == 200
        assert answer == {
            "items": [
                {
                    "contractId": contract_id,
                    "mobileContractId": "MC-1",
                    "status": "ACTIVE",
                    "formedAt": "2026-08-31T15:00:00.000Z",
                    "holderName": "Seed",
                    "device": {"deviceId": contract_id, "platform": "android", "model": "Pixel"},
                }
            ],
            "nextCursor": None,
        }
        assert find(api, lambda_context, {"contractId": "ctr-ffff"}) == (
            200,
            {"items": [], "nextCursor": None},
        )

    def test_by_account_newest_first_across_pages(self, api: Any, lambda_context: object) -> None:
        seed_account("MC-1", has_formed_contract=True)
        ids = [seed_contract("MC-1", jst(2026, 9, day), first=False) for day in (1, 2, 3, 4, 5)]
        seed_account("MC-2", has_formed_contract=True)
        seed_contract("MC-2", jst(2026, 9, 6), first=False)
        pages = all_pages(api, lambda_context, {"mobileContractId": "MC-1", "limit": 2})
        assert pages == [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]
        assert all_pages(api, lambda_context, {"mobileContractId": "MC-9"}) == [[]]

    def test_an_ended_contract_is_found_with_its_end(self, api: Any, lambda_context: object) -> None:
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        with time_machine.travel(jst(2026, 11, 15, 10), tick=False):
            contract_ends.terminate(contract_id, jst(2026, 11, 15, 10), "fraud", STAFF_MEMBER)
        [item] = find(api, lambda_context, {"mobileContractId": "MC-1"})[1]["items"]
        assert (item["status"], item["endedAt"]) == ("ENDED", "2026-11-15T01:00:00.000Z")

    def test_by_phone_any_writing_finds_the_holders_contracts_across_pages(
        self, api: Any, lambda_context: object, capsys: pytest.CaptureFixture[str]
    ) -> None:
        ids = formed_through_the_workflow(3)
        for written in ("09012345678", "090-1234-5678", "+81 90 1234 5678", "０９０１２３４５６７８"):
            pages = all_pages(api, lambda_context, {"phone": written, "limit": 2})
            assert pages == [[ids[2], ids[1]], [ids[0]]], written
        assert all_pages(api, lambda_context, {"phone": "090-9999-0000"}) == [[]]
        # No phone number in clear in any key or index, nor in the logs.
        for item in boto3.client("dynamodb").scan(TableName="Contracts")["Items"]:
            for name in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi4pk"):
                assert "9012345678" not in item.get(name, {}).get("S", ""), item[name]
        assert "9012345678" not in capsys.readouterr().out

    def test_a_contract_recorded_twice_has_one_lookup(self, api: Any, lambda_context: object) -> None:
        [contract_id] = formed_through_the_workflow(1)
        contract = contracts.get(contract_id)
        assert contract is not None
        from anshin.services import contracts as forming

        forming.record_contract(contract.application_id)  # a retried step
        assert all_pages(api, lambda_context, {"phone": "09012345678"}) == [[contract_id]]

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"limit": 5},
            {"contractId": "ctr-1", "mobileContractId": "MC-1"},
            {"mobileContractId": "MC-1", "phone": "09012345678"},
            {"mobileContractId": "MC-1", "limit": 0},
            {"mobileContractId": "MC-1", "limit": 51},
            {"mobileContractId": "MC-1", "extra": True},
            {"contractId": "not-a-contract"},
        ],
    )
    def test_not_exactly_one_criterion_or_a_bad_limit_is_400(
        self, api: Any, lambda_context: object, body: dict[str, Any]
    ) -> None:
        status, answer = find(api, lambda_context, body)
        assert (status, answer["code"]) == (400, "VALIDATION_ERROR")

    def test_a_malformed_phone_number_is_400_on_its_field_without_repeating_it(
        self, api: Any, lambda_context: object
    ) -> None:
        status, answer = find(api, lambda_context, {"phone": "090-CALL-ME-1234"})
        assert (status, answer["code"]) == (400, "VALIDATION_ERROR")
        assert [e["field"] for e in answer["errors"]] == ["phone"]
        assert "CALL" not in json.dumps(answer)

    def test_a_bad_or_foreign_cursor_is_400_invalid_cursor(self, api: Any, lambda_context: object) -> None:
        seed_account("MC-1", has_formed_contract=True)
        seed_account("MC-2", has_formed_contract=True)
        for day in (1, 2, 3):
            seed_contract("MC-1", jst(2026, 9, day), first=False)
        cursor = find(api, lambda_context, {"mobileContractId": "MC-1", "limit": 1})[1]["nextCursor"]
        assert cursor
        for body in (
            {"mobileContractId": "MC-1", "cursor": "garbage!"},
            {"mobileContractId": "MC-2", "cursor": cursor},  # another account's list
            {"phone": "09012345678", "cursor": cursor},  # another kind of list
            {"contractId": "ctr-1", "cursor": cursor},  # one contract at most: no cursor
        ):
            status, answer = find(api, lambda_context, body)
            assert (status, answer["code"]) == (400, "INVALID_CURSOR"), body


class TestContractView:
    def test_the_full_view(self, api: Any, lambda_context: object) -> None:
        seed_account("MC-1", has_formed_contract=True)
        older = seed_contract("MC-1", jst(2026, 8, 1), first=False)
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        with time_machine.travel(jst(2026, 11, 15, 10), tick=False):
            contract_ends.terminate(older, jst(2026, 11, 15, 10), "fraud", STAFF_MEMBER)
        status, body = read(api, lambda_context, contract_id)
        assert status == 200
        assert body["status"] == "ACTIVE" and body["firstBillableMonth"] == "2026-09"
        assert body["holderName"] == "Seed"
        assert body["device"] == {
            "deviceId": contract_id,
            "platform": "android",
            "kind": "smartphone",
            "model": "Pixel",
            "appRegistered": False,
        }
        assert (body["passphraseSet"], body["locationOptOut"]) == (False, False)
        assert body["supportPhoneNumber"] == "0120-000-110"
        account = body["account"]
        assert (account["mobileContractId"], account["slotsUsed"], account["slotsLimit"]) == ("MC-1", 1, 10)
        assert [(c["contractId"], c["status"]) for c in account["contracts"]] == [(older, "ENDED")]
        text = json.dumps(body)
        assert "seed@example.com" not in text and "09000000000" not in text  # no contact details
        assert "memberCodeMac" not in text and "passphraseHash" not in text

    def test_the_app_registration_and_the_passphrase(self, api: Any, lambda_context: object) -> None:
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        device = {
            **keys.device(contract_id),
            "type": "DEVICE",
            "deviceId": contract_id,
            "contractId": contract_id,
            "platform": "android",
            "model": "Pixel",
            "endpointArn": "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/anshin/x",
            "tokenDigest": "ab" * 32,
            "tokenExpiresAt": "2027-01-01T00:00:00.000Z",
            "registeredAt": "2026-09-02T00:00:00.000Z",
        }
        table().put_item(Item=device)
        table().update_item(
            Key=keys.contract(contract_id),
            UpdateExpression="SET passphraseHash = :h",
            ExpressionAttributeValues={":h": "$argon2id$..."},
        )
        body = read(api, lambda_context, contract_id)[1]
        assert body["passphraseSet"] is True
        assert (body["device"]["appRegistered"], body["device"]["registeredAt"]) == (
            True,
            "2026-09-02T00:00:00.000Z",
        )
        revoked = {k: v for k, v in device.items() if k != "tokenDigest"}
        table().put_item(Item={**revoked, "revokedAt": "2026-10-01T00:00:00.000Z"})
        body = read(api, lambda_context, contract_id)[1]
        assert (body["device"]["appRegistered"], body["device"]["revokedAt"]) == (
            False,
            "2026-10-01T00:00:00.000Z",
        )
        table().put_item(Item={**device, "contractId": "ctr-other"})  # the device moved to another contract
        assert read(api, lambda_context, contract_id)[1]["device"]["appRegistered"] is False

    def test_an_unknown_contract_is_404(self, api: Any, lambda_context: object) -> None:
        assert read(api, lambda_context, "ctr-ffff")[0] == 404


class TestCancellationPreviewR9:
    @time_machine.travel("2026-11-30T14:30:00Z", tick=False)  # 23:30 JST on the last day
    def test_the_preview_is_what_the_notice_then_does_and_writes_nothing(
        self, api: Any, lambda_context: object
    ) -> None:
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        before = table().scan()["Items"]
        status, answer = preview(api, lambda_context, contract_id)
        assert status == 200
        assert answer == {
            "contractId": contract_id,
            "status": "ACTIVE",
            "receivedAt": "2026-11-30T14:30:00.000Z",
            "endsAt": "2026-11-30T14:59:59.999Z",
            "existingEndStands": False,
            "firstBillableMonth": "2026-09",
            "lastBilledMonth": "2026-11",
        }
        assert table().scan()["Items"] == before
        status, noticed = api_call(
            api,
            lambda_context,
            "POST",
            f"/contracts/{contract_id}/cancellation",
            "/contracts/{contractId}/cancellation",
            {"contractId": contract_id},
            body={},
        )
        assert (status, noticed["endsAt"]) == (200, answer["endsAt"])

    def test_a_first_contract_ending_before_it_is_billed_says_so(
        self, api: Any, lambda_context: object
    ) -> None:
        seed_account("MC-1")
        contract_id = seed_contract("MC-1", jst(2026, 11, 10), first=True)  # first billable: 2027-01
        with time_machine.travel(jst(2026, 12, 5, 12), tick=False):
            answer = preview(api, lambda_context, contract_id)[1]
        assert (answer["endsAt"], answer["firstBillableMonth"], answer["lastBilledMonth"]) == (
            "2026-12-31T14:59:59.999Z",
            "2027-01",
            None,
        )

    def test_pending_keeps_its_end_and_ended_is_409(self, api: Any, lambda_context: object) -> None:
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        contract_ends.cancel(contract_id, jst(2026, 10, 3), jst(2026, 10, 3))
        with time_machine.travel(jst(2026, 10, 20, 12), tick=False):
            answer = preview(api, lambda_context, contract_id)[1]
        assert (answer["status"], answer["endsAt"], answer["existingEndStands"]) == (
            "CANCELLATION_PENDING",
            "2026-10-31T14:59:59.999Z",
            True,
        )
        with time_machine.travel(jst(2026, 10, 25, 10), tick=False):  # before its end (issue 24)
            contract_ends.terminate(contract_id, jst(2026, 10, 25, 10), "fraud", STAFF_MEMBER)
            status, answer = preview(api, lambda_context, contract_id)
        assert (status, answer["code"]) == (409, "CONTRACT_ENDED")
        assert preview(api, lambda_context, "ctr-ffff")[0] == 404


class TestContractAudit:
    @time_machine.travel("2026-11-20T01:00:00Z", tick=False)
    def test_the_notice_is_audited_once_with_the_staff_member(self, api: Any, lambda_context: object) -> None:
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        for _ in range(2):  # a second notice changes nothing, and audits nothing
            api_call(
                api,
                lambda_context,
                "POST",
                f"/contracts/{contract_id}/cancellation",
                "/contracts/{contractId}/cancellation",
                {"contractId": contract_id},
                body={},
            )
        [entry] = audit_outcomes(contract_id)
        assert (entry["outcome"], entry["staffId"], entry["staffName"], entry["at"]) == (
            "CANCELLATION_RECEIVED",
            "staff-1",
            "sato.hanako",  # the token's username, stored with the entry (issue 23)
            "2026-11-20T01:00:00.000Z",
        )
        assert (entry["receivedAt"], entry["endsAt"]) == (
            "2026-11-20T01:00:00.000Z",
            "2026-11-30T14:59:59.999Z",
        )
        # The month-end run ends it, and audits the end (at the end's instant).
        result = contract_ends.end_due_contracts(
            BillingMonth.parse("2026-11"), shard_of(contract_id), jst(2026, 12, 1, 0, 5)
        )
        assert [e["contractId"] for e in result["ended"]] == [contract_id]
        outcomes = [(e["outcome"], e["at"], e.get("reason")) for e in audit_outcomes(contract_id)]
        assert outcomes[1] == ("ENDED", "2026-11-30T14:59:59.999Z", "SUBSCRIBER_CANCELLATION")

    @pytest.mark.usefixtures("aws_env")
    def test_a_late_notice_ends_at_once_and_audits_both(self) -> None:
        seed_account("MC-1", slots_held=1, has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        staff = StaffMember("staff-2", "suzuki.jiro")
        contract_ends.cancel(contract_id, jst(2026, 10, 31, 22), jst(2026, 11, 20, 10), staff=staff)
        assert {
            (e["outcome"], e.get("staffId"), e.get("staffName")) for e in audit_outcomes(contract_id)
        } == {
            ("CANCELLATION_RECEIVED", "staff-2", "suzuki.jiro"),
            ("ENDED", None, None),
        }

    @time_machine.travel("2026-11-15T01:00:00Z", tick=False)
    def test_the_termination_is_audited_with_its_reason(self, api: Any, lambda_context: object) -> None:
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        for _ in range(2):  # the second is 409 CONTRACT_ENDED, audits nothing
            api_call(
                api,
                lambda_context,
                "POST",
                f"/contracts/{contract_id}/termination",
                "/contracts/{contractId}/termination",
                {"contractId": contract_id},
                body={"reason": "abuse"},
            )
        [entry] = audit_outcomes(contract_id)
        assert (entry["outcome"], entry["staffId"], entry["staffName"], entry["reason"], entry["at"]) == (
            "TERMINATED",
            "staff-1",
            "sato.hanako",
            "abuse",
            "2026-11-15T01:00:00.000Z",
        )
        ended = contracts.require(contract_id)
        assert (ended.terminated_by, ended.terminated_by_name) == ("staff-1", "sato.hanako")
