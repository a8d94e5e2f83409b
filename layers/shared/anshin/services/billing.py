"""The billing job (R12, R13): one shard of one month at a time, resumable, exactly once.

Every invoice line has a deterministic key (``INVOICE#<account>#<month>`` / ``LINE#<contract>``)
and is written only if absent: running a month twice, or resuming after a crash, never charges
a contract's month twice, and a line once written is never changed (R13). An invoice is its
lines; its tax is computed once on their sum (fees).

A shard reads only the contracts that concern the month: those that have not ended (``LIVE``)
and those that ended in that month or since (``ENDED#<month>``) — never the ended history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from anshin.domain import contract_rules
from anshin.domain.billing_rules import Line, invoice, line_for
from anshin.domain.clock import iso
from anshin.domain.terms import BillingMonth, billing_month_of
from anshin.services import jobs
from anshin.store import db

TRANSACTION_LIMIT = 100


class MonthNotOver(Exception):
    """A month is billed once it is over (a dry run may look at it any time)."""


def sources(month: BillingMonth, now: datetime, shard: int) -> list[str]:
    """The gsi partitions one shard reads for ``month``, in a fixed order (for the cursor)."""
    current = billing_month_of(now)
    ended = [f"gsi3:ENDED#{m}#{shard:02d}" for m in month.through(max(month, current))]
    return [f"gsi4:LIVE#{shard:02d}", *ended]


def line_key(line: Line) -> dict[str, str]:
    return {"pk": f"INVOICE#{line.mobile_contract_id}#{line.month}", "sk": f"LINE#{line.contract_id}"}


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
    table = db.contracts_table()
    plan = sources(month, now, shard)
    position = int((cursor or {}).get("source", 0))
    index, partition = plan[position].split(":", 1)
    arguments: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": Key(f"{index}pk").eq(partition),
        "Limit": page_size,
    }
    if cursor and cursor.get("key"):
        arguments["ExclusiveStartKey"] = cursor["key"]
    page = table.query(**arguments)
    lines, quarantined = lines_of(page["Items"], month, fee)
    written, existing = (0, 0) if dry_run else write_lines(lines, run_id, now)
    if "LastEvaluatedKey" in page:
        next_cursor: dict[str, Any] | None = {"source": position, "key": page["LastEvaluatedKey"]}
    elif position + 1 < len(plan):
        next_cursor = {"source": position + 1}
    else:
        next_cursor = None
    result: dict[str, Any] = {
        "shard": shard,
        "contractsRead": len(page["Items"]),
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
) -> tuple[list[Line], list[dict[str, str]]]:
    """The lines ``month`` charges for these contracts, and the contracts set aside: one that is
    not consistent (anshin.contract_rules) is never charged on a guess (R13: a charge is never
    taken back), and never stops the others from being billed."""
    lines: list[Line] = []
    quarantined: list[dict[str, str]] = []
    for item in items:
        try:
            contract_rules.check(item)
            line = line_for(item, month, fee)
        except Exception as error:
            quarantined.append(jobs.unprocessable(item, error))
            continue
        if line is not None:
            lines.append(line)
    return lines, quarantined


def write_lines(lines: list[Line], run_id: str, now: datetime) -> tuple[int, int]:
    """Write each line only if absent. Returns (written, already there)."""
    client = db.dynamodb()
    serializer = db.serializer()
    table_name = db.contracts_table().name
    written = existing = 0
    for start in range(0, len(lines), TRANSACTION_LIMIT):
        batch = lines[start : start + TRANSACTION_LIMIT]
        items = [_line_item(line, run_id, now) for line in batch]
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table_name,
                            "Item": serializer.item(item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    }
                    for item in items
                ]
            )
            written += len(batch)
        except client.exceptions.TransactionCanceledException:
            # Some were charged by an earlier run: write the others one by one.
            for item in items:
                try:
                    client.put_item(
                        TableName=table_name,
                        Item=serializer.item(item),
                        ConditionExpression="attribute_not_exists(pk)",
                    )
                    written += 1
                except client.exceptions.ConditionalCheckFailedException:
                    existing += 1
    return written, existing


def _line_item(line: Line, run_id: str, now: datetime) -> dict[str, Any]:
    return {
        **line_key(line),
        "type": "INVOICE_LINE",
        "mobileContractId": line.mobile_contract_id,
        "month": line.month,
        "contractId": line.contract_id,
        "amount": line.amount,
        "chargedAt": iso(now),
        "runId": run_id,
    }


def invoice_of(mobile_contract_id: str, month: BillingMonth) -> dict[str, Any] | None:
    """The account's invoice for ``month``, or None when nothing was charged."""
    table = db.contracts_table()
    items: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(f"INVOICE#{mobile_contract_id}#{month}"),
        "ConsistentRead": True,
    }
    while True:
        page = table.query(**arguments)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    if not items:
        return None
    lines = [
        Line(str(i["mobileContractId"]), str(i["month"]), str(i["contractId"]), int(i["amount"]))
        for i in items
    ]
    return {"mobileContractId": mobile_contract_id, "month": str(month), **invoice(lines)}
