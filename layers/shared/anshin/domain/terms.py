"""The terms of use as pure functions (``docs/terms/RULES.md``).

No I/O here. Every date rule is computed in Japan time (料金月 = a calendar month in
Asia/Tokyo), never in UTC, and each function names the rule it implements.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, time
from functools import total_ordering
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")

#: R4: a mobile account holds at most this many support contracts that have not ended.
MAX_CONTRACTS_PER_ACCOUNT = 10
#: Fees: consumption tax, computed once per invoice and rounded down.
DEFAULT_TAX_RATE_PERCENT = 10

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@total_ordering
@dataclass(frozen=True, slots=True)
class BillingMonth:
    """A billing month (料金月): a calendar month in Japan time."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not isinstance(self.year, int) or not isinstance(self.month, int):
            raise TypeError("year and month must be int")
        if not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year out of range: {self.year}")

    @classmethod
    def parse(cls, text: str) -> BillingMonth:
        """Parse ``"YYYY-MM"``; anything else raises ``ValueError``."""
        match = _MONTH_RE.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"not a billing month (YYYY-MM): {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def _index(self) -> int:
        return self.year * 12 + (self.month - 1)

    @classmethod
    def _from_index(cls, index: int) -> BillingMonth:
        return cls(index // 12, index % 12 + 1)

    def __add__(self, months: int) -> BillingMonth:
        if not isinstance(months, int) or isinstance(months, bool):
            return NotImplemented
        return self._from_index(self._index + months)

    def __sub__(self, months: int) -> BillingMonth:
        if not isinstance(months, int) or isinstance(months, bool):
            return NotImplemented
        return self._from_index(self._index - months)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, BillingMonth):
            return NotImplemented
        return self._index < other._index

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def start(self) -> datetime:
        """The first instant of the month, 00:00 JST on its first day."""
        return datetime(self.year, self.month, 1, tzinfo=JST)

    def end(self) -> datetime:
        """The last instant of the month; see :func:`end_of_billing_month`."""
        return end_of_billing_month(self)

    def through(self, last: BillingMonth) -> list[BillingMonth]:
        """Every month from this one to ``last`` inclusive (empty when ``last`` is earlier)."""
        return [self._from_index(i) for i in range(self._index, last._index + 1)]


def _require_aware(at: datetime, name: str = "instant") -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {at!r}")


def billing_month_of(at: datetime) -> BillingMonth:
    """The billing month (Japan-time calendar month) containing the aware instant ``at``."""
    _require_aware(at)
    local = at.astimezone(JST)
    return BillingMonth(local.year, local.month)


def end_of_billing_month(month: BillingMonth) -> datetime:
    """The last instant of ``month``: its last day at 23:59:59.999999 JST."""
    last_day = calendar.monthrange(month.year, month.month)[1]
    return datetime.combine(datetime(month.year, month.month, last_day).date(), time.max, tzinfo=JST)


def cancellation_end(notice_received_at: datetime) -> datetime:
    """R9: a subscriber's cancellation ends the contract at the end of the billing month
    that contains the day the notice arrived (in Japan time)."""
    return end_of_billing_month(billing_month_of(notice_received_at))


def account_loss_end(event_at: datetime) -> datetime:
    """R11: when the mobile account ends or loses its last normal-rate line, every support
    contract under it ends at the end of the billing month containing that day."""
    return end_of_billing_month(billing_month_of(event_at))


def first_billable_month(formed_at: datetime, first_under_account: bool) -> BillingMonth:
    """R12: the month the contract formed; for the first contract ever formed under the
    account, two months later (翌々料金月: formed in November, first charged in January)."""
    formed_month = billing_month_of(formed_at)
    return formed_month + 2 if first_under_account else formed_month


def charged_months(
    formed_at: datetime,
    first_under_account: bool,
    ended_at: datetime | None,
    through: BillingMonth,
) -> list[BillingMonth]:
    """R12: every billing month charged one full fee, from the first billable month to the
    month containing the end, inclusive, limited to months up to and including ``through``.

    No proration: a second inside a billable month pays the whole month. A contract that
    ends before its first billable month is never charged.
    """
    _require_aware(formed_at, "formed_at")
    first = first_billable_month(formed_at, first_under_account)
    last = through
    if ended_at is not None:
        _require_aware(ended_at, "ended_at")
        if ended_at < formed_at:
            raise ValueError("a contract cannot end before it formed")
        last = min(last, billing_month_of(ended_at))
    return first.through(last)


def invoice_amounts(
    line_amounts: list[int], tax_rate_percent: int = DEFAULT_TAX_RATE_PERCENT
) -> tuple[int, int, int]:
    """Fees and R13: (subtotal, tax, total) in yen for one invoice. Tax is computed once on
    the invoice's subtotal and rounded down to the yen. No negative line (no credits, R13)."""
    if tax_rate_percent < 0:
        raise ValueError("tax rate cannot be negative")
    for amount in line_amounts:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise TypeError(f"line amounts are whole yen (int), got {amount!r}")
        if amount < 0:
            raise ValueError("R13: an invoice line is never negative (no credits or refunds)")
    subtotal = sum(line_amounts)
    tax = subtotal * tax_rate_percent // 100
    return subtotal, tax, subtotal + tax
