"""What a billing month charges (R12, R13, fees): pure, on plain contract records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from anshin.domain.clock import iso
from anshin.domain.entities import Contract
from anshin.domain.terms import BillingMonth, billing_month_of, charged_months, invoice_amounts


@dataclass(frozen=True, order=True)
class Line:
    mobile_contract_id: str
    month: str
    contract_id: str
    amount: int


def line_for(contract: Contract, month: BillingMonth, fee: int) -> Line | None:
    """R12: the line ``month`` charges for ``contract``, or None. One full fee, no proration."""
    months = charged_months(contract.formed_at, contract.first_under_account, contract.end, month)
    if month not in months:
        return None
    return Line(contract.mobile_contract_id, str(month), contract.contract_id, fee)


def invoice(lines: Iterable[Line]) -> dict[str, Any]:
    """One account's invoice for one month: a line per charged contract, tax once (fees, R13)."""
    ordered = sorted(lines)
    subtotal, tax, total = invoice_amounts([line.amount for line in ordered])
    return {
        "lines": [{"contractId": x.contract_id, "month": x.month, "amount": x.amount} for x in ordered],
        "subtotal": subtotal,
        "tax": tax,
        "total": total,
        "currency": "JPY",
    }


def last_charged_month(contract: Contract, ends_at: datetime) -> BillingMonth | None:
    """R12: the last month a contract ending at ``ends_at`` is charged (the month of its end), or
    None when it ends before its first billable month and is never charged."""
    months = charged_months(
        contract.formed_at,
        contract.first_under_account,
        ends_at,
        billing_month_of(ends_at),
    )
    return months[-1] if months else None


def why_not_charged(contract: Contract, month: BillingMonth, charged: bool) -> dict[str, Any] | None:
    """R12, as the subscriber's page explains an invoice (issue 23): why ``contract`` has no line
    on the account's invoice for ``month`` (``charged``: whether it has one), or None when it has.

    ``FORMED_AFTER``: it formed after the month. ``NOT_YET_BILLABLE``: the month is before its
    first billable month (the account's first contract is first charged two months after it
    formed, 翌々料金月). ``ENDED_BEFORE``: it ended before the month. ``NOT_BILLED``: R12 charges
    it for the month but no line is written yet (the month's run has not reached it, or billing
    set it aside, R13's reading)."""
    if charged:
        return None
    formed_at = contract.formed_at
    first = BillingMonth.parse(contract.first_billable_month)
    end = contract.end
    if billing_month_of(formed_at) > month:
        return {"contractId": contract.contract_id, "reason": "FORMED_AFTER", "formedAt": iso(formed_at)}
    if month < first:
        return {
            "contractId": contract.contract_id,
            "reason": "NOT_YET_BILLABLE",
            "firstBillableMonth": str(first),
            "firstUnderAccount": contract.first_under_account,
        }
    if end is not None and billing_month_of(end) < month:
        return {"contractId": contract.contract_id, "reason": "ENDED_BEFORE", "endedAt": iso(end)}
    return {"contractId": contract.contract_id, "reason": "NOT_BILLED"}
