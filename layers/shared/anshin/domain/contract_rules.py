"""What a stored contract must always satisfy, and how its end is decided (R6.4, R9-R12).

Pure: no AWS. Every write that sets a contract's dates or status checks the contract it would
leave behind against :func:`check` first, so the month jobs, which trust these fields, never meet
a contract the API made inconsistent. The jobs check again before they act on a record: what
fails here (bad data, a future schema) is set aside, never billed or ended on a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from anshin.domain import terms
from anshin.domain.clock import iso, parse_iso
from anshin.domain.errors import InvariantViolation
from anshin.domain.terms import first_billable_month


class ContractStatus(StrEnum):
    ACTIVE = "ACTIVE"
    CANCELLATION_PENDING = "CANCELLATION_PENDING"
    ENDED = "ENDED"


class EndReason(StrEnum):
    SUBSCRIBER_CANCELLATION = "SUBSCRIBER_CANCELLATION"  # R9
    COMPANY_TERMINATION = "COMPANY_TERMINATION"  # R10
    ACCOUNT_LOSS = "ACCOUNT_LOSS"  # R11


def _instant(contract: Mapping[str, Any], name: str) -> datetime:
    value = contract.get(name)
    if not isinstance(value, str):
        raise InvariantViolation("CORRUPT_CONTRACT", f"{name} is missing or not a string")
    try:
        at = parse_iso(value)
    except ValueError:
        raise InvariantViolation("CORRUPT_CONTRACT", f"{name} is not an ISO 8601 instant") from None
    if at.tzinfo is None:
        raise InvariantViolation("CORRUPT_CONTRACT", f"{name} has no time zone")
    return at


def check(contract: Mapping[str, Any]) -> None:
    """Raise :class:`InvariantViolation` unless ``contract`` is a consistent stored contract:
    the fields the jobs read are there and well formed, formation <= notice <= end (R9),
    formation <= end (R10, R11), the first billable month follows from formation (R12), and the
    status agrees with the dates (ACTIVE has no end, CANCELLATION_PENDING a scheduled one,
    ENDED the instant it ended)."""
    for name in ("contractId", "mobileContractId"):
        if not isinstance(contract.get(name), str) or not contract[name]:
            raise InvariantViolation("CORRUPT_CONTRACT", f"{name} is missing")
    try:
        status = ContractStatus(str(contract.get("status")))
    except ValueError:
        raise InvariantViolation("CORRUPT_CONTRACT", "status is not a contract status") from None
    formed_at = _instant(contract, "formedAt")
    first = contract.get("firstUnderAccount")
    if not isinstance(first, bool):
        raise InvariantViolation("CORRUPT_CONTRACT", "firstUnderAccount is not a boolean")
    if contract.get("firstBillableMonth") != str(first_billable_month(formed_at, first)):
        raise InvariantViolation("CORRUPT_CONTRACT", "firstBillableMonth does not follow from formedAt (R12)")
    if "cancellationReceivedAt" in contract:
        received_at = _instant(contract, "cancellationReceivedAt")
        if received_at < formed_at:
            raise InvariantViolation(
                "NOTICE_BEFORE_FORMATION", "A cancellation notice cannot arrive before the contract formed."
            )
    if status is ContractStatus.ACTIVE:
        if "endsAt" in contract or "endedAt" in contract:
            raise InvariantViolation("CORRUPT_CONTRACT", "an ACTIVE contract has no end")
        return
    try:
        EndReason(str(contract.get("endReason")))
    except ValueError:
        raise InvariantViolation("CORRUPT_CONTRACT", "endReason is not an end reason") from None
    end_field = "endsAt" if status is ContractStatus.CANCELLATION_PENDING else "endedAt"
    end = _instant(contract, end_field)
    if end < formed_at:
        raise InvariantViolation("END_BEFORE_FORMATION", "A contract cannot end before it formed.")
    # A cancellation ends no earlier than its notice (R9); the company (R10) or the account's loss
    # (R11) may end a contract earlier than a notice it had received.
    if (
        contract.get("endReason") == EndReason.SUBSCRIBER_CANCELLATION.value
        and "cancellationReceivedAt" in contract
        and end < _instant(contract, "cancellationReceivedAt")
    ):
        raise InvariantViolation("END_BEFORE_NOTICE", "A contract cannot end before its notice arrived.")
    if status is ContractStatus.CANCELLATION_PENDING and "endedAt" in contract:
        raise InvariantViolation("CORRUPT_CONTRACT", "a contract still to end has no endedAt")


def has_ended(contract: Mapping[str, Any], now: datetime) -> bool:
    """Whether ``contract`` has ended at ``now``, for every purpose at once (issue 24): recorded
    ``ENDED`` (R10 at its instant, or any end the month-end run or a late end recorded), or its
    scheduled end (``endsAt``: R9, R11) has passed, though the month-end run has not recorded it
    yet (it runs after the month closes, and later still if it fails). Verification, commands,
    their relay and follow-up, support sessions and the one-time codes all decide by this."""
    if contract.get("status") == ContractStatus.ENDED.value:
        return True
    ends_at = contract.get("endsAt")
    return isinstance(ends_at, str) and parse_iso(ends_at) <= now


def end_on_notice(formed_at: datetime, notice_received_at: datetime) -> datetime:
    """R9: the end of the billing month of the notice's arrival. A notice stated to have arrived
    before the contract formed is no notice of this contract: refused (our reading of R9)."""
    if notice_received_at < formed_at:
        raise InvariantViolation(
            "NOTICE_BEFORE_FORMATION", "A cancellation notice cannot arrive before the contract formed."
        )
    return terms.cancellation_end(notice_received_at)


def end_on_account_loss(formed_at: datetime, event_at: datetime) -> datetime:
    """R11: the end of the billing month of the account's loss. A contract that formed after the
    loss (the event arrived late) ends at the end of the month it formed in: it never ends
    before it formed (our reading of R11)."""
    return max(terms.account_loss_end(event_at), terms.account_loss_end(formed_at))


@dataclass(frozen=True)
class NoticeOutcome:
    """What a cancellation notice (R9) does to a contract that has not ended: the end it leaves
    the contract with, and whether it moves it (False: the contract's earlier end stands)."""

    ends_at: datetime
    moves: bool


def notice_outcome(contract: Mapping[str, Any], notice_received_at: datetime) -> NoticeOutcome:
    """R9 for ``contract`` (not ENDED), a notice received at ``notice_received_at``: an ACTIVE
    contract is to end at the end of the notice's billing month; one already pending keeps its
    end (a second notice changes nothing). A notice before formation is refused either way
    (``NOTICE_BEFORE_FORMATION``). The notice itself and its preview both decide by this."""
    ends_at = end_on_notice(parse_iso(str(contract["formedAt"])), notice_received_at)
    if contract["status"] == ContractStatus.ACTIVE.value:
        return NoticeOutcome(ends_at, True)
    return NoticeOutcome(parse_iso(str(contract["endsAt"])), False)


# --- R12: which contract of an account formed first ----------------------------------------------

#: A missing receive sequence (an application outside any line) ranks after every sequence.
_NO_SEQUENCE = "~" * 12


def formation_order(formed_at: datetime | str, sequence: int | None, application_id: str) -> str:
    """R12's order of formation, as a key that sorts as text: the instant of formation at
    millisecond precision (UTC), then the application's receive sequence in its account's line
    (R6.1: the earlier received first), then its id. Two contracts of one account never share a
    key (the sequence is unique per account, the id everywhere), so "formed first" is decided
    for every pair, the same way whichever is recorded first."""
    at = parse_iso(formed_at) if isinstance(formed_at, str) else formed_at
    if at.tzinfo is None:
        raise ValueError("formed_at has no time zone")
    if sequence is not None and (isinstance(sequence, bool) or not 0 <= int(sequence) < 10**12):
        raise ValueError(f"receive sequence out of range: {sequence}")
    rank = _NO_SEQUENCE if sequence is None else f"{int(sequence):012d}"
    return f"{iso(at)}#{rank}#{application_id}"


class FirstClaimMove(StrEnum):
    """What recording a contract does to its account's first-contract claim (R12)."""

    CLAIM = "CLAIM"  # no contract of the account is recorded: this one is the first
    DISPLACE = "DISPLACE"  # the claim's holder formed after this one: this one takes it over
    LATER = "LATER"  # an earlier-formed contract holds the claim (or the account had one before)


@dataclass(frozen=True)
class FirstClaim:
    """The account's first-contract claim as stored: its holder and the holder's
    :func:`formation_order`; ``had_contract`` when a contract formed under the account (an
    account with contracts from before the claim kept its order has no ``order``)."""

    contract_id: str | None = None
    order: str | None = None
    had_contract: bool = False


def first_claim_move(mine: str, held: FirstClaim) -> FirstClaimMove:
    """R12: the first contract ever formed under the account is the one first in
    :func:`formation_order`. A contract recorded while no claim is held claims it; one formed
    before the holder takes it over (the holder's first billable month is corrected in the same
    transaction); any other is a later contract. A claim with no order (kept from before the
    order was recorded), or an account that had contracts before, is never displaced."""
    if held.order is None:
        if held.contract_id is None and not held.had_contract:
            return FirstClaimMove.CLAIM
        return FirstClaimMove.LATER
    return FirstClaimMove.DISPLACE if mine < held.order else FirstClaimMove.LATER
