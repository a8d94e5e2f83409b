"""The billing job (R12, R13): one shard of one month at a time, resumable, exactly once.

Every invoice line has a deterministic key (``INVOICE#<account>#<month>`` / ``LINE#<contract>``)
and is written only if absent: running a month twice, or resuming after a crash, never charges
a contract's month twice, and a line once written is never changed (R13). An invoice is its
lines; its tax is computed once on their sum (fees).

A shard reads only the contracts that concern the month: those that have not ended (``LIVE``)
and those that ended in that month or since (``ENDED#<month>``) — never the ended history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from anshin.adapters import metrics
from anshin.domain import clock
from anshin.domain.billing_rules import Line, invoice, line_for
from anshin.domain.entities import Contract, QuarantineEntry
from anshin.domain.errors import InvalidCursor, InvoiceNotFound, MonthNotOver
from anshin.domain.paging import decode_cursor, encode_cursor
from anshin.domain.terms import BillingMonth, billing_month_of
from anshin.services import jobs
from anshin.settings import settings
from anshin.store import contracts, invoices


def sources(month: BillingMonth, now: datetime, shard: int) -> list[str]:
    """The gsi partitions one shard reads for ``month``, in a fixed order (for the cursor)."""
    return contracts.billing_sources(month.through(max(month, billing_month_of(now))), shard)


def bill_shard(
    month: BillingMonth,
    shard: int,
    now: datetime,
    fee: int,
    *,
    run_id: str,
    cursor: dict[str, Any] | None = None,
    dry_run: bool = False,
    page_size: int = 500,
) -> dict[str, Any]:
    """Bill one page of one shard. Returns the counts and the cursor to continue from (None
    when the shard is done)."""
    if not dry_run and now <= month.end():
        raise MonthNotOver(str(month))
    plan = sources(month, now, shard)
    position = int((cursor or {}).get("source", 0))
    items, last_key = contracts.billing_page(plan[position], (cursor or {}).get("key"), page_size)
    lines, quarantined = lines_of(items, month, fee)
    written, existing = (0, 0) if dry_run else invoices.write(lines, run_id, now)
    if last_key:
        next_cursor: dict[str, Any] | None = {"source": position, "key": last_key}
    elif position + 1 < len(plan):
        next_cursor = {"source": position + 1}
    else:
        next_cursor = None
    result: dict[str, Any] = {
        "shard": shard,
        "contractsRead": len(items),
        "lines": len(lines),
        "linesWritten": written,
        "linesAlreadyCharged": existing,
        "yenWritten": sum(line.amount for line in lines) if not dry_run else 0,
        "quarantined" if not dry_run else "wouldQuarantine": quarantined,
        "cursor": next_cursor,
    }
    if dry_run:
        result["wouldCharge"] = [
            {"mobileContractId": x.mobile_contract_id, "contractId": x.contract_id, "amount": x.amount}
            for x in lines
        ]
        result["yenWouldCharge"] = sum(line.amount for line in lines)
    return result


def lines_of(
    items: list[dict[str, Any]], month: BillingMonth, fee: int
) -> tuple[list[Line], list[QuarantineEntry]]:
    """The lines ``month`` charges for these contract records, and the records set aside: one
    that is not a consistent contract (``Contract.from_item`` refuses it) is never charged on a
    guess (R13: a charge is never taken back), and never stops the others from being billed."""
    lines: list[Line] = []
    quarantined: list[QuarantineEntry] = []
    for item in items:
        try:
            line = line_for(Contract.from_item(item), month, fee)
        except Exception as error:
            quarantined.append(jobs.unprocessable(item, error))
            continue
        if line is not None:
            lines.append(line)
    return lines, quarantined


def invoice_of(mobile_contract_id: str, month: BillingMonth) -> dict[str, Any] | None:
    """The account's invoice for ``month``, or None when nothing was charged."""
    lines = invoices.lines_of(mobile_contract_id, month)
    if not lines:
        return None
    return {"mobileContractId": mobile_contract_id, "month": str(month), **invoice(lines)}


def require_invoice(mobile_contract_id: str, month: str) -> dict[str, Any]:
    """The account's invoice for ``month`` (``YYYY-MM``), or ``InvoiceNotFound``."""
    found = invoice_of(mobile_contract_id, BillingMonth.parse(month))
    if found is None:
        raise InvoiceNotFound(mobile_contract_id)
    return found


def preview(mobile_contract_id: str, month: str) -> dict[str, Any]:
    """What the account would be charged for ``month`` (``YYYY-MM``) from its contracts as they
    stand now, by the very rules billing applies (:func:`lines_of`: the same checks, the same
    lines, tax once per invoice); writes nothing. A contract billing would set aside is listed in
    ``setAside`` and not charged, as billing would not charge it."""
    billing_month = BillingMonth.parse(month)
    found = contracts.records_of_account(mobile_contract_id)
    lines, set_aside = lines_of(found, billing_month, settings.monthly_fee_jpy)
    return {
        "mobileContractId": mobile_contract_id,
        "month": str(billing_month),
        "preview": True,
        **invoice(lines),
        "setAside": sorted(entry["contractId"] for entry in set_aside),
    }


def shard_page(
    month: BillingMonth,
    shard: int,
    started: datetime,
    run_id: str,
    cursor: dict[str, Any] | None,
    dry_run: bool,
) -> dict[str, Any]:
    """One page of a billing run's shard at the configured fee: the lines written, counted in the
    business metrics, and the contracts set aside recorded on the run."""
    result = bill_shard(
        month, shard, started, settings.monthly_fee_jpy, run_id=run_id, cursor=cursor, dry_run=dry_run
    )
    result["contractsQuarantined"] = jobs.set_aside(
        "BILLING", str(month), run_id, result.pop("quarantined", [])
    )
    if result.get("linesWritten"):
        metrics.count("InvoiceLinesWritten", result["linesWritten"], dimensions={"Month": str(month)})
        metrics.count("YenBilled", result["yenWritten"], MetricUnit.NoUnit, {"Month": str(month)})
    return result


def run_shard(event: dict[str, Any], remaining_ms: Callable[[], int]) -> dict[str, Any]:
    """The billing job's shard step (R12, R13): pages until the shard is done or time runs low;
    every page of the step bills as of the step's start."""
    month = BillingMonth.parse(event["month"])
    started = clock.now()
    return jobs.run_shard(
        lambda cursor: shard_page(
            month, int(event["shard"]), started, event["runId"], cursor, bool(event.get("dryRun"))
        ),
        event,
        remaining_ms,
    )


#: The most months one page of an account's invoices reads (months without a charge included).
MONTHS_PER_PAGE = 24


def invoice_history(mobile_contract_id: str, cursor: str | None, limit: int) -> dict[str, Any]:
    """The account's invoices, newest month first, one page at a time (R12, R13): the months from
    its contracts' earliest first billable month to the current one (Japan time), each read as
    its lines (:func:`invoice_of`); months that charged nothing are skipped. The cursor is the
    next month to read, tied to the account (another account's cursor is ``InvalidCursor``). An
    account with no contract has none."""
    starts = [
        BillingMonth.parse(c.first_billable_month) for c in contracts.listed_of_account(mobile_contract_id)
    ]
    if not starts:
        if cursor is not None:
            decode_cursor(cursor, ("month", "account"), account=mobile_contract_id)
        return {"items": [], "nextCursor": None}
    first, month = min(starts), billing_month_of(clock.now())
    if cursor is not None:
        month = _month_at(cursor, mobile_contract_id, first, month)
    items: list[dict[str, Any]] = []
    for _ in range(MONTHS_PER_PAGE):
        if month < first or len(items) == limit:
            break
        found = invoice_of(mobile_contract_id, month)
        if found is not None:
            items.append(found)
        month = month - 1
    position = {"month": str(month), "account": mobile_contract_id}
    return {"items": items, "nextCursor": None if month < first else encode_cursor(position)}


def _month_at(cursor: str, account: str, first: BillingMonth, last: BillingMonth) -> BillingMonth:
    """The month an invoices cursor of ``account`` names, within the account's months; else
    ``InvalidCursor``."""
    try:
        month = BillingMonth.parse(decode_cursor(cursor, ("month", "account"), account=account)["month"])
    except ValueError:
        raise InvalidCursor() from None
    if not first <= month <= last:
        raise InvalidCursor()
    return month
