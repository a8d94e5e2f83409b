"""What a contract's timeline reads besides its audit partition (anshin.store.audit) and the
contract and application items (their repositories): the contract's invoice lines, by key.

A line's key is ``INVOICE#<account>#<month>`` / ``LINE#<contractId>`` (anshin.store.keys, in the
Ledger table, appended by anshin.store.invoices): the lines of one contract are read by
BatchGetItem over the months it can have been charged for, not by a Query of each month's
invoice or a Scan."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from anshin.domain.entities import InvoiceLine
from anshin.domain.terms import BillingMonth
from anshin.store import db, keys

#: DynamoDB's most keys per BatchGetItem.
BATCH = 100


def invoice_lines(
    mobile_contract_id: str, contract_id: str, months: Iterable[BillingMonth]
) -> list[InvoiceLine]:
    """The contract's lines in the account's invoices of ``months`` (the months nothing was
    charged for have none), oldest month first."""
    table = db.ledger_table()
    wanted = [keys.invoice_line(mobile_contract_id, month, contract_id) for month in months]
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), BATCH):
        request: dict[str, Any] = {
            table.name: {"Keys": wanted[start : start + BATCH], "ConsistentRead": True}
        }
        while request:
            answer = table.meta.client.batch_get_item(RequestItems=request)
            found += answer["Responses"].get(table.name, [])
            request = answer.get("UnprocessedKeys") or {}
    # The storage boundary: the items under invoice-line keys are invoice lines.
    return cast(list[InvoiceLine], sorted(found, key=lambda line: str(line["month"])))
