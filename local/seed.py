"""Seed the local stack's mobile-account mirror, as the upstream mobile system's sync would."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from anshin.domain.entities import Contract, ContractHolder, ProtectedDevice
from anshin.store import accounts, contracts, db, keys, lookups

from local.deploy import client

#: The demo accounts `make run` seeds (R6.3 and R4 in action).
DEMO_ACCOUNTS: dict[str, dict[str, Any]] = {
    "MC-DEMO": {},  # eligible
    "MC-ARREARS": {"in_arrears": True},  # R6.3(2) PAYMENT_RISK
    "MC-NO-LINE": {"normal_rate_lines": 0},  # R6.3(4) NO_ELIGIBLE_RATE_CONTRACT
    "MC-NINE": {"slots_held": 9, "has_formed_contract": True},  # R4: one slot left
    "MC-REVIEW": {"defer_review": True},  # R6.2: decisions deferred to staff
}

#: What applying for each seeded account shows (the start-up summary prints it).
DEMO_ACCOUNT_NOTES: dict[str, str] = {
    "MC-DEMO": "eligible: approved and CONTRACTED; its first contract is charged from the month"
    " after next (R12)",
    "MC-ARREARS": "in arrears: REJECTED PAYMENT_RISK (R6.3(2))",
    "MC-VIOLATION": "a contract ended for a violation: REJECTED PRIOR_VIOLATION (R6.3(3))",
    "MC-NO-LINE": "no normal-rate line: REJECTED NO_ELIGIBLE_RATE_CONTRACT (R6.3(4))",
    "MC-NINE": "9 of 10 contracts held: one more forms, the next is REJECTED CONTRACT_LIMIT_REACHED (R4)",
    "MC-REVIEW": "DEFERRED to staff until they decide in the console's queue (R6.2)",
}


def demo_account_ids() -> list[str]:
    """Every demo account (MC-VIOLATION is seeded apart, with its violation)."""
    return [*DEMO_ACCOUNTS, "MC-VIOLATION"]


def _put(endpoint: str, table: str, item: Mapping[str, Any]) -> None:
    client("dynamodb", endpoint).put_item(TableName=table, Item=db.serializer().item(item))


def _has_account(endpoint: str, table: str, mobile_contract_id: str) -> bool:
    key = db.serializer().key(keys.account(mobile_contract_id))
    return "Item" in client("dynamodb", endpoint).get_item(TableName=table, Key=key)


def put_account(endpoint: str, table: str, mobile_contract_id: str, **settings: Any) -> None:
    _put(endpoint, table, accounts.mirror_item(mobile_contract_id, **settings))


def put_violation(endpoint: str, table: str, mobile_contract_id: str, contract_id: str) -> None:
    _put(endpoint, table, accounts.violation_item(mobile_contract_id, contract_id))


def seed_demo(endpoint: str, table: str) -> list[str]:
    """Create the demo accounts that are not there yet (a restart keeps what happened to them)."""
    created = []
    for mobile_contract_id, settings in DEMO_ACCOUNTS.items():
        if not _has_account(endpoint, table, mobile_contract_id):
            put_account(endpoint, table, mobile_contract_id, **settings)
            created.append(mobile_contract_id)
    put_violation(endpoint, table, "MC-VIOLATION", "ctr-terminated-demo")  # R6.3(3)
    if not _has_account(endpoint, table, "MC-VIOLATION"):
        put_account(endpoint, table, "MC-VIOLATION", has_formed_contract=True)
    return created


def put_contract(endpoint: str, table: str, item: Mapping[str, Any]) -> None:
    """A contract record (``anshin.store.contracts.stored``), e.g. one formed months ago, with
    its device lookup as recording writes it (staff search by device id, issue 24)."""
    _put(endpoint, table, item)
    _put(
        endpoint, table, lookups.device_item(item["device"]["deviceId"], item["formedAt"], item["contractId"])
    )


def formed_contract(
    contract_id: str, mobile_contract_id: str, formed_at: datetime, first: bool
) -> dict[str, Any]:
    """A contract record as the notification workflow leaves it, with placeholder holder and an
    Android device whose id is the contract id, and no member confirmation code that could be
    typed (for tests, demos and benchmarks that need contracts formed in the past): the item as
    stored, keys and all, for tests to change into the records they need."""
    return contracts.stored(
        Contract.formed(
            contract_id=contract_id,
            application_id=f"app-{contract_id}",
            mobile_contract_id=mobile_contract_id,
            formed_at=formed_at,
            first_under_account=first,
            holder=ContractHolder("Seed", "seed@example.com", "09000000000"),
            device=ProtectedDevice(contract_id, "android", "smartphone", "Pixel"),
            location_opt_out=False,
            member_code_mac=f"seeded-{contract_id}",
            support_phone_number="0120-000-110",
        )
    )
