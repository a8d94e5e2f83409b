"""Lookup items of the staff search (``PHONE#<mac>`` / ``CONTRACT#<formedAt>#<contractId>``): the
holder's phone number's keyed digest (anshin.adapters.mac.phone_mac, under the member code's KMS
key) -> the contract; and the device id (``DEVICEID#<deviceId>``, issue 24) -> each contract that
protected it. Written in the transaction that records the contract
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


def device_item(device_id: str, formed_at: str, contract_id: str) -> dict[str, Any]:
    return {
        **keys.device_lookup(device_id, formed_at, contract_id),
        "type": "DEVICE_LOOKUP",
        "contractId": contract_id,
    }


def contracts_by_phone(phone_mac: str, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
    """One page of the ids of the contracts whose holder has this phone number's digest, newest
    formed first, and the next page's cursor."""
    return _page(keys.phone_pk(phone_mac), cursor, limit)


def contracts_by_device(device_id: str, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
    """One page of the ids of the contracts that protected this device id, newest formed first
    (the live one, if any, is among the newest: one device, one live contract), and the next
    page's cursor."""
    return _page(keys.device_pk(device_id), cursor, limit)


def _page(partition: str, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
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
