"""Cancelling online (R9, issue 17 part 2), handler tests against moto: from the app with the
device's own token, and from the web with the member code and a one-time code sent to the contact
on file. The same R9 code as staff decides the end; the notice is audited by the subscriber and
confirmed to them; wrong codes lock; an unknown member code answers like a wrong code, after the
same AWS work (the code is sent by the cancellation-code queue's worker, driven here as Lambda's
poller would: :class:`Worker`); retries and redeliveries answer the same. Time stands still with
time-machine."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from anshin.adapters import aws
from anshin.domain.terms import JST
from anshin.store import db
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from boto3.dynamodb.conditions import Key

from tests.integration.conftest import (
    STAFF_MEMBER,
    api_call,
    give_code,
    handler_fixture,
    load_handler,
    sent_notifications,
)
from tests.integration.test_contract_end_and_billing import seed_account, seed_contract
from tests.integration.test_credentials import CODE, device_call, register

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=JST)
#: R9: a notice on 24 November (JST) ends the contract at the end of November, JST.
END_OF_NOVEMBER = "2026-11-30T14:59:59.999Z"
NOON_UTC = "2026-11-24T03:00:00.000Z"

devices_api = handler_fixture("devices_api")
cancellations_api = handler_fixture("cancellations_api")


class Worker:
    """The cancellation-code queue (moto) and its worker (functions/cancellation_codes), which a
    test drives as Lambda's poller would: a batch of what is queued, deleting what succeeded."""

    def __init__(self, queue_url: str, context: object) -> None:
        self.queue_url = queue_url
        self.context = context
        self.module = load_handler("cancellation_codes")

    def queued(self) -> list[dict[str, Any]]:
        """The messages waiting (each received once: time stands still, so they stay hidden)."""
        answer = boto3.client("sqs").receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return list(answer.get("Messages", []))

    def deliver(self, messages: list[dict[str, Any]]) -> set[str]:
        """One invocation with ``messages`` as its batch; the ids of those that failed."""
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:cancellation-codes",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
        try:
            response = self.module.handler({"Records": records}, self.context)
        except BatchProcessingError:  # every record failed: Lambda returns them all to the queue
            return {m["MessageId"] for m in messages}
        return {failure["itemIdentifier"] for failure in response["batchItemFailures"]}

    def drain(self) -> set[str]:
        """Deliver everything queued, deleting what succeeded; the ids of what failed."""
        messages = self.queued()
        failed = self.deliver(messages) if messages else set()
        for message in messages:
            if message["MessageId"] not in failed:
                boto3.client("sqs").delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return failed


@pytest.fixture(autouse=True)
def worker(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, lambda_context: object) -> Worker:
    url = boto3.client("sqs").create_queue(QueueName="cancellation-codes")["QueueUrl"]
    monkeypatch.setenv("CANCELLATION_CODE_QUEUE_URL", url)
    return Worker(url, lambda_context)


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


def sent_code(worker: Worker, env: dict[str, str]) -> dict[str, Any]:
    """The one code sent since the last look, once the worker has handled what was queued."""
    assert worker.drain() == set()
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
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
    ) -> None:
        status, asked = ask(cancellations_api, lambda_context)
        assert status == 202
        assert set(asked) == {"requestId", "expiresAt", "codeLength"} and asked["codeLength"] == 6
        assert asked["expiresAt"] == "2026-11-24T03:10:00.000Z"  # ten minutes
        message = sent_code(worker, aws_env)
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
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
    ) -> None:
        _, asked = ask(cancellations_api, lambda_context)
        code = sent_code(worker, aws_env)["oneTimeCode"]
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
        worker: Worker,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Many guesses at once all read the request before any of them is counted: each must
        take its try before its code is looked at, so once the tries are gone even the right code
        is not compared (a burst cannot go past the lock)."""
        from anshin.store import cancellation_requests

        _, asked = ask(cancellations_api, lambda_context)
        request_id, code = asked["requestId"], sent_code(worker, aws_env)["oneTimeCode"]
        stale = cancellation_requests.get(request_id)  # what every racing guess read: no try used
        for _ in range(5):  # the racing wrong guesses that took the five tries first
            step(cancellations_api, lambda_context, request_id, "preview", wrong(code))
        monkeypatch.setattr(cancellation_requests, "get", lambda _request_id: stale)
        status, body = step(cancellations_api, lambda_context, request_id, "confirmation", code)
        assert (status, body["code"]) == (429, "ONE_TIME_CODE_LOCKED")
        assert contract(contract_id)["status"] == "ACTIVE"

    @time_machine.travel(NOON, tick=False)
    def test_the_right_code_gives_its_try_back(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
    ) -> None:
        from anshin.store import cancellation_requests

        _, asked = ask(cancellations_api, lambda_context)
        request_id, code = asked["requestId"], sent_code(worker, aws_env)["oneTimeCode"]
        step(cancellations_api, lambda_context, request_id, "preview", wrong(code))
        assert step(cancellations_api, lambda_context, request_id, "preview", code)[0] == 200
        stored = cancellation_requests.get(request_id)
        assert stored is not None and stored["wrongAttempts"] == 1  # the wrong one only

    @time_machine.travel(NOON, tick=False)
    def test_an_unknown_member_code_answers_exactly_like_a_known_one_with_a_wrong_code(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
    ) -> None:
        known_status, known = ask(cancellations_api, lambda_context)
        code = sent_code(worker, aws_env)["oneTimeCode"]
        unknown_status, unknown = ask(cancellations_api, lambda_context, code="99999999")
        assert (known_status, set(known), known["expiresAt"]) == (
            unknown_status,
            set(unknown),
            unknown["expiresAt"],
        )
        assert worker.drain() == set()  # its request was queued like any other...
        assert sent_notifications(aws_env) == []  # ...and nothing sent for the unknown code
        for _ in range(5):
            assert step(
                cancellations_api, lambda_context, known["requestId"], "preview", wrong(code)
            ) == step(cancellations_api, lambda_context, unknown["requestId"], "preview", code)
        locked = step(cancellations_api, lambda_context, unknown["requestId"], "preview", code)
        assert locked == step(cancellations_api, lambda_context, known["requestId"], "preview", code)
        assert locked[0] == 429

    def test_an_expired_code_is_refused(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            _, asked = ask(cancellations_api, lambda_context)
            code = sent_code(worker, aws_env)["oneTimeCode"]
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
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
    ) -> None:
        from anshin.services import contract_ends

        contract_ends.terminate(contract_id, NOON, "test", STAFF_MEMBER)
        assert ask(cancellations_api, lambda_context)[0] == 202
        assert worker.drain() == set()
        assert [m for m in sent_notifications(aws_env) if m["kind"] == "CANCELLATION_CODE"] == []

    @time_machine.travel(NOON, tick=False)
    def test_no_code_and_no_contact_in_the_logs(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        _, asked = ask(cancellations_api, lambda_context)
        code = sent_code(worker, aws_env)["oneTimeCode"]
        step(cancellations_api, lambda_context, asked["requestId"], "preview", wrong(code))
        step(cancellations_api, lambda_context, asked["requestId"], "confirmation", code)
        logged = " ".join(str(record.__dict__) for record in caplog.records)  # message and extras
        assert "cancellation noticed" in logged and asked["requestId"] in logged  # extras are seen
        assert "cancellation code request handled" in logged  # the worker's too
        for secret in (code, CODE, "seed@example.com", "09000000000"):
            assert secret not in logged


@contextmanager
def aws_calls() -> Iterator[list[tuple[str, str, str]]]:
    """The AWS requests made inside, in order: (service, operation, the table/index, queue, topic
    or key they name). Clients made from now on report each request (botocore's event hook), so
    the cached ones are dropped first."""
    calls: list[tuple[str, str, str]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        named = (
            params.get("TableName") or params.get("QueueUrl") or params.get("TopicArn") or params.get("KeyId")
        )
        index = f"/{params['IndexName']}" if params.get("IndexName") else ""
        resource = str(named or "").rsplit("/", 1)[-1].rsplit(":", 1)[-1] + index
        calls.append((model.service_model.service_name, model.name, resource))

    session = boto3._get_default_session()
    session.events.register("provide-client-params", record)
    aws.client.cache_clear()
    db.reset()
    try:
        yield calls
    finally:
        session.events.unregister("provide-client-params", record)
        aws.client.cache_clear()
        db.reset()


def ended_contract(code: str) -> str:
    """Another contract of the account, with its own member code, ended (R10)."""
    from anshin.services import contract_ends

    ended = seed_contract("MC-1", datetime(2026, 9, 1, tzinfo=JST), first=False)
    give_code(ended, code)
    contract_ends.terminate(ended, NOON, "test", STAFF_MEMBER)
    return ended


class TestNoTimingTellsAMemberCodeExists:
    """The fix of a timing side channel: a real member code used to cost the request the
    contract's read, a KMS MAC of the one-time code, an audit write and an SNS publish more than an
    unknown one, so its answer was measurably slower. Now asking does the same AWS work, request for
    request, whatever the code names; the code is sent by the queue's worker."""

    @time_machine.travel(NOON, tick=False)
    def test_asking_makes_the_same_aws_requests_for_a_live_an_ended_and_an_unknown_member_code(
        self, cancellations_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str]
    ) -> None:
        ended_contract("87654321")
        made = {}
        for code in (CODE, "87654321", "99999999"):
            with aws_calls() as calls:
                assert ask(cancellations_api, lambda_context, code=code)[0] == 202
            made[code] = calls
        assert made[CODE] == made["87654321"] == made["99999999"]
        assert made[CODE] == [
            ("dynamodb", "UpdateItem", "Sessions"),  # the source's allowance
            ("kms", "GenerateMac", made[CODE][1][2]),  # the member code's MAC
            ("dynamodb", "UpdateItem", "Sessions"),  # the member code's allowance
            ("dynamodb", "Query", "Contracts/gsi2"),  # what the code names, found or not
            ("dynamodb", "PutItem", "Sessions"),  # the request
            ("sqs", "SendMessage", "cancellation-codes"),  # its code, to the worker
        ]
        assert sent_notifications(aws_env) == []  # no code is sent in the request path

    @time_machine.travel(NOON, tick=False)
    def test_a_wrong_code_makes_the_same_aws_requests_whether_or_not_a_code_was_sent(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
    ) -> None:
        _, known = ask(cancellations_api, lambda_context)
        code = sent_code(worker, aws_env)["oneTimeCode"]
        _, unknown = ask(cancellations_api, lambda_context, code="99999999")
        assert worker.drain() == set()
        made = []
        for request_id in (known["requestId"], unknown["requestId"]):
            with aws_calls() as calls:
                for _ in range(5):  # the last one locks
                    step(cancellations_api, lambda_context, request_id, "preview", wrong(code))
            made.append(calls)
        assert [call[:2] for call in made[0]] == [call[:2] for call in made[1]]
        # The real request's refusals are audited on its contract; the other's noted with it.
        assert made[0][-2:] == [("dynamodb", "PutItem", "Contracts")] * 2
        assert made[1][-2:] == [("dynamodb", "PutItem", "Sessions")] * 2

    @time_machine.travel(NOON, tick=False)
    def test_until_its_code_is_sent_a_request_answers_like_a_wrong_code_and_audits_nothing(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
    ) -> None:
        _, asked = ask(cancellations_api, lambda_context)
        request_id = asked["requestId"]
        status, body = step(cancellations_api, lambda_context, request_id, "preview", "123456")
        assert (status, body["code"], body["attemptsLeft"]) == (401, "ONE_TIME_CODE_INVALID", 4)
        assert audit_entries(contract_id, "CANCEL") == []  # no code was sent: nothing to audit yet
        code = sent_code(worker, aws_env)["oneTimeCode"]
        assert step(cancellations_api, lambda_context, request_id, "preview", code)[0] == 200
        assert sorted(e["outcome"] for e in audit_entries(contract_id, "CANCEL")) == [
            "CODE_SENT",
            "PREVIEWED",
        ]


class TestTheWorker:
    @time_machine.travel(NOON, tick=False)
    def test_a_redelivered_message_sends_nothing_more(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
    ) -> None:
        from anshin.store import cancellation_requests

        _, asked = ask(cancellations_api, lambda_context)
        [message] = worker.queued()
        assert json.loads(message["Body"]) == {"requestId": asked["requestId"]}  # its id, nothing more
        assert worker.deliver([message]) == set()
        code = sent_code(worker, aws_env)["oneTimeCode"]
        stored = cancellation_requests.get(asked["requestId"])
        assert worker.deliver([message, message]) == set()  # SQS delivers it again (twice even)
        assert sent_notifications(aws_env) == []
        assert cancellation_requests.get(asked["requestId"]) == stored
        assert [e["outcome"] for e in audit_entries(contract_id, "CANCEL")] == ["CODE_SENT"]
        assert step(cancellations_api, lambda_context, asked["requestId"], "preview", code)[0] == 200

    @time_machine.travel(NOON, tick=False)
    def test_a_worker_that_dies_after_sending_sends_a_new_code_and_only_that_one_works(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Sent, then the digest's write fails: no digest is stored (never one whose code was not
        sent); the message alone fails (partial batch), its redelivery sends a new code, whose
        digest is stored. The subscriber got two e-mails; the last code works."""
        from anshin.store import cancellation_requests

        _, first = ask(cancellations_api, lambda_context)
        _, second = ask(cancellations_api, lambda_context)
        messages = worker.queued()
        set_digest = cancellation_requests.set_digest

        def dies_for_the_first(request_id: str, digest: str, at: datetime) -> bool:
            if request_id == first["requestId"]:
                raise RuntimeError("the worker died")
            return set_digest(request_id, digest, at)

        from anshin.services import cancellations

        ids: list[str] = []
        publish = cancellations.notifications.publish

        def publishing(message: dict[str, Any], **kw: Any) -> None:
            ids.append(kw["notification_id"])
            publish(message, **kw)

        monkeypatch.setattr(cancellations.notifications, "publish", publishing)
        monkeypatch.setattr(cancellation_requests, "set_digest", dies_for_the_first)
        failed = worker.deliver(messages)
        [failed_message] = [m for m in messages if json.loads(m["Body"])["requestId"] == first["requestId"]]
        assert failed == {failed_message["MessageId"]}  # the other one was done
        sent = {m["requestId"]: m["oneTimeCode"] for m in sent_notifications(aws_env)}
        assert set(sent) == {first["requestId"], second["requestId"]}
        stored = cancellation_requests.get(first["requestId"])
        assert stored is not None and "codeDigest" not in stored

        monkeypatch.setattr(cancellation_requests, "set_digest", set_digest)
        assert worker.deliver([failed_message]) == set()  # the redelivery
        [again] = sent_notifications(aws_env)
        assert again["requestId"] == first["requestId"]
        status, body = step(
            cancellations_api, lambda_context, first["requestId"], "preview", sent[first["requestId"]]
        )
        if again["oneTimeCode"] != sent[first["requestId"]]:  # one in a million draws the same code
            assert (status, body["code"]) == (401, "ONE_TIME_CODE_INVALID")
        assert (
            step(cancellations_api, lambda_context, first["requestId"], "preview", again["oneTimeCode"])[0]
            == 200
        )
        assert (
            step(
                cancellations_api, lambda_context, second["requestId"], "preview", sent[second["requestId"]]
            )[0]
            == 200
        )
        # The second code is not a repeat of the first to a deliverer (which drops repeated ids).
        assert len(ids) == len(set(ids)) == 3 and all(i.startswith("CANCELLATION_CODE#") for i in ids)
        sent_entries = [e for e in audit_entries(contract_id, "CANCEL") if e["outcome"] == "CODE_SENT"]
        assert sorted(e["requestId"] for e in sent_entries) == sorted(
            [first["requestId"], first["requestId"], second["requestId"]]
        )  # one entry per code sent

    def test_a_request_reached_after_its_validity_gets_no_code(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
    ) -> None:
        with time_machine.travel(NOON, tick=False):
            ask(cancellations_api, lambda_context)
        with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
            assert worker.drain() == set()
        assert sent_notifications(aws_env) == []
        assert audit_entries(contract_id, "CANCEL") == []

    @time_machine.travel(NOON, tick=False)
    def test_a_message_it_cannot_read_fails_alone(
        self,
        cancellations_api: Any,
        lambda_context: object,
        contract_id: str,
        aws_env: dict[str, str],
        worker: Worker,
    ) -> None:
        ask(cancellations_api, lambda_context)
        boto3.client("sqs").send_message(QueueUrl=worker.queue_url, MessageBody="{}")
        messages = worker.queued()
        [bad] = [m for m in messages if m["Body"] == "{}"]
        assert worker.deliver(messages) == {bad["MessageId"]}  # retried, then dead-lettered
        assert [m["kind"] for m in sent_notifications(aws_env)] == ["CANCELLATION_CODE"]


@time_machine.travel(datetime(2026, 11, 30, 23, 58, tzinfo=JST), tick=False)
def test_a_confirmation_after_the_month_turned_records_nothing_and_shows_the_new_end(
    cancellations_api: Any, lambda_context: object, contract_id: str, aws_env: dict[str, str], worker: Worker
) -> None:
    """R9: the end the subscriber saw is the end recorded. Previewed at 23:58 on 30 November (the
    end: that night), confirmed at 00:01 on 1 December: a notice received now ends the contract at
    the end of December, which was never shown, so nothing is recorded and the new end is said."""
    _, asked = ask(cancellations_api, lambda_context)
    request_id, code = asked["requestId"], sent_code(worker, aws_env)["oneTimeCode"]
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
