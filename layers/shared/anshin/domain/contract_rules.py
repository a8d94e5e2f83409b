"""How a contract's end is decided, and which contract of an account formed first (R6.4,
R9-R12). Pure: no AWS.

What a stored contract must always satisfy is the :class:`~anshin.domain.entities.Contract`
entity's own check: every write builds the contract it would leave behind as an entity first, so
the month jobs, which trust these fields, never meet a contract the API made inconsistent; the
jobs parse each record into an entity before they act on it, and what fails (bad data, a future
schema) is set aside, never billed or ended on a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from anshin.domain import terms
from anshin.domain.clock import iso, parse_iso

# The contract's statuses and end reasons are the entity's; these rules name them too.
from anshin.domain.entities import Contract
from anshin.domain.entities import ContractStatus as ContractStatus
from anshin.domain.entities import EndReason as EndReason
from anshin.domain.errors import InvariantViolation


def has_ended(contract: Contract, now: datetime) -> bool:
    """Whether ``contract`` has ended at ``now``, for every purpose at once (issue 24): recorded
    ``ENDED`` (R10 at its instant, or any end the month-end run or a late end recorded), or its
    scheduled end (``endsAt``: R9, R11) has passed, though the month-end run has not recorded it
    yet (it runs after the month closes, and later still if it fails). Verification, commands,
    their relay and follow-up, support sessions and the one-time codes all decide by this."""
    if contract.status is ContractStatus.ENDED:
        return True
    return contract.ends_at is not None and contract.ends_at <= now


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


def notice_outcome(contract: Contract, notice_received_at: datetime) -> NoticeOutcome:
    """R9 for ``contract`` (not ENDED), a notice received at ``notice_received_at``: an ACTIVE
    contract is to end at the end of the notice's billing month; one already pending keeps its
    end (a second notice changes nothing). A notice before formation is refused either way
    (``NOTICE_BEFORE_FORMATION``). The notice itself and its preview both decide by this."""
    ends_at = end_on_notice(contract.formed_at, notice_received_at)
    if contract.status is ContractStatus.ACTIVE or contract.ends_at is None:
        return NoticeOutcome(ends_at, True)
    return NoticeOutcome(contract.ends_at, False)


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
