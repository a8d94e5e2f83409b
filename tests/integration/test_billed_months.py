"""Changes that reach into months that are over (R9, R11, R12, R13), against moto, through the
deployed handlers' code (reconcile_contracts, contracts_api, account_events, the job functions);
time moves with time-machine.

- A contract recorded late (healed by the reconciler, a late step), or displaced from its
  account's first-contract claim, owes lines for months that are over: the recording appends
  them to the ledger in its own transaction (issue 25: no marker, no settling step); lines of
  months billing already ran for are counted in ``ChargesAppendedLate`` and logged; billing the
  month again appends nothing. A contract recorded in time makes no extra read.
- An end recorded late (R9 notice, R11 event) that falls before months already charged leaves the
  charges as they are (R13) and says so: ``ChargedPastEnd``, a warning, a ``CHARGED_PAST_END``
  entry on the contract's timeline.
"""

import json
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain.clock import iso
from anshin.domain.terms import JST, BillingMonth
from anshin.services import contracts, screening
from anshin.services import timeline as timelines
from anshin.store import applications as store_applications
from anshin.store import audit, db
from anshin.store import contracts as stored_contracts

from tests.integration.conftest import load_handler
from tests.integration.test_approval_steps import apply
from tests.integration.test_approval_steps import seed_account as seed_mirror
from tests.integration.test_contract_end_and_billing import seed_account, seed_contract
from tests.integration.test_quarantine import lines, run
from tests.integration.test_write_invariants import account_lost, cancel


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


def table() -> Any:
    return boto3.resource("dynamodb").Table("Contracts")


@pytest.fixture
def handlers(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    monkeypatch.setenv("MONTHLY_FEE_JPY", "500")
    names = ("contracts_api", "account_events", "job_run", "month_end_shard", "billing_shard")
    return {name: load_handler(name) for name in (*names, "reconcile_contracts")}


def bill(handlers: dict[str, ModuleType], month: str, context: object) -> dict[str, Any]:
    """The month's billing run, as the schedule starts it (00:30 JST on the next 1st) or later."""
    return run(handlers, "BILLING", month, context)


def bill_on_schedule(handlers: dict[str, ModuleType], month: str, context: object) -> dict[str, Any]:
    with time_machine.travel((BillingMonth.parse(month) + 1).start() + timedelta(minutes=30), tick=False):
        return bill(handlers, month, context)


def emitted(out: str, name: str) -> list[dict[str, Any]]:
    """The EMF records of metric ``name`` the functions printed."""
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"_aws"' in line]
    return [record for record in records if name in record]


def warnings(caplog: pytest.LogCaptureFixture, message: str) -> list[dict[str, Any]]:
    """The warnings logged with ``message``: each record's message and extras."""
    return [
        dict(r.__dict__) for r in caplog.records if r.levelname == "WARNING" and message in r.getMessage()
    ]


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return " ".join(str(record.__dict__) for record in caplog.records)


def approved(mobile_contract_id: str, device: str) -> str:
    """An application of the account, screened, holding a slot, its credentials issued."""
    application_id = apply(mobile_contract_id, deviceId=device)
    screening.screen(application_id)
    assert screening.reserve_slot(application_id)["status"] == "APPROVED"
    contracts.issue_credentials(application_id)
    return application_id


def notified_then_record_failed(mobile_contract_id: str, device: str, at: datetime) -> str:
    """The notification went out at ``at`` (the contract formed), RecordContract failed for good
    and the workflow's Catch flagged it for the reconciler."""
    with time_machine.travel(at, tick=False):
        application_id = approved(mobile_contract_id, device)
        contracts.send_notification(application_id)
        screening.record_failure(application_id, "InjectedFault")
    return application_id


def contract_of(application_id: str) -> str:
    return str(store_applications.require(application_id)["contractId"])


@pytest.fixture
def requests(aws_env: dict[str, str]) -> list[str]:
    """Every DynamoDB request the service's clients make from now on: its operation and the
    partitions it names (the permission check's hook point, botocore's ``before-call``)."""
    seen: list[str] = []

    def hook(model: Any, params: dict[str, Any], **_: Any) -> None:
        seen.append(f"{model.name} {params.get('body', params)!r}")

    for client in {id(c): c for c in (db.dynamodb(), db.contracts_table().meta.client)}.values():
        client.meta.events.register("before-call.dynamodb.*", hook)
    return seen


def operations(requests: list[str]) -> list[str]:
    return [request.split(" ", 1)[0] for request in requests]


# --- R6.4, R12: recorded after its months were billed --------------------------------------------


class TestRecordedLate:
    def test_a_heal_after_the_month_was_billed_appends_its_line_in_the_recording_once(
        self,
        handlers: dict[str, ModuleType],
        lambda_context: object,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        seed_mirror("MC-1", has_formed_contract=True)  # not the account's first: billable from October
        application_id = notified_then_record_failed("MC-1", "android-0001", jst(2026, 10, 20, 12))
        contract_id = contract_of(application_id)
        billed = bill_on_schedule(handlers, "2026-10", lambda_context)
        assert billed["status"] == "SUCCEEDED" and lines("MC-1", "2026-10") == []  # not recorded yet
        capsys.readouterr()

        with time_machine.travel(jst(2026, 11, 5, 9), tick=False):  # the reconciler heals it
            result = handlers["reconcile_contracts"].handler({"source": "aws.events"}, lambda_context)
        assert result["healed"] == 1
        out = capsys.readouterr().out

        # The recording appended October's line itself; November is still open: billing charges it.
        assert lines("MC-1", "2026-10") == [contract_id] and lines("MC-1", "2026-11") == []
        [line] = (
            boto3.resource("dynamodb")
            .Table("Ledger")
            .query(
                KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": "INVOICE#MC-1#2026-10"}
            )["Items"]
        )
        assert (line["amount"], line["runId"], line["chargedAt"]) == (
            500,
            f"recording-{application_id}",
            "2026-11-05T00:00:00.000Z",
        )
        [metric] = emitted(out, "ChargesAppendedLate")
        assert metric["ChargesAppendedLate"] == [1.0]
        [directives] = metric["_aws"]["CloudWatchMetrics"]
        assert (directives["Namespace"], directives["Dimensions"]) == ("Anshin", [["service"]])
        [warned] = warnings(caplog, "lines appended to months already billed")
        assert warned["months"] == ["2026-10"]
        assert warned["contracts"] == [{"contractId": contract_id, "month": "2026-10"}]
        holder = stored_contracts.require(contract_id).contact.to_item()
        assert not any(
            value in out or value in logged(caplog) for value in holder.values()
        )  # ids only, never the holder

        # Billing October again appends nothing (R13: never twice).
        with time_machine.travel(jst(2026, 11, 5, 10), tick=False):
            again = bill(handlers, "2026-10", lambda_context)
        assert (again["status"], again["totals"]["linesWritten"]) == ("SUCCEEDED", 0)
        assert lines("MC-1", "2026-10") == [contract_id]

    def test_a_contract_recorded_in_its_own_open_month_reads_nothing_more_and_writes_nothing_more(
        self,
        handlers: dict[str, ModuleType],
        lambda_context: object,
        requests: list[str],
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        seed_mirror("MC-1", has_formed_contract=True)
        seed_contract("MC-1", jst(2026, 9, 1), first=False)
        bill_on_schedule(handlers, "2026-10", lambda_context)  # months before were billed
        with time_machine.travel(jst(2026, 11, 20, 12), tick=False):
            application_id = approved("MC-1", "android-0002")
            contracts.send_notification(application_id)
            capsys.readouterr()
            requests.clear()
            assert contracts.record_contract(application_id)["recorded"] is True
        # The application, the account's claim, the transaction: as before, nothing more.
        assert operations(requests) == ["GetItem", "GetItem", "TransactWriteItems"], requests
        assert not [r for r in requests if "RUN#" in r or "INVOICE#" in r], requests
        assert emitted(capsys.readouterr().out, "ChargesAppendedLate") == []

    def test_recorded_late_but_before_its_month_was_billed_appends_it_and_billing_finds_it(
        self,
        handlers: dict[str, ModuleType],
        lambda_context: object,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        # Formed on 31 Oct, healed on 1 Nov at 00:10, before October's billing at 00:30.
        seed_mirror("MC-1", has_formed_contract=True)
        application_id = notified_then_record_failed("MC-1", "android-0001", jst(2026, 10, 31, 23, 59))
        with time_machine.travel(jst(2026, 11, 1, 0, 10), tick=False):
            handlers["reconcile_contracts"].handler({}, lambda_context)
        assert lines("MC-1", "2026-10") == [contract_of(application_id)]
        assert emitted(capsys.readouterr().out, "ChargesAppendedLate") == []  # not billed yet: no alarm
        billed = bill_on_schedule(handlers, "2026-10", lambda_context)
        assert (billed["totals"]["linesWritten"], billed["totals"]["linesAlreadyCharged"]) == (0, 1)

    def test_a_dry_run_is_no_billing_of_the_month(
        self, handlers: dict[str, ModuleType], lambda_context: object, capsys: pytest.CaptureFixture[str]
    ) -> None:
        seed_mirror("MC-1", has_formed_contract=True)
        application_id = notified_then_record_failed("MC-1", "android-0001", jst(2026, 10, 20))
        with time_machine.travel(jst(2026, 11, 1, 0, 30), tick=False):
            run(handlers, "BILLING", "2026-10", lambda_context, dry_run=True)
        capsys.readouterr()
        with time_machine.travel(jst(2026, 11, 2), tick=False):
            handlers["reconcile_contracts"].handler({}, lambda_context)
        assert store_applications.require(application_id)["status"] == "CONTRACTED"
        assert emitted(capsys.readouterr().out, "ChargesAppendedLate") == []

    def test_a_contract_recorded_years_late_appends_every_month_it_owes_beyond_one_transaction(
        self, handlers: dict[str, ModuleType], lambda_context: object
    ) -> None:
        seed_mirror("MC-1", has_formed_contract=True)
        application_id = notified_then_record_failed("MC-1", "android-0001", jst(2018, 1, 10))
        with time_machine.travel(jst(2026, 11, 5), tick=False):
            assert handlers["reconcile_contracts"].handler({}, lambda_context)["healed"] == 1
        contract_id = contract_of(application_id)
        owed = [str(BillingMonth(2018, 1) + n) for n in range(12 * 8 + 10)]  # 2018-01 … 2026-10
        assert len(owed) > contracts.LINES_IN_TRANSACTION
        assert [month for month in owed if lines("MC-1", month) == [contract_id]] == owed


# --- R12: the first-contract claim taken over, into months already billed -------------------------


class TestClaimDisplaced:
    def test_the_displaced_contract_owes_its_newly_billable_months_and_the_recording_appends_them(
        self,
        handlers: dict[str, ModuleType],
        lambda_context: object,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        seed_mirror("MC-1")  # a new account: its first contract is free for two months (R12)
        earlier = notified_then_record_failed("MC-1", "android-0001", jst(2026, 9, 5, 12))
        with time_machine.travel(jst(2026, 9, 10, 12), tick=False):
            later = approved("MC-1", "android-0002")
            contracts.send_notification(later)
            contracts.record_contract(later)  # recorded first: the first contract, for now
        later_id = contract_of(later)
        assert stored_contracts.require(later_id).first_billable_month == "2026-11"
        for month in ("2026-09", "2026-10", "2026-11"):
            bill_on_schedule(handlers, month, lambda_context)
        assert lines("MC-1", "2026-09") == lines("MC-1", "2026-10") == []
        assert lines("MC-1", "2026-11") == [later_id]
        capsys.readouterr()

        with time_machine.travel(jst(2026, 12, 3, 9), tick=False):  # healed: it formed first
            assert handlers["reconcile_contracts"].handler({}, lambda_context)["healed"] == 1
        out = capsys.readouterr().out
        earlier_id = contract_of(earlier)
        corrected = stored_contracts.require(later_id)
        assert (corrected.first_under_account, corrected.first_billable_month) == (False, "2026-09")
        assert stored_contracts.require(earlier_id).first_billable_month == "2026-11"
        # The recording's own transaction appended what both now owe.
        assert lines("MC-1", "2026-09") == lines("MC-1", "2026-10") == [later_id]
        assert lines("MC-1", "2026-11") == sorted([earlier_id, later_id])
        [metric] = emitted(out, "ChargesAppendedLate")
        assert metric["ChargesAppendedLate"] == [3.0]
        [warned] = warnings(caplog, "lines appended to months already billed")
        assert warned["months"] == ["2026-09", "2026-10", "2026-11"]

        with time_machine.travel(jst(2026, 12, 3, 10), tick=False):
            again = {
                month: bill(handlers, month, lambda_context) for month in ("2026-09", "2026-10", "2026-11")
            }
        assert {m: r["totals"]["linesWritten"] for m, r in again.items()} == {
            "2026-09": 0,
            "2026-10": 0,
            "2026-11": 0,
        }


# --- R9, R11, R13: an end recorded late, before months already charged ----------------------------


def charged_past_end_entries(contract_id: str) -> list[dict[str, Any]]:
    entries, _ = audit.newest_first(contract_id, None, 50)
    return [e for e in entries if e["outcome"] == "CHARGED_PAST_END"]


class TestEndedLate:
    @pytest.fixture
    def billed_through_october(self, handlers: dict[str, ModuleType], lambda_context: object) -> str:
        """A contract formed on 10 Aug (not the first: billable from August), billed August to
        October on schedule."""
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 8, 10), first=False)
        for month in ("2026-08", "2026-09", "2026-10"):
            bill_on_schedule(handlers, month, lambda_context)
        assert all(lines("MC-1", m) == [contract_id] for m in ("2026-08", "2026-09", "2026-10"))
        return contract_id

    def check_charged_past_end(
        self, contract_id: str, out: str, caplog: pytest.LogCaptureFixture, reason: str
    ) -> None:
        """September and October stay charged (R13), and it is signalled."""
        stored = stored_contracts.require(contract_id)
        assert stored.ended_at is not None
        assert (stored.status, iso(stored.ended_at)) == ("ENDED", "2026-08-31T14:59:59.999Z")
        for month in ("2026-08", "2026-09", "2026-10"):
            assert lines("MC-1", month) == [contract_id]
        [metric] = emitted(out, "ChargedPastEnd")
        assert metric["ChargedPastEnd"] == [2.0] and metric["service"] == "anshin"
        [directives] = metric["_aws"]["CloudWatchMetrics"]
        assert directives["Dimensions"] == [["service"]]
        [warned] = warnings(caplog, "before months already charged")
        assert (warned["contractId"], warned["months"], warned["endReason"]) == (
            contract_id,
            ["2026-09", "2026-10"],
            reason,
        )
        assert not any(value in out or value in logged(caplog) for value in stored.contact.to_item().values())
        [entry] = charged_past_end_entries(contract_id)
        assert (entry["kind"], entry["months"], entry["endedAt"], entry["reason"]) == (
            "CONTRACT",
            ["2026-09", "2026-10"],
            "2026-08-31T14:59:59.999Z",
            reason,
        )
        # On the contract's timeline, after the end it follows.
        events = timelines.timeline(contract_id, None, 30, jst(2026, 11, 6))["items"]
        names = [(e["kind"], e["event"]) for e in events]
        assert names.index(("CONTRACT", "CHARGED_PAST_END")) < names.index(("CONTRACT", "ENDED"))

    def test_a_notice_recorded_months_late_keeps_the_charges_and_says_so_r9_r13(
        self,
        handlers: dict[str, ModuleType],
        lambda_context: object,
        billed_through_october: str,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        contract_id = billed_through_october
        capsys.readouterr()
        with time_machine.travel(jst(2026, 11, 5, 10), tick=False):  # arrived 20 Aug, entered 5 Nov
            status, body = cancel(handlers, lambda_context, contract_id, jst(2026, 8, 20, 10))
        assert (status, body["status"]) == (200, "ENDED")
        self.check_charged_past_end(contract_id, capsys.readouterr().out, caplog, "SUBSCRIBER_CANCELLATION")
        # Billing September again changes nothing: the charge is neither taken back nor doubled.
        with time_machine.travel(jst(2026, 11, 5, 11), tick=False):
            again = bill(handlers, "2026-09", lambda_context)
        assert again["totals"]["linesWritten"] == 0 and lines("MC-1", "2026-09") == [contract_id]

    def test_an_account_event_delivered_months_late_keeps_the_charges_and_says_so_r11_r13(
        self,
        handlers: dict[str, ModuleType],
        lambda_context: object,
        billed_through_october: str,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        contract_id = billed_through_october
        capsys.readouterr()
        with time_machine.travel(jst(2026, 11, 5, 10), tick=False):  # the account ended on 15 Aug
            account_lost(handlers, lambda_context, "MC-1", jst(2026, 8, 15))
        self.check_charged_past_end(contract_id, capsys.readouterr().out, caplog, "ACCOUNT_LOSS")

    def test_a_notice_entered_just_after_its_month_closed_reads_no_invoice_r9(
        self,
        handlers: dict[str, ModuleType],
        lambda_context: object,
        billed_through_october: str,
        requests: list[str],
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        contract_id = billed_through_october
        capsys.readouterr()
        requests.clear()
        with time_machine.travel(jst(2026, 11, 2, 10), tick=False):  # arrived 31 Oct, entered 2 Nov
            assert cancel(handlers, lambda_context, contract_id, jst(2026, 10, 31, 22))[0] == 200
        assert requests and not [r for r in requests if "INVOICE#" in r], requests
        assert emitted(capsys.readouterr().out, "ChargedPastEnd") == []
        assert charged_past_end_entries(contract_id) == []

    def test_an_end_before_months_never_charged_is_no_signal(
        self,
        handlers: dict[str, ModuleType],
        lambda_context: object,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        # September and October were never billed (say billing was held back): nothing to signal.
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 8, 10), first=False)
        bill_on_schedule(handlers, "2026-08", lambda_context)
        capsys.readouterr()
        with time_machine.travel(jst(2026, 11, 5, 10), tick=False):
            assert cancel(handlers, lambda_context, contract_id, jst(2026, 8, 20))[0] == 200
        assert emitted(capsys.readouterr().out, "ChargedPastEnd") == []
        assert charged_past_end_entries(contract_id) == []
