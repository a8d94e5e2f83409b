"""R12's first-contract claim against moto: the first contract ever formed under an account (the
one first in ``contract_rules.formation_order``: formedAt to the millisecond, then the receive
sequence, then the id) is the free one, whatever order the contracts are recorded in and however
the recordings interleave; the other contracts are billable from the month they formed, and the
account's claim names the winner."""

import itertools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from anshin.domain import contract_rules
from anshin.domain.clock import iso
from anshin.domain.terms import first_billable_month
from anshin.services import contracts, screening
from anshin.store import accounts
from anshin.store import applications as store_applications
from anshin.store import contracts as stored_contracts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto.dynamodb.models import DynamoDBBackend

from tests.integration.test_approval_steps import apply, seed_account

#: Two contracts of a new account formed in the same second (and, for some, the same millisecond).
SAME_SECOND = "2026-11-30T14:59:59.{ms:03d}Z"  # 23:59:59 JST on the 30th: the month's last second
_accounts = itertools.count()


def new_account() -> str:
    mobile_contract_id = f"MC-claim-{next(_accounts):05d}"
    seed_account(mobile_contract_id)
    return mobile_contract_id


def approved(mobile_contract_id: str, count: int) -> list[str]:
    """``count`` applications of the account, received in this order, approved and issued."""
    ids = []
    for i in range(count):
        application_id = apply(mobile_contract_id, deviceId=f"android-{mobile_contract_id}-{i:04d}")
        screening.screen(application_id)
        assert screening.reserve_slot(application_id)["status"] == "APPROVED"
        contracts.issue_credentials(application_id)
        ids.append(application_id)
    return ids


def formed(application_id: str, at: str) -> str:
    """The notification went out at ``at`` (what send_notification notes); its formation order."""
    store_applications.mark_formed(application_id, at)
    application = store_applications.require(application_id)
    return contract_rules.formation_order(at, int(application["sequence"]), application_id)


def outcome(mobile_contract_id: str, application_ids: list[str]) -> dict[str, bool]:
    """Each application's contract: first under the account? Every contract is consistent."""
    firsts = {}
    for application_id in application_ids:
        application = store_applications.require(application_id)
        assert application["status"] == "CONTRACTED"
        # Read as the store parses it: an inconsistent record raises (InvariantViolation).
        contract = stored_contracts.require(application["contractId"])
        # firstBillableMonth follows from formedAt and the flag (R12)
        assert contract.first_billable_month == str(
            first_billable_month(contract.formed_at, contract.first_under_account)
        )
        assert iso(contract.formed_at) == application["formedAt"]
        firsts[application_id] = contract.first_under_account
    claim = accounts.first_claim(mobile_contract_id)
    [winner] = [a for a, first in firsts.items() if first]
    assert claim.contract_id == store_applications.require(winner)["contractId"]
    assert claim.had_contract
    return firsts


@pytest.fixture
def serialized(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto handles each request in its caller's thread, without a lock: one request of another
    thread could run between a transaction's condition checks and its writes, which DynamoDB
    never allows. One lock per request makes moto as atomic per request as DynamoDB is, and
    leaves every interleaving *between* requests (where the claim's races are) to the threads."""
    lock = threading.RLock()
    for name in ("get_item", "put_item", "update_item", "delete_item", "query", "transact_write_items"):
        method = getattr(DynamoDBBackend, name)

        def locked(*args: Any, __method: Callable[..., Any] = method, **kwargs: Any) -> Any:
            with lock:
                return __method(*args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


@pytest.mark.usefixtures("aws_env")
class TestOrderOfFormation:
    def test_the_earlier_formed_is_first_though_recorded_second(self) -> None:
        account = new_account()
        earlier, later = approved(account, 2)
        formed(earlier, SAME_SECOND.format(ms=100))
        formed(later, SAME_SECOND.format(ms=101))
        contracts.record_contract(later)  # recorded first: it claims, for now
        assert stored_contracts.require(store_applications.require(later)["contractId"]).first_under_account
        recorded = contracts.record_contract(earlier)
        assert recorded["displaced"] == store_applications.require(later)["contractId"]
        assert outcome(account, [earlier, later]) == {earlier: True, later: False}
        corrected = stored_contracts.require(store_applications.require(later)["contractId"])
        # R12: not the first, so billable from the month it formed (November in JST), in full.
        assert corrected.first_billable_month == "2026-11"
        first = stored_contracts.require(store_applications.require(earlier)["contractId"])
        assert first.first_billable_month == "2027-01"

    def test_the_same_millisecond_is_decided_by_the_receive_sequence(self) -> None:
        account = new_account()
        received_first, received_second = approved(account, 2)
        at = SAME_SECOND.format(ms=500)
        assert formed(received_first, at) < formed(received_second, at)
        contracts.record_contract(received_second)
        contracts.record_contract(received_first)
        assert outcome(account, [received_first, received_second]) == {
            received_first: True,
            received_second: False,
        }

    def test_a_later_formed_recorded_later_is_not_first_and_nothing_is_corrected(self) -> None:
        account = new_account()
        earlier, later = approved(account, 2)
        formed(earlier, SAME_SECOND.format(ms=1))
        formed(later, SAME_SECOND.format(ms=2))
        contracts.record_contract(earlier)
        assert "displaced" not in contracts.record_contract(later)
        assert outcome(account, [earlier, later]) == {earlier: True, later: False}

    def test_an_account_that_had_contracts_before_has_no_first_whatever_the_order(self) -> None:
        account = f"MC-claim-old-{next(_accounts)}"
        seed_account(account, has_formed_contract=True)
        ids = approved(account, 2)
        for i, application_id in enumerate(ids):
            formed(application_id, SAME_SECOND.format(ms=10 - i))
        for application_id in ids:
            contracts.record_contract(application_id)
        for application_id in ids:
            contract = stored_contracts.require(store_applications.require(application_id)["contractId"])
            assert contract.first_under_account is False

    def test_a_claim_that_moves_between_the_read_and_the_write_is_read_again(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The race: A (formed first) reads "no claim", then B and C are recorded before A writes.
        A's transaction fails its condition, A reads the claim again (C... then B) and takes it."""
        account = new_account()
        a, b, c = approved(account, 3)
        for application_id, ms in ((a, 1), (b, 2), (c, 3)):
            formed(application_id, SAME_SECOND.format(ms=ms))
        real = accounts.first_claim
        interleaved: list[str] = []

        def stale_then_real(mobile_contract_id: str) -> contract_rules.FirstClaim:
            claim = real(mobile_contract_id)
            if not interleaved:  # A's first read: B and C record while A has not written yet
                interleaved.append("c")
                contracts.record_contract(c)
                contracts.record_contract(b)
            return claim

        monkeypatch.setattr(accounts, "first_claim", stale_then_real)
        contracts.record_contract(a)
        assert outcome(account, [a, b, c]) == {a: True, b: False, c: False}


@pytest.mark.usefixtures("aws_env")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    milliseconds=st.lists(st.integers(min_value=0, max_value=2), min_size=2, max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_whatever_the_recording_order_the_first_formed_is_first(milliseconds: list[int], order: Any) -> None:
    """Hypothesis over formation instants within one second (ties included) and recording orders."""
    account = new_account()
    ids = approved(account, len(milliseconds))
    orders = {a: formed(a, SAME_SECOND.format(ms=ms)) for a, ms in zip(ids, milliseconds, strict=True)}
    recording = list(ids)
    order.shuffle(recording)
    for application_id in recording:
        contracts.record_contract(application_id)
    expected = min(orders, key=orders.__getitem__)
    assert outcome(account, ids) == {a: a == expected for a in ids}


@pytest.mark.usefixtures("aws_env", "serialized")
@pytest.mark.parametrize("round_", range(4))
def test_concurrent_recordings_never_both_claim_and_the_earliest_wins(round_: int) -> None:
    """Threads record every contract of a new account at once (and each twice, as a workflow
    step and a device registration may): exactly one is first, the earliest-formed."""
    account = new_account()
    ids = approved(account, 5)
    # Formed in the same second, the last received first and two in the same millisecond.
    at = [SAME_SECOND.format(ms=ms) for ms in (9, 7, 5, 3, 3)]
    orders = {a: formed(a, when) for a, when in zip(ids, at, strict=True)}
    errors: list[BaseException] = []
    start = threading.Barrier(len(ids) * 2)

    def record(application_id: str) -> None:
        try:
            start.wait()
            contracts.record_contract(application_id)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=record, args=(a,)) for a in [*ids, *reversed(ids)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    expected = min(orders, key=orders.__getitem__)
    assert expected == ids[3]  # 3 ms, and received before the other 3 ms one
    assert outcome(account, ids) == {a: a == expected for a in ids}
