"""Closed months that owe a contract a line (``REBILL#<month>`` / ``CONTRACT#<contractId>``, R12,
R13): billing had already run for the month when the contract became billable for it (recorded
late, or no longer its account's first contract). The operator lists a month's markers and runs
the month again (``make month-end MONTH=<month>``: billing writes only the lines missing); the
billing run that finishes the month removes the markers of the contracts it charged."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from boto3.dynamodb.conditions import Key

from anshin.domain.billed_months import RebillReason
from anshin.domain.clock import iso
from anshin.domain.entities import RebillMarker
from anshin.domain.terms import BillingMonth
from anshin.store import db, keys


def item(
    month: BillingMonth, contract_id: str, mobile_contract_id: str, reason: RebillReason, at: datetime
) -> dict[str, Any]:
    """The marker as stored (ids only)."""
    marker: RebillMarker = {
        "type": "REBILL_MARKER",
        "month": str(month),
        "contractId": contract_id,
        "mobileContractId": mobile_contract_id,
        "reason": reason.value,
        "at": iso(at),
    }
    return {**keys.rebill_marker(month, contract_id), **marker}


def put_op(
    month: BillingMonth, contract_id: str, mobile_contract_id: str, reason: RebillReason, at: datetime
) -> dict[str, Any]:
    """The marker as a transaction item, written with the change that makes the month owe the line
    (a marker already there is written again: the same month and contract)."""
    return db.put_op(item(month, contract_id, mobile_contract_id, reason, at))


def put(
    month: BillingMonth, contract_id: str, mobile_contract_id: str, reason: RebillReason, at: datetime
) -> None:
    """The marker on its own."""
    db.contracts_table().put_item(Item=item(month, contract_id, mobile_contract_id, reason, at))


def of_month(month: BillingMonth | str) -> list[RebillMarker]:
    """The month's markers, in contract id order (one Query of its partition)."""
    items = db.query_all(
        db.contracts_table(),
        KeyConditionExpression=Key("pk").eq(keys.rebill_pk(month)),
        ConsistentRead=True,
    )
    # The storage boundary: the partition holds the month's markers only.
    return [cast(RebillMarker, {k: v for k, v in i.items() if k not in ("pk", "sk")}) for i in items]


def clear(month: BillingMonth | str, contract_id: str) -> None:
    """Remove the marker (the month has the contract's line, or owes it none any more)."""
    db.contracts_table().delete_item(Key=keys.rebill_marker(month, contract_id))
