"""Issue 24, findings 4 and 5, against moto.

(4) Parallel passphrase guesses cannot pass the verification lockout: the attempt is counted
before the passphrase is compared, so however many arrive at once, at most five are compared.
(5) A contract whose end has passed is ended for every purpose at once: verification, commands,
support sessions, the relay and the follow-up refuse or stop; every end (R9 at the month-end
run, R10, R11 carried out at once) cancels the contract's commands in flight, audited.
Time moves with time-machine.
"""

import threading
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain import credentials as credential_rules
from anshin.domain.errors import VerificationLocked
from anshin.domain.terms import JST
from anshin.services import contract_ends, credentials, verification
from anshin.store import commands, keys

from tests.integration import test_device_commands
from tests.integration.conftest import STAFF_MEMBER, handler_fixture, pushed
from tests.integration.test_contract_end_and_billing import month_end
from tests.integration.test_device_commands import request, sns_event, verified
from tests.integration.test_devices_and_support import open_session, verify

NOON = datetime(2026, 11, 24, 12, 0, tzinfo=JST)
#: The end an R9 notice received on 2026-11-24 gives: the end of November, Japan time.
END_OF_NOVEMBER = datetime(2026, 11, 30, 23, 59, 59, 999000, tzinfo=JST)

#: An active contract whose Android device registered the app and set the passphrase.
device = test_device_commands.device
support_api = handler_fixture("support_api")
contracts_api = handler_fixture("contracts_api")
relay_fn = handler_fixture("command_relay")
follow_up_fn = handler_fixture("command_follow_up")


def audit_of(contract_id: str) -> list[dict[str, Any]]:
    return (
        boto3.resource("dynamodb")
        .Table("Contracts")
        .query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": f"AUDIT#{contract_id}"})[
            "Items"
        ]
    )


def outcomes(contract_id: str, kind: str) -> list[str]:
    return sorted(str(a["outcome"]) for a in audit_of(contract_id) if str(a["sk"]).split("#")[1] == kind)


class CountedCompare:
    """``passphrase_matches``, counted, and held until released: every racing guess takes (or is
    refused) its attempt while the ones taken are still being compared."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.lock = threading.Lock()
        self.release = threading.Event()
        real = credentials.passphrase_matches

        def held(passphrase_hash: str, passphrase: str) -> bool:
            with self.lock:
                self.calls += 1
            self.release.wait(timeout=30)
            return real(passphrase_hash, passphrase)

        monkeypatch.setattr(credentials, "passphrase_matches", held)


def race(contract_id: str, guesses: list[str], compare: CountedCompare, now: datetime) -> list[str]:
    """Each guess in a thread of its own, at once; what each got (the refusal's code, or VERIFIED)."""
    answers: list[str] = []
    done = threading.Lock()

    def guess(passphrase: str) -> None:
        try:
            verification.verify(contract_id, passphrase, STAFF_MEMBER, now)
            outcome = "VERIFIED"
        except Exception as error:  # the refusal is what is counted
            outcome = str(getattr(error, "code", repr(error)))
        with done:
            answers.append(outcome)

    threads = [threading.Thread(target=guess, args=(p,)) for p in guesses]
    for thread in threads:
        thread.start()
    # Every guess is answered or being compared before any comparison ends: those beyond the
    # five attempts are refused while the five are still being compared.
    deadline = datetime.now().timestamp() + 30
    while len(answers) + compare.calls < len(guesses) and datetime.now().timestamp() < deadline:
        threading.Event().wait(0.01)
    comparing, refused_while_comparing = compare.calls, len(answers)
    compare.release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert comparing + refused_while_comparing == len(guesses), (comparing, answers)
    assert comparing <= credential_rules.MAX_FAILURES
    return answers


class TestParallelGuessesFinding4:
    @pytest.fixture
    def with_passphrase(self, device: dict[str, str]) -> str:
        return device["contractId"]

    def test_thirty_wrong_guesses_at_once_have_at_most_five_compared_then_it_locks(
        self, with_passphrase: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        compare = CountedCompare(monkeypatch)
        answers = race(with_passphrase, [f"guess-{n}" for n in range(30)], compare, NOON)
        assert compare.calls == credential_rules.MAX_FAILURES
        assert sorted(answers) == sorted(["IDENTITY_NOT_VERIFIED"] * 5 + ["VERIFICATION_LOCKED"] * 25)
        assert outcomes(with_passphrase, "VERIFY") == sorted(
            ["FAILED"] * 4 + ["FAILED_AND_LOCKED"] + ["LOCKED"] * 25
        )
        # Locked now: the right passphrase is refused, and not compared.
        with pytest.raises(VerificationLocked) as refused:
            verification.verify(with_passphrase, "sakura-2026", STAFF_MEMBER, NOON + timedelta(minutes=1))
        assert refused.value.details == {"lockedUntil": "2026-11-24T03:30:00.000Z"}
        assert compare.calls == credential_rules.MAX_FAILURES
        view = verification.state(with_passphrase, NOON, STAFF_MEMBER)
        assert (view["state"], view["attemptsLeft"]) == ("LOCKED_OUT", 0)

    def test_the_right_passphrase_among_the_racers_gives_its_attempt_back(
        self, with_passphrase: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        compare = CountedCompare(monkeypatch)
        # Three wrong at once with the right one: four compared, none refused, no lockout.
        compare.release.set()
        answers = race(with_passphrase, ["a", "b", "c", "sakura-2026"], compare, NOON)
        assert compare.calls == 4 and sorted(answers) == sorted(["IDENTITY_NOT_VERIFIED"] * 3 + ["VERIFIED"])
        view = verification.state(with_passphrase, NOON, STAFF_MEMBER)
        assert view["state"] == "VERIFIED" and view["attemptsLeft"] >= 2  # the success started afresh

    def test_attempts_being_compared_count_as_taken_in_what_staff_see(
        self, with_passphrase: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from anshin.store import verifications

        assert verifications.take_attempt(with_passphrase, NOON, 5) == 1  # one being compared
        view = verification.state(with_passphrase, NOON, STAFF_MEMBER)
        assert (view["state"], view["attemptsLeft"]) == ("NONE", 4)

    def test_a_row_left_by_an_attempt_that_died_before_locking_locks_from_that_attempt(
        self, with_passphrase: str
    ) -> None:
        """Five attempts taken and the last one's function died mid-compare: no lockout was
        written. Refused as locked meanwhile; then the lockout it would have written (30 min from
        its attempt) holds; after it the count starts afresh — never stuck for ever."""
        from anshin.store import verifications

        for _ in range(5):
            assert verifications.take_attempt(with_passphrase, NOON, 5) is not None
        with pytest.raises(VerificationLocked) as refused:
            verification.verify(with_passphrase, "sakura-2026", STAFF_MEMBER, NOON + timedelta(seconds=5))
        assert refused.value.details == {}  # being compared, for all it knows: its end not yet known
        with pytest.raises(VerificationLocked) as refused:
            verification.verify(with_passphrase, "sakura-2026", STAFF_MEMBER, NOON + timedelta(minutes=5))
        assert refused.value.details == {"lockedUntil": "2026-11-24T03:30:00.000Z"}
        answer = verification.verify(
            with_passphrase, "sakura-2026", STAFF_MEMBER, NOON + timedelta(minutes=31)
        )
        assert answer["verificationId"].startswith("ver-")

    def test_a_contract_without_a_passphrase_gives_the_attempt_back(
        self, with_passphrase: str, support_api: Any, lambda_context: object
    ) -> None:
        boto3.resource("dynamodb").Table("Contracts").update_item(
            Key=keys.contract(with_passphrase), UpdateExpression="REMOVE passphraseHash"
        )
        for _ in range(7):
            assert (
                verify(support_api, lambda_context, with_passphrase, "x")[1]["code"]
                == "PASSPHRASE_NOT_REGISTERED"
            )
        assert verification.state(with_passphrase, NOON, STAFF_MEMBER)["attemptsLeft"] == 5


def lock_command(support_api: Any, context: object, device: dict[str, str]) -> str:
    verification_id = verified(support_api, context, device)
    status, body = request(
        support_api, context, device, {"action": "LOCK", "verificationId": verification_id}
    )
    assert status == 202, body
    return str(body["commandId"])


def cancelled_by_the_end(contract_id: str, command_id: str) -> None:
    command = commands.get(command_id)
    assert command is not None
    assert (command["status"], command["cancelReason"]) == ("CANCELLED", "CONTRACT_ENDED")
    assert "cancelledBy" not in command
    entries = [a for a in audit_of(contract_id) if a.get("commandId") == command_id]
    cancelled = [(e["outcome"], e["reason"]) for e in entries if e["outcome"] == "COMMAND_CANCELLED"]
    assert cancelled == [("COMMAND_CANCELLED", "CONTRACT_ENDED")]
    marker = (
        boto3.resource("dynamodb")
        .Table("Contracts")
        .get_item(Key=keys.command_in_flight(str(command["deviceId"]), "LOCK"))
    )
    assert "Item" not in marker


class TestEndedInFactFinding5:
    def test_an_r9_end_that_passed_refuses_verification_commands_and_sessions_before_the_month_end_run(
        self,
        support_api: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        contract_id = device["contractId"]
        contract_ends.cancel(contract_id, NOON, NOON, STAFF_MEMBER)
        with time_machine.travel(NOON, tick=False):
            verification_id = verified(support_api, lambda_context, device)  # still live: fine
        after = END_OF_NOVEMBER + timedelta(milliseconds=1)
        with time_machine.travel(after, tick=False):
            status, body = verify(support_api, lambda_context, contract_id, "sakura-2026")
            assert (status, body["code"]) == (409, "CONTRACT_ENDED")
            lock = {"action": "LOCK", "verificationId": verification_id}
            status, body = request(support_api, lambda_context, device, lock)
            assert (status, body["code"]) == (409, "CONTRACT_ENDED")
            status, body = request(support_api, lambda_context, device, {"action": "BACKUP"})
            assert (status, body["code"]) == (409, "CONTRACT_ENDED")
        with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=JST), tick=False):
            status, body = open_session(support_api, lambda_context, contract_id, "PHONE", "SETTINGS")
            assert (status, body["code"]) == (409, "CONTRACT_ENDED")
        assert "CONTRACT_NOT_ACTIVE" in outcomes(contract_id, "VERIFY")
        # A millisecond before its end it was still live.
        with time_machine.travel(END_OF_NOVEMBER - timedelta(milliseconds=1), tick=False):
            assert verify(support_api, lambda_context, contract_id, "sakura-2026")[0] == 201

    def test_the_relay_and_the_follow_up_stop_a_command_once_its_contracts_end_passed(
        self,
        support_api: Any,
        relay_fn: Any,
        follow_up_fn: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        contract_id = device["contractId"]
        late = END_OF_NOVEMBER - timedelta(minutes=5)
        with time_machine.travel(late, tick=False):
            contract_ends.cancel(contract_id, NOON, late, STAFF_MEMBER)
            command_id = lock_command(support_api, lambda_context, device)
            assert relay_fn.handler(sns_event(command_id, 1), lambda_context) == {"PUSHED": 1}
        with time_machine.travel(END_OF_NOVEMBER + timedelta(seconds=55), tick=False):
            step = follow_up_fn.handler({"commandId": command_id, "attempt": 1}, lambda_context)
        assert (step["next"], step["status"]) == ("DONE", "CANCELLED")  # the workflow's Cancelled state
        cancelled_by_the_end(contract_id, command_id)
        with time_machine.travel(END_OF_NOVEMBER + timedelta(minutes=2), tick=False):
            assert relay_fn.handler(sns_event(command_id, 2, "m-2"), lambda_context) == {"FINISHED": 1}
        assert len(pushed(device["endpointArn"])) == 1

    def test_the_relay_cancels_a_command_of_an_ended_contract_without_pushing_it(
        self,
        support_api: Any,
        relay_fn: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        contract_id = device["contractId"]
        late = END_OF_NOVEMBER - timedelta(minutes=5)
        with time_machine.travel(late, tick=False):
            contract_ends.cancel(contract_id, NOON, late, STAFF_MEMBER)
            command_id = lock_command(support_api, lambda_context, device)
        with time_machine.travel(END_OF_NOVEMBER + timedelta(seconds=1), tick=False):
            assert relay_fn.handler(sns_event(command_id, 1), lambda_context) == {"CONTRACT_ENDED": 1}
        cancelled_by_the_end(contract_id, command_id)
        assert pushed(device["endpointArn"]) == []

    def test_an_r10_termination_cancels_the_pending_lock_in_its_own_transaction(
        self,
        support_api: Any,
        relay_fn: Any,
        follow_up_fn: Any,
        lambda_context: object,
        device: dict[str, str],
    ) -> None:
        contract_id = device["contractId"]
        with time_machine.travel(NOON, tick=False):
            command_id = lock_command(support_api, lambda_context, device)
            backup = request(support_api, lambda_context, device, {"action": "BACKUP"})[1]["commandId"]
            assert relay_fn.handler(sns_event(command_id, 1), lambda_context) == {"PUSHED": 1}
        with time_machine.travel(NOON + timedelta(seconds=10), tick=False):
            contract_ends.terminate(contract_id, NOON + timedelta(seconds=10), "fraud", STAFF_MEMBER)
        cancelled_by_the_end(contract_id, command_id)
        stopped = commands.get(backup)
        assert stopped is not None and stopped["status"] == "CANCELLED"
        with time_machine.travel(NOON + timedelta(seconds=60), tick=False):
            step = follow_up_fn.handler({"commandId": command_id, "attempt": 1}, lambda_context)
            assert (step["next"], step["status"]) == ("DONE", "CANCELLED")
            assert relay_fn.handler(sns_event(command_id, 2, "m-2"), lambda_context) == {"FINISHED": 1}
        assert len(pushed(device["endpointArn"])) == 1  # the one push before the termination

    def test_the_month_end_run_cancels_what_is_still_in_flight(self, device: dict[str, str]) -> None:
        """A command the relay has not yet seen when the R9 end is recorded by the month-end run."""
        from anshin.domain.commands import Action
        from anshin.services import commands as command_service

        contract_id = device["contractId"]
        contract_ends.cancel(contract_id, NOON, NOON, STAFF_MEMBER)
        command, _ = command_service.request(
            contract_id=contract_id,
            device_id=contract_id,
            action=Action.BACKUP,
            verification_id=None,
            confirm=None,
            staff=STAFF_MEMBER,
            now=NOON,
        )
        assert month_end("2026-11", datetime(2026, 12, 1, 0, 5, tzinfo=JST)) == [contract_id]
        assert contract_ends.read(contract_id)["status"] == "ENDED"
        stopped = commands.get(command["commandId"])
        assert stopped is not None
        assert (stopped["status"], stopped["cancelReason"], stopped["finishedAt"]) == (
            "CANCELLED",
            "CONTRACT_ENDED",
            "2026-11-30T15:05:00.000Z",
        )

    def test_an_end_retries_when_a_command_finished_between_its_read_and_the_transaction(
        self,
        support_api: Any,
        lambda_context: object,
        device: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from anshin.domain import commands as rules

        contract_id = device["contractId"]
        with time_machine.travel(NOON, tick=False):
            command_id = lock_command(support_api, lambda_context, device)
            backup = request(support_api, lambda_context, device, {"action": "BACKUP"})[1]["commandId"]
        stale = commands.pending_of(contract_id, contract_id)
        real = commands.pending_of
        reads = []

        def first_stale(contract: str, device_id: str) -> list[Any]:
            reads.append(1)
            return stale if len(reads) == 1 else real(contract, device_id)

        monkeypatch.setattr(commands, "pending_of", first_stale)
        # The device reports the lock done just before the termination's transaction.
        lock = commands.get(command_id)
        assert lock is not None and commands.finish(
            lock,
            rules.result(
                lock,
                rules.CommandStatus.SUCCEEDED,
                location=None,
                location_opt_out=True,
                failure_reason=None,
                now=NOON,
            ),
        )
        contract_ends.terminate(contract_id, NOON + timedelta(seconds=5), "fraud", STAFF_MEMBER)
        assert len(reads) == 2
        done = commands.get(command_id)
        stopped = commands.get(backup)
        assert done is not None and done["status"] == "SUCCEEDED"
        assert stopped is not None and stopped["status"] == "CANCELLED"
        assert contract_ends.read(contract_id)["status"] == "ENDED"

    def test_an_r10_termination_of_a_contract_whose_r9_end_passed_is_refused(
        self,
        device: dict[str, str],
    ) -> None:
        """It ended by R9 at its instant: no violation is marked, nor a second end recorded."""
        from anshin.domain.errors import ContractEnded

        contract_id = device["contractId"]
        contract_ends.cancel(contract_id, NOON, NOON, STAFF_MEMBER)
        with pytest.raises(ContractEnded):
            contract_ends.terminate(contract_id, END_OF_NOVEMBER + timedelta(hours=1), "late", STAFF_MEMBER)
        assert contract_ends.read(contract_id)["status"] == "CANCELLATION_PENDING"
