"""The mobile-account mirror (QTモバイルサービス契約) kept in the Contracts table.

``ACCOUNT#<mobileContractId>`` / ``PROFILE`` holds what screening and R4 need: the account's
status, its normal-rate lines, the arrears flag, the deferral setting (R6.2), the number of
slots held (R4), the receive sequence (R6.1) and whether a contract ever formed under it (R12).
``ACCOUNT#…`` / ``VIOLATION#<contractId>`` marks a contract ended by the company (R10, R6.3(3)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from anshin.store import db

PROFILE = "PROFILE"
STAFF_RULES_KEY = {"pk": "CONFIG#STAFF_RULES", "sk": "CONFIG"}


def key(mobile_contract_id: str) -> dict[str, str]:
    return {"pk": f"ACCOUNT#{mobile_contract_id}", "sk": PROFILE}


@dataclass(frozen=True)
class Account:
    mobile_contract_id: str
    active: bool
    normal_rate_lines: int
    in_arrears: bool
    defer_review: bool
    slots_held: int
    has_formed_contract: bool

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Account:
        return cls(
            mobile_contract_id=str(item["mobileContractId"]),
            active=item.get("status", "ACTIVE") == "ACTIVE",
            normal_rate_lines=int(item.get("normalRateLines", 0)),
            in_arrears=bool(item.get("inArrears", False)),
            defer_review=bool(item.get("deferReview", False)),
            slots_held=int(item.get("slotsHeld", 0)),
            has_formed_contract=bool(item.get("hasFormedContract", False)),
        )


def get(mobile_contract_id: str) -> Account | None:
    item = db.contracts_table().get_item(Key=key(mobile_contract_id), ConsistentRead=True).get("Item")
    return Account.from_item(item) if item else None


def has_prior_violation(mobile_contract_id: str) -> bool:
    """R6.3(3): a contract under this account was ended by the company under R10."""
    answer = db.contracts_table().query(
        KeyConditionExpression=Key("pk").eq(f"ACCOUNT#{mobile_contract_id}")
        & Key("sk").begins_with("VIOLATION#"),
        ConsistentRead=True,
        Limit=1,
    )
    return bool(answer["Items"])


def staff_rules() -> dict[str, Any]:
    """R6.2: the staff's standing deferral rules (``deferAll``, ``deferKinds``, ``deferPlatforms``)."""
    item: dict[str, Any] = db.contracts_table().get_item(Key=STAFF_RULES_KEY).get("Item") or {}
    return item


def mirror_item(
    mobile_contract_id: str,
    *,
    normal_rate_lines: int = 1,
    in_arrears: bool = False,
    defer_review: bool = False,
    active: bool = True,
    slots_held: int = 0,
    has_formed_contract: bool = False,
) -> dict[str, Any]:
    """The PROFILE item as the upstream mobile system's sync writes it (used to seed)."""
    return {
        **key(mobile_contract_id),
        "type": "ACCOUNT",
        "mobileContractId": mobile_contract_id,
        "status": "ACTIVE" if active else "ENDED",
        "normalRateLines": normal_rate_lines,
        "inArrears": in_arrears,
        "deferReview": defer_review,
        "slotsHeld": slots_held,
        "hasFormedContract": has_formed_contract,
        "nextSequence": 0,
    }


def violation_item(mobile_contract_id: str, contract_id: str) -> dict[str, Any]:
    return {"pk": f"ACCOUNT#{mobile_contract_id}", "sk": f"VIOLATION#{contract_id}", "type": "VIOLATION"}
