# ruff: noqa: F811
"""The contract's timeline and its verification state for the staff console (issue 16), against
moto: one Query of the audit partition plus the contract, application and invoice-line items."""

from datetime import datetime, timedelta
from typing import Any

import boto3
import time_machine
from anshin.domain.terms import JST
from anshin.store import applications as stored_applications
from anshin.store import audit, keys

from tests.integration.conftest import STAFF, STAFF_MEMBER, api_call, handler_fixture
from tests.integration.test_command_cancel import audit_of, cancel, history, lock, staff_get
from tests.integration.test_device_commands import (
    NOON,
    device,  # noqa: F401 - the fixture, taken by name
    request,
    sns_event,
    verified,
)
from tests.integration.test_devices_and_support import verify

support_api = handler_fixture("support_api")
relay_fn = handler_fixture("command_relay")


def timeline(api: Any, context: object, contract_id: str, query: Any = None, **kw: Any) -> Any:
    return staff_get(
        api,
        context,
        f"/contracts/{contract_id}/timeline",
        "/contracts/{contractId}/timeline",
        {"contractId": contract_id},
        query,
        **kw,
    )


def verification_state(api: Any, context: object, contract_id: str, **kw: Any) -> Any:
    return staff_get(
        api,
        context,
        f"/contracts/{contract_id}/verification",
        "/contracts/{contractId}/verification",
        {"contractId": contract_id},
        **kw,
    )


def session(api: Any, context: object, contract_id: str, category: str = "SETTINGS") -> Any:
    body = {"contractId": contract_id, "channel": "PHONE", "category": category}
    return api_call(api, context, "POST", "/support-sessions", "/support-sessions", None, body)


class TestVerificationState:
    def test_none_verified_then_locked_out(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        contract_id = device["contractId"]
        with time_machine.travel(NOON, tick=False):
            assert verification_state(support_api, lambda_context, contract_id) == (
                200,
                {"contractId": contract_id, "state": "NONE", "failedAttempts": 0, "attemptsLeft": 5},
            )
            assert verify(support_api, lambda_context, contract_id, "wrong")[0] == 401
            verification_id = verified(support_api, lambda_context, device)
            status, state = verification_state(support_api, lambda_context, contract_id)
        assert status == 200
        assert state == {
            "contractId": contract_id,
            "state": "VERIFIED",
            "verificationId": verification_id,
            "verifiedAt": "2026-11-24T03:00:00.000Z",
            "expiresAt": "2026-11-24T03:10:00.000Z",
            "failedAttempts": 0,
            "attemptsLeft": 5,
        }
        with time_machine.travel(NOON + timedelta(minutes=11), tick=False):
            assert verify(support_api, lambda_context, contract_id, "wrong")[0] == 401
            state = verification_state(support_api, lambda_context, contract_id)[1]
            assert (state["state"], state["failedAttempts"], state["attemptsLeft"]) == ("NONE", 1, 4)
            for _ in range(4):
                verify(support_api, lambda_context, contract_id, "wrong")
            state = verification_state(support_api, lambda_context, contract_id)[1]
        assert state == {
            "contractId": contract_id,
            "state": "LOCKED_OUT",
            "failedAttempts": 5,
            "attemptsLeft": 0,
            "lockedUntil": "2026-11-24T03:41:00.000Z",
        }
        assert "sakura" not in str(state)

    def test_unknown_contract_and_staff_only(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        status, body = verification_state(support_api, lambda_context, "ctr-ffffffff")
        assert (status, body["code"]) == (404, "CONTRACT_NOT_FOUND")
        assert verification_state(support_api, lambda_context, device["contractId"], claims=None)[0] == 401
        assert (
            verification_state(support_api, lambda_context, device["contractId"], claims={"sub": "x"})[0]
            == 403
        )


class TestTimeline:
    def test_newest_first_with_every_kind_and_paged(
        self, support_api: Any, relay_fn: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        contract_id = device["contractId"]
        table = boto3.resource("dynamodb").Table("Contracts")
        # The application the contract came from (a deferred one staff approved) and a charged month.
        contract = table.get_item(Key=keys.contract(contract_id))["Item"]
        table.put_item(
            Item={
                **keys.application(str(contract["applicationId"])),
                "type": "APPLICATION",
                "applicationId": contract["applicationId"],
                "status": "CONTRACTED",
                "receivedAt": "2026-08-31T01:00:00.000Z",
                "mobileContractId": "MC-1",
                "applicant": {"name": "山田 花子", "email": "hanako@example.jp", "phone": "09012345678"},
                "decidedBy": "staff-9",
                "staffDecision": "APPROVE",
            }
        )
        boto3.resource("dynamodb").Table("Ledger").put_item(
            Item={
                **keys.invoice_line("MC-1", "2026-10", contract_id),
                "type": "INVOICE_LINE",
                "mobileContractId": "MC-1",
                "month": "2026-10",
                "contractId": contract_id,
                "amount": 500,
                "chargedAt": "2026-11-01T00:30:00.000Z",
                "runId": "run-1",
            }
        )
        with time_machine.travel(NOON, tick=False):
            verify(support_api, lambda_context, contract_id, "wrong")
        with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
            command_id = request(
                support_api, lambda_context, device, {"action": "BACKUP", "reason": "new phone"}
            )[1]["commandId"]
        with time_machine.travel(NOON + timedelta(minutes=1, seconds=1), tick=False):
            relay_fn.handler(sns_event(command_id, 1), lambda_context)
        with time_machine.travel(NOON + timedelta(minutes=2), tick=False):
            cancel(support_api, lambda_context, command_id, reason="not needed")
        with time_machine.travel(NOON + timedelta(minutes=3), tick=False):
            session_id = session(support_api, lambda_context, contract_id)[1]["sessionId"]
        with time_machine.travel(NOON + timedelta(minutes=4), tick=False):
            api_call(
                support_api,
                lambda_context,
                "PATCH",
                f"/support-sessions/{session_id}",
                "/support-sessions/{sessionId}",
                {"sessionId": session_id},
                {"outcome": "RESOLVED"},
            )
        with time_machine.travel(datetime(2026, 11, 24, 22, 0, tzinfo=JST), tick=False):  # R7: refused
            assert session(support_api, lambda_context, contract_id)[0] == 422

        with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=JST), tick=False):
            status, whole = timeline(support_api, lambda_context, contract_id, {"limit": "50"})
            assert status == 200, whole
            events = [(e["kind"], e["event"]) for e in whole["items"]]
            assert events == [
                ("SESSION", "SESSION_REFUSED"),
                ("SESSION", "SESSION_CLOSED"),
                ("SESSION", "SESSION_OPENED"),
                ("CMD", "COMMAND_CANCELLED"),
                ("CMD", "COMMAND_ATTEMPTED"),
                ("CMD", "COMMAND_BACKUP_REQUESTED"),
                ("VERIFY", "FAILED"),
                ("DEVICE", "DEVICE_REGISTERED"),
                ("INVOICE", "CHARGED"),
                ("CONTRACT", "FORMED"),
                ("APPLICATION", "DECIDED"),
                ("APPLICATION", "RECEIVED"),
            ]
            assert whole["nextCursor"] is None
            at = [e["at"] for e in whole["items"]]
            assert at == sorted(at, reverse=True)
            by_event = {e["event"]: e for e in whole["items"]}
            assert by_event["COMMAND_CANCELLED"]["by"] == "staff-1"
            # Who acted by name (issue 23): the token's username, stored with each entry.
            staffs = [e for e in whole["items"] if e["kind"] in ("SESSION", "VERIFY", "CMD")]
            staffs = [e for e in staffs if e["event"] != "COMMAND_ATTEMPTED"]  # the relay's
            assert len(staffs) == 6 and {(e["by"], e["byName"]) for e in staffs} == {
                ("staff-1", "sato.hanako")
            }
            assert "by" not in by_event["COMMAND_ATTEMPTED"] and "byName" not in by_event["CHARGED"]
            assert by_event["COMMAND_CANCELLED"]["details"]["reason"] == "not needed"
            assert by_event["COMMAND_BACKUP_REQUESTED"]["details"]["reason"] == "new phone"
            assert by_event["COMMAND_ATTEMPTED"]["details"]["attempt"] == 1
            assert by_event["SESSION_REFUSED"]["details"]["refusal"] == "OUTSIDE_SUPPORT_HOURS"
            assert by_event["SESSION_CLOSED"]["details"]["sessionOutcome"] == "RESOLVED"
            assert by_event["CHARGED"]["details"] == {"month": "2026-10", "amount": 500}
            assert by_event["DECIDED"]["by"] == "staff-9"
            assert by_event["DECIDED"]["byName"] is None  # decided before names were stored
            assert by_event["DECIDED"]["details"]["decision"] == "APPROVE"
            assert by_event["FAILED"]["details"] == {}  # the outcome only
            text = str(whole)
            assert "山田" not in text and "hanako@" not in text and "09012345678" not in text

            pages, cursor = [], None
            while True:
                query = {"limit": "5", **({"cursor": cursor} if cursor else {})}
                status, page = timeline(support_api, lambda_context, contract_id, query)
                assert status == 200 and len(page["items"]) <= 5, page
                pages += page["items"]
                cursor = page["nextCursor"]
                if cursor is None:
                    break
            assert pages == whole["items"]

            status, body = timeline(support_api, lambda_context, contract_id, {"cursor": "bm90LWEtY3Vyc29y"})
            assert (status, body["code"]) == (400, "INVALID_CURSOR")
            other_contract = timeline(support_api, lambda_context, "ctr-ffffffff")
            assert other_contract[1]["code"] == "CONTRACT_NOT_FOUND"

    def test_a_cursor_of_another_contract_is_refused_and_staff_only(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        contract_id = device["contractId"]
        with time_machine.travel(NOON, tick=False):
            for _ in range(3):
                verify(support_api, lambda_context, contract_id, "wrong")
            page = timeline(support_api, lambda_context, contract_id, {"limit": "1"})[1]
        from anshin.domain import paging

        forged = paging.encode_cursor({"pk": "AUDIT#ctr-other", "sk": "2099"})
        assert (
            page["nextCursor"]
            and timeline(support_api, lambda_context, contract_id, {"cursor": forged})[0] == 400
        )
        assert timeline(support_api, lambda_context, contract_id, claims=None)[1]["code"] == "UNAUTHENTICATED"
        assert (
            timeline(support_api, lambda_context, contract_id, claims={"sub": "x"})[1]["code"] == "FORBIDDEN"
        )
        assert timeline(support_api, lambda_context, contract_id, {"limit": "51"})[0] == 400
        assert STAFF["sub"] == "staff-1"


class TestStaffByName:
    """Issue 23: who acted is shown by their staff username, taken from the verified token at the
    time of the action and stored with the entry; entries recorded before names were still show."""

    def test_the_name_of_the_token_at_the_time_is_stored_with_each_entry_and_answered(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        contract_id = device["contractId"]
        colleague = {**STAFF, "sub": "staff-2", "cognito:username": "suzuki.jiro"}
        with time_machine.travel(NOON, tick=False):
            command_id = lock(support_api, lambda_context, device)  # verified and asked by sato.hanako
        with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
            status, cancelled = cancel(support_api, lambda_context, command_id, claims=colleague)
        assert status == 200, cancelled
        assert (cancelled["requestedBy"], cancelled["requestedByName"]) == ("staff-1", "sato.hanako")
        assert (cancelled["cancelledBy"], cancelled["cancelledByName"]) == ("staff-2", "suzuki.jiro")
        # Stored with the entries, in the same writes: the audit and the command item.
        entries = {a["outcome"]: a for a in audit_of(contract_id)}
        assert (entries["VERIFIED"]["staffId"], entries["VERIFIED"]["staffName"]) == (
            "staff-1",
            "sato.hanako",
        )
        requested = entries["COMMAND_LOCK_REQUESTED"]
        assert (requested["staffId"], requested["staffName"]) == ("staff-1", "sato.hanako")
        gone = entries["COMMAND_CANCELLED"]
        assert (gone["staffId"], gone["staffName"]) == ("staff-2", "suzuki.jiro")
        stored = boto3.resource("dynamodb").Table("Contracts").get_item(Key=keys.command(command_id))["Item"]
        assert (stored["requestedByName"], stored["cancelledByName"]) == ("sato.hanako", "suzuki.jiro")

        # Read later, by someone whose username has changed since: the names of the time stand.
        renamed = {**STAFF, "cognito:username": "sato.hanako2"}
        with time_machine.travel(NOON + timedelta(minutes=2), tick=False):
            status, page = timeline(support_api, lambda_context, contract_id, claims=renamed)
            assert status == 200, page
            shown = staff_get(
                support_api,
                lambda_context,
                f"/commands/{command_id}",
                "/commands/{commandId}",
                {"commandId": command_id},
                claims=renamed,
            )[1]
            listed = history(support_api, lambda_context, device)[1]["items"]
        who = {e["event"]: (e["by"], e["byName"]) for e in page["items"] if "by" in e}
        assert who == {
            "VERIFIED": ("staff-1", "sato.hanako"),
            "COMMAND_LOCK_REQUESTED": ("staff-1", "sato.hanako"),
            "COMMAND_CANCELLED": ("staff-2", "suzuki.jiro"),
        }
        assert "sato.hanako2" not in str(page) and "sato.hanako2" not in str(shown)
        assert (shown["requestedByName"], shown["cancelledByName"]) == ("sato.hanako", "suzuki.jiro")
        assert [(c["requestedByName"], c["cancelledByName"]) for c in listed] == [
            ("sato.hanako", "suzuki.jiro")
        ]

    def test_a_token_without_a_username_is_named_by_its_email_never_its_sub(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        contract_id = device["contractId"]
        by_email = {k: v for k, v in STAFF.items() if k != "cognito:username"} | {
            "email": "tanaka@example.jp"
        }
        nameless = {k: v for k, v in STAFF.items() if k != "cognito:username"} | {"sub": "staff-3"}
        with time_machine.travel(NOON, tick=False):
            assert verify(support_api, lambda_context, contract_id, "wrong", claims=by_email)[0] == 401
        with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
            assert verify(support_api, lambda_context, contract_id, "wrong", claims=nameless)[0] == 401
            page = timeline(support_api, lambda_context, contract_id)[1]
        assert [(e["by"], e["byName"]) for e in page["items"] if e["kind"] == "VERIFY"] == [
            ("staff-3", "unknown"),
            ("staff-1", "tanaka@example.jp"),
        ]

    def test_old_entries_without_a_name_still_render(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        """What the service wrote before names were stored: the ids only."""
        contract_id, device_id = device["contractId"], device["deviceId"]
        table = boto3.resource("dynamodb").Table("Contracts")
        command_id = "cmd-" + "0" * 32
        at = "2026-11-24T02:00:00.000Z"
        table.put_item(
            Item={
                **keys.command(command_id),
                "type": "COMMAND",
                "commandId": command_id,
                "contractId": contract_id,
                "deviceId": device_id,
                "action": "LOCK",
                "status": "CANCELLED",
                "requestedBy": "staff-old",
                "requestedAt": at,
                "expiresAt": "2026-11-27T02:00:00.000Z",
                "attempts": 0,
                "finishedAt": "2026-11-24T02:01:00.000Z",
                "cancelledAt": "2026-11-24T02:01:00.000Z",
                "cancelledBy": "staff-old",
                "cancelReason": "found it",
            }
        )
        table.put_item(
            Item={
                **keys.command_history(contract_id, device_id, at, command_id),
                "type": "COMMAND_HISTORY",
                "commandId": command_id,
            }
        )
        for minute, outcome in ((0, "COMMAND_LOCK_REQUESTED"), (1, "COMMAND_CANCELLED")):
            when = datetime(2026, 11, 24, 11, minute, tzinfo=JST)
            table.put_item(
                Item=audit.item(
                    contract_id,
                    "CMD",
                    when,
                    outcome,
                    staffId="staff-old",
                    commandId=command_id,
                    action="LOCK",
                )
            )
        with time_machine.travel(NOON, tick=False):
            status, page = timeline(support_api, lambda_context, contract_id)
            listed = history(support_api, lambda_context, device)
            shown = staff_get(
                support_api,
                lambda_context,
                f"/commands/{command_id}",
                "/commands/{commandId}",
                {"commandId": command_id},
            )
        assert status == 200, page
        old = [(e["event"], e["by"], e["byName"]) for e in page["items"] if "by" in e]
        assert old == [
            ("COMMAND_CANCELLED", "staff-old", None),
            ("COMMAND_LOCK_REQUESTED", "staff-old", None),
        ]
        assert listed[0] == 200 and shown[0] == 200
        for command in (listed[1]["items"][0], shown[1]):
            assert (command["requestedBy"], command["requestedByName"]) == ("staff-old", None)
            assert (command["cancelledBy"], command["cancelledByName"]) == ("staff-old", None)

    def test_the_staff_decision_is_stored_with_its_name(
        self, support_api: Any, lambda_context: object, device: dict[str, str]
    ) -> None:
        contract_id = device["contractId"]
        table = boto3.resource("dynamodb").Table("Contracts")
        contract = table.get_item(Key=keys.contract(contract_id))["Item"]
        application_id = str(contract["applicationId"])
        table.put_item(
            Item={
                **keys.application(application_id),
                "type": "APPLICATION",
                "applicationId": application_id,
                "status": "DEFERRED",
                "receivedAt": "2026-08-31T01:00:00.000Z",
                "mobileContractId": "MC-1",
                "taskToken": "token-1",
            }
        )
        assert stored_applications.record_staff_decision(application_id, "APPROVE", STAFF_MEMBER)
        item = table.get_item(Key=keys.application(application_id))["Item"]
        assert (item["decidedBy"], item["decidedByName"]) == ("staff-1", "sato.hanako")
        with time_machine.travel(NOON, tick=False):
            page = timeline(support_api, lambda_context, contract_id)[1]
        [decided] = [e for e in page["items"] if e["event"] == "DECIDED"]
        assert (decided["by"], decided["byName"]) == ("staff-1", "sato.hanako")
        stored_applications.withdraw_staff_decision(application_id)
        item = table.get_item(Key=keys.application(application_id))["Item"]
        assert not {"decidedBy", "decidedByName", "staffDecision"} & set(item)
