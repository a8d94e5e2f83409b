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
