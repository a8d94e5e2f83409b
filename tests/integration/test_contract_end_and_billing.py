"""Contract ends (R8-R11), month-end termination and billing (R12, R13) against moto, straight
from the terms. Time moves with time-machine."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain import errors
from anshin.domain.billing_rules import Line
from anshin.domain.clock import parse_iso
from anshin.domain.terms import JST, BillingMonth, billing_month_of, charged_months
from anshin.services import billing, contract_ends, jobs
from anshin.store import accounts, contracts, invoices, keys, lookups
from anshin.store.keys import SHARDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.seed import formed_contract
from tests.integration.conftest import STAFF_MEMBER

FEE = 500
_ids = itertools.count(1)


def table() -> Any:
    return boto3.resource("dynamodb").Table("Contracts")


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


def seed_account(mobile_contract_id: str, slots_held: int = 0, **settings: Any) -> None:
    table().put_item(Item=accounts.mirror_item(mobile_contract_id, slots_held=slots_held, **settings))


def seed_contract(mobile_contract_id: str, formed_at: datetime, first: bool) -> str:
    """A formed contract as the notification workflow records it; its account holds its slot."""
    contract_id = f"ctr-{next(_ids):08x}"
    contract = formed_contract(contract_id, mobile_contract_id, formed_at, first)
    table().put_item(Item=contract)
    # Its device lookup, as recording writes it (staff search by device id, issue 24).
    table().put_item(Item=lookups.device_item(contract_id, contract["formedAt"], contract_id))
    table().update_item(
        Key=keys.account(mobile_contract_id),
        UpdateExpression="SET slotsHeld = slotsHeld + :one, hasFormedContract = :t",
        ExpressionAttributeValues={":one": 1, ":t": True},
    )
    return contract_id


def month_end(month: str, now: datetime) -> list[str]:
    ended = []
    for shard in range(SHARDS):
        cursor = None
        while True:
            result = contract_ends.end_due_contracts(BillingMonth.parse(month), shard, now, cursor, limit=3)
            ended += [e["contractId"] for e in result["ended"]]
            cursor = result["cursor"]
            if cursor is None:
                break
    return ended


def bill(month: str, now: datetime, page_size: int = 3) -> dict[str, int]:
    totals = {"linesWritten": 0, "linesAlreadyCharged": 0, "contractsRead": 0}
    for shard in range(SHARDS):
        cursor = None
        while True:
            page = billing.bill_shard(
                BillingMonth.parse(month), shard, now, FEE, run_id="test", cursor=cursor, page_size=page_size
            )
            for name in totals:
                totals[name] += page[name]
            cursor = page["cursor"]
            if cursor is None:
                break
    return totals


def invoice_total(mobile_contract_id: str, month: str) -> int:
    invoice = billing.invoice_of(mobile_contract_id, BillingMonth.parse(month))
    return 0 if invoice is None else int(invoice["subtotal"])


def slots(mobile_contract_id: str) -> int:
    account = accounts.get(mobile_contract_id)
    assert account is not None
    return account.slots_held


@pytest.mark.usefixtures("aws_env")
class TestCancellationR9:
    def test_last_day_2330_jst_ends_that_month(self) -> None:
        seed_account("MC-1")
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        view = contract_ends.cancel(contract_id, jst(2026, 11, 30, 23, 30), jst(2026, 11, 30, 23, 30))
        assert view["status"] == "CANCELLATION_PENDING"
        assert view["endsAt"] == "2026-11-30T14:59:59.999Z"  # 23:59:59.999 JST
        assert view["endReason"] == "SUBSCRIBER_CANCELLATION"

    def test_0030_jst_the_next_day_ends_the_next_month(self) -> None:
        seed_account("MC-1")
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        view = contract_ends.cancel(contract_id, jst(2026, 12, 1, 0, 30), jst(2026, 12, 1, 0, 30))
        assert view["endsAt"] == "2026-12-31T14:59:59.999Z"

    def test_a_second_notice_changes_nothing(self) -> None:
        seed_account("MC-1")
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        first = contract_ends.cancel(contract_id, jst(2026, 11, 5), jst(2026, 11, 5))
        assert contract_ends.cancel(contract_id, jst(2026, 11, 20), jst(2026, 11, 20)) == first
        # Once its end has passed it has ended (issue 24), month-end run or not: CONTRACT_ENDED.
        with pytest.raises(errors.ContractEnded):
            contract_ends.cancel(contract_id, jst(2026, 12, 5), jst(2026, 12, 5))


@pytest.mark.usefixtures("aws_env")
class TestMonthEndAndBilling:
    def test_first_contract_formed_in_november_cancelled_in_december_is_never_charged(self) -> None:
        seed_account("MC-1")
        contract_id = seed_contract("MC-1", jst(2026, 11, 10), first=True)
        contract_ends.cancel(contract_id, jst(2026, 12, 5), jst(2026, 12, 5))
        after = jst(2027, 1, 1, 0, 30)
        assert month_end("2026-12", after) == [contract_id]
        for month in ("2026-11", "2026-12"):
            bill(month, after)
            assert invoice_total("MC-1", month) == 0
        stored = contracts.get(contract_id)
        assert stored is not None
        assert (stored.status, stored.ended_at) == ("ENDED", parse_iso("2026-12-31T14:59:59.999Z"))
        assert slots("MC-1") == 0

    def test_second_contract_pays_its_first_month_whole_and_the_month_it_ends(self) -> None:
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 11, 30, 23, 59), first=False)
        contract_ends.cancel(contract_id, jst(2026, 12, 2), jst(2026, 12, 2))
        after = jst(2027, 1, 2)
        month_end("2026-12", after)
        bill("2026-11", after)
        bill("2026-12", after)
        bill("2027-01", after + timedelta(days=31))
        assert [invoice_total("MC-1", m) for m in ("2026-11", "2026-12", "2027-01")] == [500, 500, 0]
        invoice = billing.invoice_of("MC-1", BillingMonth.parse("2026-11"))
        assert invoice is not None
        assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (500, 50, 550)

    def test_company_termination_mid_month_is_charged_that_month_and_marks_the_account(self) -> None:
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        with time_machine.travel(jst(2026, 11, 15, 10), tick=False):
            view = contract_ends.terminate(contract_id, jst(2026, 11, 15, 10), "fraud", STAFF_MEMBER)
        assert (view["status"], view["endReason"], view["endedAt"]) == (
            "ENDED",
            "COMPANY_TERMINATION",
            "2026-11-15T01:00:00.000Z",
        )
        assert slots("MC-1") == 0
        assert accounts.has_prior_violation("MC-1")  # R10 -> R6.3(3)
        bill("2026-11", jst(2026, 12, 1, 1))
        bill("2026-12", jst(2027, 1, 1, 1))
        assert invoice_total("MC-1", "2026-11") == 500
        assert invoice_total("MC-1", "2026-12") == 0
        with pytest.raises(errors.ContractEnded):
            contract_ends.terminate(contract_id, jst(2026, 11, 16), "again", STAFF_MEMBER)
        with pytest.raises(errors.ContractEnded):
            contract_ends.cancel(contract_id, jst(2026, 11, 16), jst(2026, 11, 16))

    def test_account_loss_ends_every_contract_at_the_end_of_that_month(self) -> None:
        seed_account("MC-1", has_formed_contract=True)
        live = [seed_contract("MC-1", jst(2026, 8, 1), first=False) for _ in range(3)]
        # One already cancelled to end earlier keeps its earlier end.
        contract_ends.cancel(live[0], jst(2026, 10, 3), jst(2026, 10, 3))
        result = contract_ends.apply_account_event(
            "MobileContractEnded", {"mobileContractId": "MC-1"}, jst(2026, 11, 20), jst(2026, 11, 20)
        )
        assert result["accountLost"] is True
        assert sorted(result["contractsEnding"]) == sorted(live[1:])
        assert month_end("2026-10", jst(2026, 11, 20)) == [live[0]]
        assert sorted(month_end("2026-11", jst(2026, 12, 1, 0, 5))) == sorted(live[1:])
        ended = [contracts.get(c) for c in live[1:]]
        assert {(c.status, c.end_reason, c.ended_at) for c in ended if c} == {
            ("ENDED", "ACCOUNT_LOSS", parse_iso("2026-11-30T14:59:59.999Z"))
        }
        assert slots("MC-1") == 0
        account = accounts.get("MC-1")
        assert account is not None and not account.active

    def test_rate_lines_dropping_to_zero_is_account_loss_and_more_lines_change_nothing(self) -> None:
        seed_account("MC-1", has_formed_contract=True)
        contract_id = seed_contract("MC-1", jst(2026, 8, 1), first=False)
        kept = contract_ends.apply_account_event(
            "RateLinesChanged",
            {"mobileContractId": "MC-1", "normalRateLines": 2},
            jst(2026, 11, 1),
            jst(2026, 11, 1),
        )
        assert kept == {"mobileContractId": "MC-1", "accountLost": False, "contractsEnding": []}
        lost = contract_ends.apply_account_event(
            "RateLinesChanged",
            {"mobileContractId": "MC-1", "normalRateLines": 0},
            jst(2026, 11, 2),
            jst(2026, 11, 2),
        )
        assert lost["contractsEnding"] == [contract_id]

    def test_a_run_before_the_month_is_over_ends_nothing_early(self) -> None:
        seed_account("MC-1")
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        contract_ends.cancel(contract_id, jst(2026, 11, 5), jst(2026, 11, 5))
        assert month_end("2026-11", jst(2026, 11, 24)) == []
        with pytest.raises(errors.MonthNotOver):
            bill("2026-11", jst(2026, 11, 24))
        assert month_end("2026-11", jst(2026, 12, 1)) == [contract_id]

    def test_month_end_rerun_changes_nothing(self) -> None:
        seed_account("MC-1")
        contract_id = seed_contract("MC-1", jst(2026, 9, 1), first=False)
        contract_ends.cancel(contract_id, jst(2026, 11, 5), jst(2026, 11, 5))
        assert month_end("2026-11", jst(2026, 12, 1)) == [contract_id]
        assert month_end("2026-11", jst(2026, 12, 1)) == []
        assert slots("MC-1") == 0


@pytest.mark.usefixtures("aws_env")
class TestRerunAndResumeR13:
    def test_running_a_month_twice_charges_once(self) -> None:
        seed_account("MC-1", has_formed_contract=True)
        seed_account("MC-2", has_formed_contract=True)
        for mobile_contract_id in ("MC-1", "MC-1", "MC-2"):
            seed_contract(mobile_contract_id, jst(2026, 10, 1), first=False)
        first = bill("2026-11", jst(2026, 12, 1, 1))
        again = bill("2026-11", jst(2026, 12, 1, 2))
        assert (first["linesWritten"], first["linesAlreadyCharged"]) == (3, 0)
        assert (again["linesWritten"], again["linesAlreadyCharged"]) == (0, 3)
        assert invoice_total("MC-1", "2026-11") == 1000
        assert invoice_total("MC-2", "2026-11") == 500

    def test_crash_half_way_then_resume_charges_each_contract_once(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        seed_account("MC-1", has_formed_contract=True)
        made = [seed_contract("MC-1", jst(2026, 10, 1), first=False) for _ in range(40)]
        original = invoices.write
        calls = {"n": 0}

        def crash_after_some(lines: list[Line], run_id: str, now: datetime) -> tuple[int, int]:
            # Counted in pages that charge something: the contracts' ids are random, so the
            # shards (and the pages) before the first charged one may all be empty.
            calls["n"] += 1 if lines else 0
            if calls["n"] == 3:
                raise RuntimeError("the Lambda died here")
            return original(lines, run_id, now)

        monkeypatch.setattr(invoices, "write", crash_after_some)
        with pytest.raises(RuntimeError):
            bill("2026-11", jst(2026, 12, 1, 1), page_size=2)
        partial = len(billing.invoice_of("MC-1", BillingMonth.parse("2026-11"))["lines"])  # type: ignore[index]
        assert 0 < partial < 40
        monkeypatch.setattr(invoices, "write", original)
        resumed = bill("2026-11", jst(2026, 12, 1, 3), page_size=2)
        assert resumed["linesWritten"] == 40 - partial
        invoice = billing.invoice_of("MC-1", BillingMonth.parse("2026-11"))
        assert invoice is not None
        assert sorted(line["contractId"] for line in invoice["lines"]) == sorted(made)
        assert invoice["subtotal"] == 40 * FEE

    def test_billing_reads_only_what_concerns_the_month(self) -> None:
        seed_account("MC-1", has_formed_contract=True)
        old = [seed_contract("MC-1", jst(2025, 1, 1), first=False) for _ in range(5)]
        for contract_id in old:  # ended long ago: history that must not be read again
            contract_ends.terminate(contract_id, jst(2025, 3, 1), "old", STAFF_MEMBER)
        live = seed_contract("MC-1", jst(2026, 10, 1), first=False)
        totals = bill("2026-11", jst(2026, 12, 1, 1))
        assert totals["contractsRead"] == 1
        assert invoice_total("MC-1", "2026-11") == 500
        assert live


class TestJobs:
    def test_month_comes_from_the_scheduled_time_in_japan_time(self) -> None:
        # 00:05 JST on 1 December is 15:05 UTC on 30 November: it closes November.
        assert str(jobs.month_closed_by("2026-11-30T15:05:00Z")) == "2026-11"
        assert str(jobs.month_closed_by("2027-01-01T00:05:00+09:00")) == "2026-12"
        assert jobs.scheduled_time_for(BillingMonth.parse("2026-11")) == "2026-11-30T15:05:00.000Z"
        assert str(jobs.month_closed_by(jobs.scheduled_time_for(BillingMonth.parse("2028-02")))) == "2028-02"

    def test_run_shard_loops_pages_and_hands_back_a_cursor_when_time_runs_low(self) -> None:
        pages = iter([{"n": 1, "cursor": {"k": 1}}, {"n": 2, "cursor": {"k": 2}}, {"n": 3, "cursor": None}])
        times = iter([120_000, 10_000])
        result = jobs.run_shard(lambda _cursor: next(pages), {"shard": 3, "totals": {}}, lambda: next(times))
        assert result == {"shard": 3, "cursor": {"k": 2}, "totals": {"n": 3}}
        result = jobs.run_shard(lambda _cursor: next(pages), result, lambda: 120_000)
        assert result == {"shard": 3, "cursor": None, "totals": {"n": 6}}

    def test_a_shards_lists_stay_small_in_the_workflows_state(self) -> None:
        """A dry run's lists are kept to jobs.LISTED entries per shard, and the rest counted: Step
        Functions state is limited to 256 KB whatever the month holds."""
        pages = iter(
            [
                {"wouldEnd": list(range(150)), "cursor": {"k": 1}},
                {"wouldEnd": list(range(150)), "cursor": None},
            ]
        )
        result = jobs.run_shard(lambda _cursor: next(pages), {"shard": 1, "totals": {}}, lambda: 120_000)
        assert len(result["totals"]["wouldEnd"]) == jobs.LISTED
        assert result["totals"]["wouldEndNotListed"] == 300 - jobs.LISTED


# --- property: billing totals equal charged_months for random lifecycles -------------------------

lifecycles = st.lists(
    st.tuples(
        st.datetimes(
            min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
        ),
        st.booleans(),
        st.one_of(st.none(), st.timedeltas(timedelta(0), timedelta(days=300))),
        st.sampled_from(["cancel", "terminate"]),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lifecycles)
def test_billing_totals_equal_charged_months(aws_env: dict[str, str], cases: list[Any]) -> None:
    """Random lifecycles lived month by month, as production lives them: contracts form, notices
    and terminations arrive, then each month ends and is billed (twice, R13)."""
    from tests.integration.conftest import fresh_data_tables

    fresh_data_tables()
    seed_account("MC-P", slots_held=0, has_formed_contract=True)
    horizon = BillingMonth.parse("2027-06")
    happenings: list[tuple[datetime, int, str, Any]] = []
    for number, (formed, first, lifetime, how) in enumerate(cases):
        happenings.append((formed, number, "form", first))
        if lifetime is not None:
            happenings.append((formed + lifetime, number, how, None))
    happenings.sort(key=lambda h: (h[0], h[2] != "form"))
    ids: dict[int, str] = {}
    ends: dict[int, datetime] = {}
    for month in BillingMonth.parse("2026-01").through(horizon):
        for at, number, what, first in [h for h in happenings if billing_month_of(h[0]) == month]:
            if what == "form":
                ids[number] = seed_contract("MC-P", at, first)
            elif what == "cancel":
                ends[number] = parse_iso(contract_ends.cancel(ids[number], at, at)["endsAt"])
            elif contracts.require(ids[number]).status != "ENDED":
                ends[number] = parse_iso(
                    contract_ends.terminate(ids[number], at, "r", STAFF_MEMBER)["endedAt"]
                )
        now = month.end() + timedelta(hours=1)
        month_end(str(month), now)
        bill(str(month), now, page_size=4)
        bill(str(month), now, page_size=4)  # every month run twice: never charged twice (R13)
    charged: dict[str, int] = dict.fromkeys(ids.values(), 0)
    for month in BillingMonth.parse("2026-01").through(horizon):
        invoice = billing.invoice_of("MC-P", month)
        for line in (invoice or {"lines": []})["lines"]:
            charged[line["contractId"]] += 1
            assert line["amount"] == FEE
    expected = {
        ids[n]: len(charged_months(formed, first, ends.get(n), horizon))
        for n, (formed, first, _lifetime, _how) in enumerate(cases)
    }
    assert charged == expected
