"""A month job is never hostage to one record (R9, R12, R13): a contract a shard cannot process is
set aside on the run, counted and alarmed, and every other contract of the month is still ended
and billed; once repaired, running the month again does exactly what is missing, once.

Through the deployed handlers' code (job_run, month_end_shard, billing_shard) against moto, with
the run driven as the job state machines drive it; time moves with time-machine."""

import json
import uuid
from datetime import datetime
from types import ModuleType
from typing import Any

import pytest
import time_machine
from anshin.domain.clock import iso
from anshin.domain.terms import JST, BillingMonth
from anshin.services import billing, jobs
from anshin.store import contracts, keys
from anshin.store import jobs as job_runs
from anshin.store.keys import SHARDS, ends, shard_of
from botocore.exceptions import ClientError

from local.seed import formed_contract
from tests.integration.conftest import load_handler
from tests.integration.test_contract_end_and_billing import seed_account, seed_contract, table


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


@pytest.fixture
def handlers(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    monkeypatch.setenv("MONTHLY_FEE_JPY", "500")
    return {name: load_handler(name) for name in ("job_run", "month_end_shard", "billing_shard")}


def run(
    handlers: dict[str, ModuleType], job: str, month: str, context: object, dry_run: bool = False
) -> dict[str, Any]:
    """One run of a month job, as its state machine runs it: start, every shard page by page, finish."""
    shard_handler = handlers["billing_shard" if job == "BILLING" else "month_end_shard"]
    started = handlers["job_run"].handler(
        {
            "action": "start",
            "job": job,
            "scheduledTime": jobs.scheduled_time_for(BillingMonth.parse(month)),
            "runId": f"arn:aws:states:us-east-1:123456789012:execution:jobs:{uuid.uuid4().hex}",
            "dryRun": dry_run,
        },
        context,
    )
    results = []
    for shard in started["shards"]:
        state: dict[str, Any] = {
            "month": month,
            "runId": started["runId"],
            "dryRun": dry_run,
            "shard": shard,
            "cursor": None,
            "totals": {},
        }
        while True:
            state = shard_handler.handler(state, context)
            if state["cursor"] is None:
                break
        results.append(state)
    record: dict[str, Any] = handlers["job_run"].handler(
        {"action": "finish", "job": job, "month": month, "runId": started["runId"], "results": results},
        context,
    )
    return {**record, "shardResults": results}  # what the Map state collected, for dry runs


def month_jobs(handlers: dict[str, ModuleType], month: str, context: object) -> tuple[dict[str, Any], ...]:
    return run(handlers, "MONTH_END", month, context), run(handlers, "BILLING", month, context)


def corrupt(contract_id: str, **fields: Any) -> None:
    """Write inconsistent fields straight into a stored contract (as a bug or a bad migration would)."""
    names = {f"#{k}": k for k in fields}
    table().update_item(
        Key=keys.contract(contract_id),
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":{k}": v for k, v in fields.items()},
    )


def lines(mobile_contract_id: str, month: str) -> list[str]:
    invoice = billing.invoice_of(mobile_contract_id, BillingMonth.parse(month))
    return sorted(line["contractId"] for line in (invoice or {"lines": []})["lines"])


def pending_until(contract_id: str, ends_at: datetime, **more: Any) -> None:
    corrupt(
        contract_id,
        status="CANCELLATION_PENDING",
        endsAt=iso(ends_at),
        endReason="SUBSCRIBER_CANCELLATION",
        **ends("2026-11", contract_id),
        **more,
    )


class TestOneBadRecord:
    def test_the_issue_case_a_notice_before_formation_is_set_aside_and_everyone_else_billed(
        self, handlers: dict[str, ModuleType], lambda_context: object, capsys: pytest.CaptureFixture[str]
    ) -> None:
        seed_account("MC-1", has_formed_contract=True)
        good = sorted(seed_contract("MC-1", jst(2026, 9, 1), first=False) for _ in range(5))
        ending = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        pending_until(ending, jst(2026, 11, 30, 23, 59, 59), cancellationReceivedAt=iso(jst(2026, 11, 5)))
        bad = seed_contract("MC-1", jst(2026, 10, 10), first=False)
        # What the API used to accept: a notice of 3 Aug for a contract formed on 10 Oct.
        pending_until(bad, jst(2026, 8, 31, 23, 59, 59), cancellationReceivedAt=iso(jst(2026, 8, 3)))
        capsys.readouterr()

        with time_machine.travel(jst(2026, 12, 1, 0, 5), tick=False):
            ended, billed = month_jobs(handlers, "2026-11", lambda_context)

        for record in (ended, billed):
            assert record["status"] == "SUCCEEDED_WITH_QUARANTINE"
            assert record["quarantined"] == [
                {
                    "contractId": bad,
                    "errorType": "InvariantViolation",
                    "code": "NOTICE_BEFORE_FORMATION",
                    "error": "A cancellation notice cannot arrive before the contract formed.",
                }
            ]
            assert record["totals"]["contractsQuarantined"] == 1
        assert ended["totals"]["contractsEnded"] == 1
        assert contracts.require(ending).status == "ENDED"
        assert lines("MC-1", "2026-11") == sorted([*good, ending])
        # Left alone; read raw, since the store refuses to parse the inconsistent record.
        assert table().get_item(Key=keys.contract(bad))["Item"]["status"] == "CANCELLATION_PENDING"
        stored = table().get_item(Key=keys.run("BILLING", "2026-11", billed["runId"]))["Item"]
        assert (stored["status"], stored["quarantinedCount"]) == ("SUCCEEDED_WITH_QUARANTINE", 1)
        # Counted in the metric the alarm watches, per job; the log names ids and codes only.
        emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
        counts = [e for e in emitted if "ContractsQuarantined" in e]
        assert sorted((e["Job"], e["ContractsQuarantined"]) for e in counts) == [
            ("BILLING", [1.0]),
            ("MONTH_END", [1.0]),
        ]

        # Repaired (the notice really arrived on 3 Nov), the month runs again: only what is missing.
        pending_until(bad, jst(2026, 11, 30, 23, 59, 59), cancellationReceivedAt=iso(jst(2026, 11, 3)))
        with time_machine.travel(jst(2026, 12, 1, 9), tick=False):
            ended, billed = month_jobs(handlers, "2026-11", lambda_context)
            again = run(handlers, "BILLING", "2026-11", lambda_context)
        assert (ended["status"], ended["totals"]["contractsEnded"]) == ("SUCCEEDED", 1)
        assert (billed["status"], billed["totals"]["linesWritten"]) == ("SUCCEEDED", 1)
        assert billed["totals"]["linesAlreadyCharged"] == 6
        assert (again["totals"]["linesWritten"], again["totals"]["linesAlreadyCharged"]) == (0, 7)
        assert lines("MC-1", "2026-11") == sorted([*good, ending, bad])
        assert contracts.require(bad).status == "ENDED"

    @pytest.mark.parametrize(
        ("damage", "code"),
        [
            ({"formedAt": "2026-09-01T00:00:00"}, "CORRUPT_CONTRACT"),  # no time zone
            ({"formedAt": "someday"}, "CORRUPT_CONTRACT"),
            ({"status": "SUSPENDED"}, "CORRUPT_CONTRACT"),  # a status from a future schema
            ({"firstUnderAccount": "no"}, "CORRUPT_CONTRACT"),
            ({"mobileContractId": 42}, "CORRUPT_CONTRACT"),
        ],
    )
    def test_whatever_is_wrong_with_a_record_the_rest_of_the_month_is_billed(
        self, handlers: dict[str, ModuleType], lambda_context: object, damage: dict[str, Any], code: str
    ) -> None:
        seed_account("MC-1", has_formed_contract=True)
        good = sorted(seed_contract("MC-1", jst(2026, 9, 1), first=False) for _ in range(3))
        bad = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        corrupt(bad, **damage)
        with time_machine.travel(jst(2026, 12, 1, 0, 5), tick=False):
            billed = run(handlers, "BILLING", "2026-11", lambda_context)
        assert billed["status"] == "SUCCEEDED_WITH_QUARANTINE"
        assert [(q["contractId"], q["code"]) for q in billed["quarantined"]] == [(bad, code)]
        assert lines("MC-1", "2026-11") == good

    def test_an_account_with_no_slot_to_give_back_is_set_aside_at_month_end(
        self, handlers: dict[str, ModuleType], lambda_context: object
    ) -> None:
        # The end transaction's second item (the account's slot, R4) fails its condition: the
        # record's problem, not the infrastructure's, so a retry would fail the same way.
        seed_account("MC-1", has_formed_contract=True)
        seed_account("MC-2", has_formed_contract=True)
        fine = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        pending_until(fine, jst(2026, 11, 30, 23, 59, 59))
        orphan = seed_contract("MC-2", jst(2026, 9, 1), first=False)
        pending_until(orphan, jst(2026, 11, 30, 23, 59, 59))
        table().update_item(
            Key={"pk": "ACCOUNT#MC-2", "sk": "PROFILE"},
            UpdateExpression="SET slotsHeld = :zero",
            ExpressionAttributeValues={":zero": 0},
        )
        with time_machine.travel(jst(2026, 12, 1, 0, 5), tick=False):
            ended = run(handlers, "MONTH_END", "2026-11", lambda_context)
        assert ended["status"] == "SUCCEEDED_WITH_QUARANTINE"
        assert [(q["contractId"], q["errorType"]) for q in ended["quarantined"]] == [
            (orphan, "TransactionCanceledException")
        ]
        assert contracts.require(fine).status == "ENDED"

    def test_a_dry_run_names_what_it_would_set_aside_and_writes_nothing(
        self, handlers: dict[str, ModuleType], lambda_context: object
    ) -> None:
        seed_account("MC-1", has_formed_contract=True)
        bad = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        pending_until(bad, jst(2026, 8, 31, 23, 59, 59))
        with time_machine.travel(jst(2026, 12, 1, 0, 5), tick=False):
            ended = run(handlers, "MONTH_END", "2026-11", lambda_context, dry_run=True)
            billed = run(handlers, "BILLING", "2026-11", lambda_context, dry_run=True)
        assert ended["status"] == billed["status"] == "SUCCEEDED"
        for run_of in (ended, billed):
            named = [q for r in run_of["shardResults"] for q in r["totals"].get("wouldQuarantine", [])]
            assert [(q["contractId"], q["code"]) for q in named] == [(bad, "END_BEFORE_FORMATION")]
        assert not table().scan(
            FilterExpression="#t = :q",
            ExpressionAttributeNames={"#t": "type"},
            ExpressionAttributeValues={":q": "QUARANTINED_CONTRACT"},
        )["Items"]
        assert lines("MC-1", "2026-11") == []


class TestTheInfrastructureIsNotTheRecord:
    def test_throttling_fails_the_step_to_be_retried_instead_of_setting_contracts_aside(
        self, handlers: dict[str, ModuleType], lambda_context: object, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        pending_until(contract_id, jst(2026, 11, 30, 23, 59, 59))

        def throttled(_contract_id: str) -> None:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                "GetItem",
            )

        monkeypatch.setattr(contracts, "get", throttled)
        with time_machine.travel(jst(2026, 12, 1, 0, 5), tick=False), pytest.raises(ClientError):
            run(handlers, "MONTH_END", "2026-11", lambda_context)

    @pytest.mark.parametrize(
        ("error", "transient"),
        [
            (ClientError({"Error": {"Code": "ThrottlingException"}}, "Query"), True),
            (ClientError({"Error": {"Code": "InternalServerError"}}, "Query"), True),
            (
                ClientError(
                    {
                        "Error": {"Code": "TransactionCanceledException"},
                        "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
                    },
                    "TransactWriteItems",
                ),
                True,
            ),
            (
                ClientError(
                    {
                        "Error": {"Code": "TransactionCanceledException"},
                        "CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
                    },
                    "TransactWriteItems",
                ),
                False,
            ),
            (ClientError({"Error": {"Code": "ValidationException"}}, "PutItem"), False),
            (ValueError("bad date"), False),
            (KeyError("formedAt"), False),
        ],
    )
    def test_which_failures_are_retried_and_which_set_a_record_aside(
        self, error: Exception, transient: bool
    ) -> None:
        assert job_runs.is_transient(error) is transient


def test_every_shard_is_visited(handlers: dict[str, ModuleType], lambda_context: object) -> None:
    """The run above really drives all shards: one contract in each is billed."""
    seed_account("MC-1", has_formed_contract=True)
    made: dict[int, str] = {}
    while len(made) < SHARDS:
        contract_id = f"ctr-{uuid.uuid4().hex[:24]}"
        if shard_of(contract_id) not in made:
            table().put_item(Item=formed_contract(contract_id, "MC-1", jst(2026, 9, 1), first=False))
            made[shard_of(contract_id)] = contract_id
    with time_machine.travel(jst(2026, 12, 1, 0, 5), tick=False):
        billed = run(handlers, "BILLING", "2026-11", lambda_context)
    assert billed["totals"]["linesWritten"] == SHARDS
