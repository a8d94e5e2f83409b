"""The ledger of charges (R12, R13): invoice lines in the Ledger table
(``INVOICE#<account>#<month>`` / ``LINE#<contract>``). An invoice is its lines; the carrier's
charge file is a projection of the month's lines (anshin.services.charges).

The ledger is append-only. Each line's key is deterministic and it is written only if absent, so
a month billed twice, resumed after a crash, or a line appended by a late recording and by
billing, never charges a contract's month twice; and no function may update or delete a line:
their grants hold ``PutItem`` on the Ledger table at most, never ``UpdateItem``, ``DeleteItem``
or ``BatchWriteItem`` (infra/grants.py ``ledger``, proved by tests/permissions).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

from boto3.dynamodb.conditions import Key

from anshin.domain.billing_rules import Line
from anshin.domain.clock import iso
from anshin.domain.entities import InvoiceLine
from anshin.domain.terms import BillingMonth
from anshin.store import db, keys

#: DynamoDB's most items per transaction.
TRANSACTION_LIMIT = 100


def _item(line: Line, run_id: str, now: datetime) -> dict[str, Any]:
    stored: InvoiceLine = {
        "type": "INVOICE_LINE",
        "mobileContractId": line.mobile_contract_id,
        "month": line.month,
        "contractId": line.contract_id,
        "amount": line.amount,
        "chargedAt": iso(now),
        "runId": run_id,
    }
    return {
        **keys.invoice_line(line.mobile_contract_id, line.month, line.contract_id),
        **stored,
        **keys.charge_entry(line.mobile_contract_id, line.month, line.contract_id),
    }


def append_op(line: Line, by: str, now: datetime) -> dict[str, Any]:
    """The line appended as a transaction item, written only if absent (``by``: the run or the
    recording that appended it)."""
    return db.put_op(_item(line, by, now), condition=db.IF_ABSENT, table=db.ledger_table())


def write(lines: list[Line], run_id: str, now: datetime) -> tuple[int, int]:
    """Write each line only if absent. Returns (written, already there)."""
    client = db.dynamodb()
    serializer = db.serializer()
    table_name = db.ledger_table().name
    written = existing = 0
    for start in range(0, len(lines), TRANSACTION_LIMIT):
        batch = lines[start : start + TRANSACTION_LIMIT]
        items = [serializer.item(_item(line, run_id, now)) for line in batch]
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table_name, "Item": item, "ConditionExpression": db.IF_ABSENT}}
                    for item in items
                ]
            )
            written += len(batch)
        except client.exceptions.TransactionCanceledException:
            # Some were charged by an earlier run: write the others one by one.
            for item in items:
                try:
                    client.put_item(TableName=table_name, Item=item, ConditionExpression=db.IF_ABSENT)
                    written += 1
                except client.exceptions.ConditionalCheckFailedException:
                    existing += 1
    return written, existing


def lines_of(mobile_contract_id: str, month: BillingMonth) -> list[Line]:
    """The lines charged to the account for ``month`` (none when nothing was charged)."""
    # The storage boundary: an invoice's partition holds its lines only.
    items = cast(
        list[InvoiceLine],
        db.query_all(
            db.ledger_table(),
            KeyConditionExpression=Key("pk").eq(keys.invoice_pk(mobile_contract_id, month)),
            ConsistentRead=True,
        ),
    )
    return [
        Line(str(i["mobileContractId"]), str(i["month"]), str(i["contractId"]), int(i["amount"]))
        for i in items
    ]


def charged(mobile_contract_id: str, contract_id: str, months: list[BillingMonth]) -> list[BillingMonth]:
    """Which of ``months`` have the contract's line (one GetItem per month: callers pass the few
    closed months a change concerns)."""
    table = db.ledger_table()
    return [
        month
        for month in months
        if "Item"
        in table.get_item(
            Key=keys.invoice_line(mobile_contract_id, month, contract_id),
            ProjectionExpression="pk",
            ConsistentRead=True,
        )
    ]


#: The attributes of an invoice line's position in the ledger's gsi1 (a charge export's cursor).
CHARGE_KEY_FIELDS = ("pk", "sk", "gsi1pk", "gsi1sk")


def charges_of_shard(month: str, shard: int, start: dict[str, str] | None, page_size: int) -> Iterator[Line]:
    """The month's invoice lines of one account shard (the ledger's gsi1
    ``CHARGES#<month>#<shard>``), in (account, contract) order, from after ``start`` (a line's
    :data:`CHARGE_KEY_FIELDS`)."""
    arguments: dict[str, Any] = {
        "IndexName": "gsi1",
        "KeyConditionExpression": Key("gsi1pk").eq(keys.charges_pk(month, shard)),
        "Limit": page_size,
    }
    if start:
        arguments["ExclusiveStartKey"] = start
    table = db.ledger_table()
    while True:
        page = table.query(**arguments)
        for item in page["Items"]:
            yield Line(
                str(item["mobileContractId"]),
                str(item["month"]),
                str(item["contractId"]),
                int(item["amount"]),
            )
        if "LastEvaluatedKey" not in page:
            return
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def charge_position(line: Line) -> dict[str, str]:
    """Where ``line`` stands in the ledger's gsi1: a cursor that continues after it."""
    return {
        **keys.invoice_line(line.mobile_contract_id, line.month, line.contract_id),
        **keys.charge_entry(line.mobile_contract_id, line.month, line.contract_id),
    }
