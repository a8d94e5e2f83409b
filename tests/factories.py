"""Entities for the rules' tests, consistent unless a test says otherwise.

A rule takes typed entities (anshin.domain.entities), never raw items: a test builds the record it
means as the store would read it (:func:`contract_item`, with the changes it is about) and parses
it with the entity's own ``from_item`` (:func:`a_contract`), so an inconsistent record fails here
exactly as it would at the store's boundary.
"""

from datetime import datetime, timedelta
from typing import Any

from anshin.domain.clock import iso
from anshin.domain.entities import Contract, Device
from anshin.domain.terms import JST, first_billable_month

#: When the default contract formed: 2026-09-10 12:00 JST.
FORMED = datetime(2026, 9, 10, 12, tzinfo=JST)


def contract_item(
    formed: datetime = FORMED,
    first: bool = False,
    *,
    device_id: str = "dev-1",
    platform: str = "android",
    **changes: Any,
) -> dict[str, Any]:
    """An ACTIVE contract record formed at ``formed`` (the account's first when ``first``), its
    first billable month as R12 says, on the ``platform`` device ``device_id``, with ``changes``
    (stored names) laid over it."""
    return {
        "type": "CONTRACT",
        "contractId": "ctr-1",
        "applicationId": "app-1",
        "mobileContractId": "MC-1",
        "status": "ACTIVE",
        "formedAt": iso(formed),
        "firstUnderAccount": first,
        "firstBillableMonth": str(first_billable_month(formed, first)),
        "holder": {"name": "試験 太郎", "email": "taro@example.com", "phone": "09012345678"},
        "device": {"deviceId": device_id, "platform": platform, "kind": "smartphone", "model": "Pixel 9"},
        "locationOptOut": False,
        "memberCodeMac": "mac-1",
        "supportPhoneNumber": "0120-000-110",
        **changes,
    }


def a_contract(formed: datetime = FORMED, first: bool = False, **changes: Any) -> Contract:
    """:func:`contract_item`, parsed as the store parses it."""
    return Contract.from_item(contract_item(formed, first, **changes))


def device_item(at: datetime = FORMED, *, device_id: str = "dev-1", **changes: Any) -> dict[str, Any]:
    """A device record: the app registered at ``at`` on contract ``ctr-1``, its token valid for
    30 days, with ``changes`` (stored names; ``None`` removes an attribute) laid over it."""
    item = {
        "type": "DEVICE",
        "deviceId": device_id,
        "contractId": "ctr-1",
        "platform": "android",
        "model": "Pixel 9",
        "endpointArn": "arn:endpoint/1",
        "tokenDigest": "0" * 64,
        "tokenExpiresAt": iso(at + timedelta(days=30)),
        "registeredAt": iso(at),
        **changes,
    }
    return {name: value for name, value in item.items() if value is not None}


def a_device(at: datetime = FORMED, **changes: Any) -> Device:
    """:func:`device_item`, parsed as the store parses it."""
    return Device.from_item(device_item(at, **changes))
