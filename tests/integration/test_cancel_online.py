"""Cancelling online (R9, issue 17 part 2), handler tests against moto: from the app with the
device's own token, and from the web with the member code and a one-time code sent to the contact
on file. The same R9 code as staff decides the end; the notice is audited by the subscriber and
confirmed to them; wrong codes lock; an unknown member code answers like a wrong code; retries
answer the same. Time stands still with time-machine."""

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain.terms import JST
from boto3.dynamodb.conditions import Key

from tests.integration.conftest import api_call, give_code, handler_fixture, sent_notifications
from tests.integration.test_contract_end_and_billing import seed_account, seed_contract
from tests.integration.test_credentials import CODE, device_call, register

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=JST)
#: R9: a notice on 24 November (JST) ends the contract at the end of November, JST.
END_OF_NOVEMBER = "2026-11-30T14:59:59.999Z"
NOON_UTC = "2026-11-24T03:00:00.000Z"

devices_api = handler_fixture("devices_api")
cancellations_api = handler_fixture("cancellations_api")


@pytest.fixture
def contract_id(aws_env: dict[str, str]) -> str:
    seed_account("MC-1", has_formed_contract=True)
    contract_id = seed_contract("MC-1", datetime(2026, 9, 1, tzinfo=JST), first=False)
    give_code(contract_id, CODE)
    return contract_id


def contract(contract_id: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table("Contracts")
    return dict(table.get_item(Key={"pk": f"CONTRACT#{contract_id}", "sk": "CONTRACT"})["Item"])


def audit_entries(contract_id: str, kind: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb").Table("Contracts")
    items = table.query(KeyConditionExpression=Key("pk").eq(f"AUDIT#{contract_id}"))["Items"]
    return [dict(i) for i in items if i.get("kind") == kind]


def call(api: Any, context: object, path: str, resource: str, body: Any) -> tuple[int, dict[str, Any]]:
    """An anonymous POST from one source address (the event's 127.0.0.1)."""
    params = {"requestId": path.split("/")[2]} if "{requestId}" in resource else None
    status, answer = api_call(api, context, "POST", path, resource, params, body, claims=None)
    return status, dict(answer)


def ask(api: Any, context: object, code: str = CODE) -> tuple[int, dict[str, Any]]:
    return call(
        api, context, "/cancellation-requests", "/cancellation-requests", {"memberConfirmationCode": code}
    )


def step(
    api: Any, context: object, request_id: str, name: str, one_time_code: str
) -> tuple[int, dict[str, Any]]:
    return call(
        api,
        context,
        f"/cancellation-requests/{request_id}/{name}",
        "/cancellation-requests/{requestId}/" + name,
        {"oneTimeCode": one_time_code},
    )


def sent_code(env: dict[str, str]) -> dict[str, Any]:
    [message] = [m for m in sent_notifications(env) if m["kind"] == "CANCELLATION_CODE"]
    return message


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


class TestFromTheApp:
    @time_machine.travel(NOON, tick=False)
    def test_the_devices_token_gives_notice_and_a_retry_answers_the_same(
        self, devices_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        _, registered, _ = register(devices_api, lambda_context, contract_id)
        token = registered["deviceToken"]
        first = device_call(devices_api, lambda_context, "POST", contract_id, "/cancellation", token)
        again = device_call(devices_api, lambda_context, "POST", contract_id, "/cancellation", token)
        assert first == again
        assert first == (
            200,
            {
                "contractId": contract_id,
                "status": "CANCELLATION_PENDING",
                "endsAt": END_OF_NOVEMBER,
                "endReason": "SUBSCRIBER_CANCELLATION",
                "receivedAt": NOON_UTC,  # the server's receipt time (R9)
            },
        )
        stored = contract(contract_id)
        assert (stored["status"], stored["endsAt"]) == ("CANCELLATION_PENDING", END_OF_NOVEMBER)
        # The staff's audit entry, by the subscriber's app instead of a staff member.
        [entry] = [
            e for e in audit_entries(contract_id, "CONTRACT") if e["outcome"] == "CANCELLATION_RECEIVED"
        ]
        assert {k: entry[k] for k in ("by", "channel", "deviceId", "receivedAt", "endsAt")} == {
            "by": "SUBSCRIBER",
            "channel": "APP",
            "deviceId": contract_id,
            "receivedAt": NOON_UTC,
            "endsAt": END_OF_NOVEMBER,
        }
        assert "staffId" not in entry
        confirmations = [m for m in sent_notifications(aws_env) if m["kind"] == "CANCELLATION_CONFIRMED"]
        assert confirmations and all(m["endsAt"] == END_OF_NOVEMBER for m in confirmations)
        assert confirmations[0]["email"] == "seed@example.com" and confirmations[0]["channel"] == "APP"

    @time_machine.travel(NOON, tick=False)
    def test_without_the_devices_own_token_nothing_happens(
        self, devices_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        status, body = device_call(
            devices_api, lambda_context, "POST", contract_id, "/cancellation", "forged"
        )
        assert (status, body["code"]) == (401, "DEVICE_NOT_AUTHENTICATED")
        assert contract(contract_id)["status"] == "ACTIVE"


class TestFromTheWeb:
    @time_machine.travel(NOON, tick=False)
    def test_code_preview_then_confirmation_and_a_retry_answers_the_same(
        self, cancellations_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        status, asked = ask(cancellations_api, lambda_context)
        assert status == 202
        assert set(asked) == {"requestId", "expiresAt", "codeLength"} and asked["codeLength"] == 6
        assert asked["expiresAt"] == "2026-11-24T03:10:00.000Z"  # ten minutes
        message = sent_code(aws_env)
        code = message["oneTimeCode"]
        assert len(code) == 6 and code.isdigit() and message["email"] == "seed@example.com"
        # Only the keyed digest is stored: never the code.
        stored = (
            boto3.resource("dynamodb")
            .Table("Sessions")
            .get_item(Key={"pk": f"CANCEL#{asked['requestId']}", "sk": "REQUEST"})["Item"]
        )
        assert code not in json.dumps(stored, default=str) and len(stored["codeDigest"]) == 64

        request_id = asked["requestId"]
        status, shown = step(cancellations_api, lambda_context, request_id, "preview", code)
        assert status == 200, shown
        assert (shown["endsAt"], shown["status"], shown["confirmed"]) == (END_OF_NOVEMBER, "ACTIVE", False)
        assert contract(contract_id)["status"] == "ACTIVE"  # a preview writes nothing

        confirmed = step(cancellations_api, lambda_context, request_id, "confirmation", code)
        assert confirmed == (
            200,
            {
                "requestId": request_id,
                "confirmed": True,
                "contractId": contract_id,
                "status": "CANCELLATION_PENDING",
                "endsAt": END_OF_NOVEMBER,
                "endReason": "SUBSCRIBER_CANCELLATION",
                "receivedAt": NOON_UTC,
            },
        )
        assert step(cancellations_api, lambda_context, request_id, "confirmation", code) == confirmed
        notified = [m for m in sent_notifications(aws_env) if m["kind"] == "CANCELLATION_CONFIRMED"]
        assert len(notified) == 1 and notified[0]["channel"] == "WEB"  # the retry tells nothing new

        outcomes = sorted(e["outcome"] for e in audit_entries(contract_id, "CANCEL"))
        assert outcomes == ["CODE_SENT", "PREVIEWED"]
        [received] = [
            e for e in audit_entries(contract_id, "CONTRACT") if e["outcome"] == "CANCELLATION_RECEIVED"
        ]
        assert (received["by"], received["channel"], received["requestId"]) == (
            "SUBSCRIBER",
            "WEB",
            request_id,
        )

    @time_machine.travel(NOON, tick=False)
    def test_wrong_codes_lock_the_request_and_are_audited(
        self, cancellations_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        _, asked = ask(cancellations_api, lambda_context)
        code = sent_code(aws_env)["oneTimeCode"]
        for left in (4, 3, 2, 1, 0):
            status, body = step(
                cancellations_api, lambda_context, asked["requestId"], "confirmation", wrong(code)
            )
            assert (status, body["code"], body["attemptsLeft"]) == (401, "ONE_TIME_CODE_INVALID", left)
        status, body = step(cancellations_api, lambda_context, asked["requestId"], "confirmation", code)
        assert (status, body["code"]) == (429, "ONE_TIME_CODE_LOCKED")
        assert contract(contract_id)["status"] == "ACTIVE"
        outcomes = [e["outcome"] for e in audit_entries(contract_id, "CANCEL")]
        assert outcomes.count("CODE_WRONG") == 5 and outcomes.count("CODE_LOCKED") == 1

    @time_machine.travel(NOON, tick=False)
    def test_guesses_racing_each_other_never_get_a_code_compared_past_the_lock(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Many guesses at once all read the request before any of them is counted: each must
        take its try before its code is looked at, so once the tries are gone even the right code
        is not compared (a burst cannot go past the lock)."""
        from anshin.store import cancellation_requests

        _, asked = ask(cancellations_api, lambda_context)
        request_id, code = asked["requestId"], sent_code(aws_env)["oneTimeCode"]
        stale = cancellation_requests.get(request_id)  # what every racing guess read: no try used
        for _ in range(5):  # the racing wrong guesses that took the five tries first
            step(cancellations_api, lambda_context, request_id, "preview", wrong(code))
        monkeypatch.setattr(cancellation_requests, "get", lambda _request_id: stale)
        status, body = step(cancellations_api, lambda_context, request_id, "confirmation", code)
        assert (status, body["code"]) == (429, "ONE_TIME_CODE_LOCKED")
        assert contract(contract_id)["status"] == "ACTIVE"

    @time_machine.travel(NOON, tick=False)
    def test_the_right_code_gives_its_try_back(
        self, cancellations_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        from anshin.store import cancellation_requests

        _, asked = ask(cancellations_api, lambda_context)
        request_id, code = asked["requestId"], sent_code(aws_env)["oneTimeCode"]
        step(cancellations_api, lambda_context, request_id, "preview", wrong(code))
        assert step(cancellations_api, lambda_context, request_id, "preview", code)[0] == 200
        stored = cancellation_requests.get(request_id)
        assert stored is not None and stored["wrongAttempts"] == 1  # the wrong one only

    @time_machine.travel(NOON, tick=False)
    def test_an_unknown_member_code_answers_exactly_like_a_known_one_with_a_wrong_code(
        self, cancellations_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        known_status, known = ask(cancellations_api, lambda_context)
        code = sent_code(aws_env)["oneTimeCode"]
        unknown_status, unknown = ask(cancellations_api, lambda_context, code="99999999")
        assert (known_status, set(known), known["expiresAt"]) == (
            unknown_status,
            set(unknown),
            unknown["expiresAt"],
        )
        assert sent_notifications(aws_env) == []  # nothing sent for the unknown code
        for _ in range(5):
            assert step(
                cancellations_api, lambda_context, known["requestId"], "preview", wrong(code)
            ) == step(cancellations_api, lambda_context, unknown["requestId"], "preview", code)
        locked = step(cancellations_api, lambda_context, unknown["requestId"], "preview", code)
        assert locked == step(cancellations_api, lambda_context, known["requestId"], "preview", code)
        assert locked[0] == 429

    def test_an_expired_code_is_refused(
        self, cancellations_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            _, asked = ask(cancellations_api, lambda_context)
            code = sent_code(aws_env)["oneTimeCode"]
        with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
            status, body = step(cancellations_api, lambda_context, asked["requestId"], "confirmation", code)
        assert (status, body["code"]) == (409, "ONE_TIME_CODE_EXPIRED")
        assert contract(contract_id)["status"] == "ACTIVE"

    @time_machine.travel(NOON, tick=False)
    def test_an_unknown_request_is_404_and_a_malformed_one_400(
        self, cancellations_api: Any, lambda_context: object, contract_id: str
    ) -> None:
        status, body = step(cancellations_api, lambda_context, "cxl-" + "0" * 32, "preview", "123456")
        assert (status, body["code"]) == (404, "CANCELLATION_REQUEST_NOT_FOUND")
        status, body = step(cancellations_api, lambda_context, "cxl-" + "0" * 32, "preview", "12345")
        assert (status, body["code"], body["errors"][0]["field"]) == (400, "VALIDATION_ERROR", "oneTimeCode")
        status, body = ask(cancellations_api, lambda_context, code="1234")
        assert (status, body["code"]) == (400, "VALIDATION_ERROR")

    @time_machine.travel(NOON, tick=False)
    def test_codes_sent_are_limited_per_member_code_and_calls_per_source(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        for _ in range(3):
            assert ask(cancellations_api, lambda_context)[0] == 202
        status, body = ask(cancellations_api, lambda_context)
        assert (status, body["code"]) == (429, "TOO_MANY_ATTEMPTS")
        monkeypatch.setenv("CANCELLATION_ATTEMPTS_PER_SOURCE", "5")  # 4 counted above
        assert ask(cancellations_api, lambda_context, code="11111111")[0] == 202
        status, body = ask(cancellations_api, lambda_context, code="22222222")
        assert (status, body["code"]) == (429, "TOO_MANY_ATTEMPTS")

    @time_machine.travel(NOON, tick=False)
    def test_a_contract_that_ended_gets_no_code(
        self, cancellations_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        from anshin.services import contract_ends

        contract_ends.terminate(contract_id, NOON, "test", "staff-1")
        assert ask(cancellations_api, lambda_context)[0] == 202
        assert [m for m in sent_notifications(aws_env) if m["kind"] == "CANCELLATION_CODE"] == []

    @time_machine.travel(NOON, tick=False)
    def test_no_code_and_no_contact_in_the_logs(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        _, asked = ask(cancellations_api, lambda_context)
        code = sent_code(aws_env)["oneTimeCode"]
        step(cancellations_api, lambda_context, asked["requestId"], "preview", wrong(code))
        step(cancellations_api, lambda_context, asked["requestId"], "confirmation", code)
        logged = " ".join(str(record.__dict__) for record in caplog.records)  # message and extras
        assert "cancellation noticed" in logged and asked["requestId"] in logged  # extras are seen
        for secret in (code, CODE, "seed@example.com", "09000000000"):
            assert secret not in logged


@time_machine.travel(datetime(2026, 11, 30, 23, 58, tzinfo=JST), tick=False)
def test_a_confirmation_after_the_month_turned_records_nothing_and_shows_the_new_end(
    cancellations_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
) -> None:
    """R9: the end the subscriber saw is the end recorded. Previewed at 23:58 on 30 November (the
    end: that night), confirmed at 00:01 on 1 December: a notice received now ends the contract at
    the end of December, which was never shown, so nothing is recorded and the new end is said."""
    _, asked = ask(cancellations_api, lambda_context)
    request_id, code = asked["requestId"], sent_code(aws_env)["oneTimeCode"]
    _, shown = step(cancellations_api, lambda_context, request_id, "preview", code)
    assert shown["endsAt"] == END_OF_NOVEMBER
    with time_machine.travel(datetime(2026, 12, 1, 0, 1, tzinfo=JST), tick=False):
        status, body = call(
            cancellations_api,
            lambda_context,
            f"/cancellation-requests/{request_id}/confirmation",
            "/cancellation-requests/{requestId}/confirmation",
            {"oneTimeCode": code, "endsAt": shown["endsAt"]},
        )
        assert (status, body["code"], body["endsAt"]) == (409, "END_CHANGED", "2026-12-31T14:59:59.999Z")
        assert contract(contract_id)["status"] == "ACTIVE"  # nothing recorded
        status, body = call(
            cancellations_api,
            lambda_context,
            f"/cancellation-requests/{request_id}/confirmation",
            "/cancellation-requests/{requestId}/confirmation",
            {"oneTimeCode": code, "endsAt": "2026-12-31T14:59:59.999Z"},
        )
    assert (status, body["endsAt"]) == (200, "2026-12-31T14:59:59.999Z")
    assert contract(contract_id)["endsAt"] == "2026-12-31T14:59:59.999Z"
