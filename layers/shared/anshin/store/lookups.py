"""Lookup items of the staff search (``PHONE#<mac>`` / ``CONTRACT#<formedAt>#<contractId>``): the
holder's phone number's keyed digest (anshin.adapters.mac.phone_mac, under the member code's KMS
key) -> the contract. Written in the transaction that records the contract
(anshin.store.applications.record_contract); no phone number in clear in any key or index."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from anshin.store import db, keys

_KEY = ("pk", "sk")


def phone_item(phone_mac: str, formed_at: str, contract_id: str) -> dict[str, Any]:
    return {
        **keys.phone_lookup(phone_mac, formed_at, contract_id),
        "type": "PHONE_LOOKUP",
        "contractId": contract_id,
    }


def contracts_by_phone(phone_mac: str, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
    """One page of the ids of the contracts whose holder has this phone number's digest, newest
    formed first, and the next page's cursor."""
    partition = keys.phone_pk(phone_mac)
    items, next_cursor = db.query_page(
        db.contracts_table(),
        cursor,
        limit,
        _KEY,
        {"pk": partition},
        {"sk": keys.CONTRACT_GSI1_PREFIX},
        KeyConditionExpression=Key("pk").eq(partition) & Key("sk").begins_with(keys.CONTRACT_GSI1_PREFIX),
        ScanIndexForward=False,
    )
    return [str(item["contractId"]) for item in items], next_cursor
