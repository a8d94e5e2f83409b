"""Changes that reach into billing months that are over (R9, R11, R12, R13): pure, on
contract entities.

Billing for a month runs once the month is over (the 1st of the next one). A contract recorded
late (R6.4: the reconciler, a late step, a device's registration), or a first-contract claim
taken over (R12: the displaced contract becomes billable from the month it formed), can make a
contract owe lines for months that are over: the recording appends them to the ledger itself
(anshin.services.contracts, R13: only ever added). An end recorded late (R9, R11: carried out at
once) can fall before months billing has already charged: those charges stand (R13), and are
signalled.

Which months are concerned is decided here, from the contract's formation, whether it is its
account's first (its first billable month) and its end, by the billing rules themselves
(:func:`anshin.domain.terms.charged_months`);
whether billing has charged them is for the ledger to say.
"""

from __future__ import annotations

from datetime import datetime

from anshin.domain.entities import Contract
from anshin.domain.terms import BillingMonth, billing_month_of, charged_months


def last_closed_month(now: datetime) -> BillingMonth:
    """The latest billing month that is over at ``now`` (Japan time): billing can have run for it
    and for the months before it, never for a later one."""
    return billing_month_of(now) - 1


def closed_billable_months(contract: Contract, now: datetime) -> list[BillingMonth]:
    """R12: the months ``contract`` is charged for that are over at ``now``: from its first
    billable month to the month of its end (scheduled or past), no later than the last closed
    month. Empty for a contract whose first billable month is still open (the common case of a
    contract recorded in the month it formed)."""
    return charged_months(
        contract.formed_at, contract.first_under_account, contract.end, last_closed_month(now)
    )


def newly_billable_closed_months(before: Contract, after: Contract, now: datetime) -> list[BillingMonth]:
    """R12: the closed months a change makes ``after`` billable for that ``before`` was not (a
    contract that is no longer its account's first is billable from the month it formed)."""
    was = set(closed_billable_months(before, now))
    return [month for month in closed_billable_months(after, now) if month not in was]


def closed_months_past_end(contract: Contract, ends_at: datetime, now: datetime) -> list[BillingMonth]:
    """R9, R11, R13: the closed months after the month of a new end ``ends_at`` that ``contract``
    (whatever end it had before) could have been charged for: from its first billable month, or
    the month after the end's, to the last closed month. Billing may have charged them already,
    and such a charge is never taken back. Empty when the end is in the last closed month or
    later (an end recorded in time, or a notice entered just after its month closed)."""
    last = billing_month_of(ends_at)
    return [
        month
        for month in charged_months(
            contract.formed_at,
            contract.first_under_account,
            None,
            last_closed_month(now),
        )
        if last < month
    ]
