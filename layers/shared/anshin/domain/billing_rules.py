"""What a billing month charges (R12, R13, fees): pure, on plain contract records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from anshin.domain.clock import parse_iso
from anshin.domain.entities import Contract
from anshin.domain.terms import BillingMonth, billing_month_of, charged_months, invoice_amounts


@dataclass(frozen=True, order=True)
class Line:
    mobile_contract_id: str
    month: str
    contract_id: str
    amount: int


def contract_end(contract: Contract) -> str | None:
    """When the contract ends or ended: the instant it ended, else its scheduled end (R9, R11)."""
    end = contract.get("endedAt") or contract.get("endsAt")
    return str(end) if end else None


def line_for(contract: Contract, month: BillingMonth, fee: int) -> Line | None:
    """R12: the line ``month`` charges for ``contract``, or None. One full fee, no proration."""
    end = contract_end(contract)
    months = charged_months(
        parse_iso(str(contract["formedAt"])),
        bool(contract["firstUnderAccount"]),
        parse_iso(end) if end else None,
        month,
    )
    if month not in months:
        return None
    return Line(str(contract["mobileContractId"]), str(month), str(contract["contractId"]), fee)


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
        parse_iso(str(contract["formedAt"])),
        bool(contract["firstUnderAccount"]),
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
    formed_at = parse_iso(str(contract["formedAt"]))
    first = BillingMonth.parse(str(contract["firstBillableMonth"]))
    end = contract_end(contract)
    if billing_month_of(formed_at) > month:
        return {
            "contractId": contract["contractId"],
            "reason": "FORMED_AFTER",
            "formedAt": contract["formedAt"],
        }
    if month < first:
        return {
            "contractId": contract["contractId"],
            "reason": "NOT_YET_BILLABLE",
            "firstBillableMonth": str(first),
            "firstUnderAccount": bool(contract["firstUnderAccount"]),
        }
    if end is not None and billing_month_of(parse_iso(end)) < month:
        return {"contractId": contract["contractId"], "reason": "ENDED_BEFORE", "endedAt": end}
    return {"contractId": contract["contractId"], "reason": "NOT_BILLED"}
