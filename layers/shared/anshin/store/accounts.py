"""The mobile-account mirror (QTモバイルサービス契約) kept in the Contracts table.

``ACCOUNT#<mobileContractId>`` / ``PROFILE`` holds what screening and R4 need: the account's
status, its normal-rate lines, the arrears flag, the deferral setting (R6.2), the number of
slots held (R4), the receive sequence (R6.1) and whether a contract ever formed under it (R12),
with the first-contract claim: ``firstContractId`` and its ``firstContractOrder``.
``ACCOUNT#…`` / ``VIOLATION#<contractId>`` marks a contract ended by the company (R10, R6.3(3)).
"""

from __future__ import annotations

from typing import Any, cast

from boto3.dynamodb.conditions import Key

from anshin.domain.accounts import Account
from anshin.domain.contract_rules import FirstClaim, FirstClaimMove
from anshin.domain.entities import StaffRules
from anshin.store import db, keys


def _account(item: dict[str, Any]) -> Account:
    return Account(
        mobile_contract_id=str(item["mobileContractId"]),
        active=item.get("status", "ACTIVE") == "ACTIVE",
        normal_rate_lines=int(item.get("normalRateLines", 0)),
        in_arrears=bool(item.get("inArrears", False)),
        defer_review=bool(item.get("deferReview", False)),
        slots_held=int(item.get("slotsHeld", 0)),
        has_formed_contract=bool(item.get("hasFormedContract", False)),
    )


def get(mobile_contract_id: str) -> Account | None:
    item = db.read(keys.account(mobile_contract_id))
    return _account(item) if item else None


def has_prior_violation(mobile_contract_id: str) -> bool:
    """R6.3(3): a contract under this account was ended by the company under R10."""
    answer = db.contracts_table().query(
        KeyConditionExpression=Key("pk").eq(keys.account_pk(mobile_contract_id))
        & Key("sk").begins_with(keys.VIOLATION_PREFIX),
        ConsistentRead=True,
        Limit=1,
    )
    return bool(answer["Items"])


def staff_rules() -> StaffRules:
    """R6.2: the staff's standing deferral rules (``deferAll``, ``deferKinds``, ``deferPlatforms``)."""
    # The storage boundary: the rules' item (or none: no rule).
    item = cast(StaffRules, db.contracts_table().get_item(Key=keys.STAFF_RULES).get("Item") or {})
    return item


def next_sequence(mobile_contract_id: str) -> int | None:
    """The last receive sequence number taken (R6.1); None for an account the mirror does not know."""
    profile = (
        db.contracts_table()
        .get_item(
            Key=keys.account(mobile_contract_id), ConsistentRead=True, ProjectionExpression="nextSequence"
        )
        .get("Item")
    )
    return None if profile is None else int(profile.get("nextSequence", 0))


# --- transaction items on the PROFILE (the caller's transaction writes them) ------------------


def _profile_update(
    mobile_contract_id: str, update: str, condition: str, values: dict[str, Any]
) -> dict[str, Any]:
    return db.update_op(keys.account(mobile_contract_id), update, condition=condition, values=values)


def take_sequence_item(mobile_contract_id: str, previous: int, received_at: str) -> dict[str, Any]:
    """Take receive sequence number ``previous + 1`` (R6.1): the transaction item, conditional on
    the sequence not having moved, and on time never running backwards along it."""
    return _profile_update(
        mobile_contract_id,
        "SET nextSequence = :next, lastReceivedAt = :at",
        "(attribute_not_exists(nextSequence) AND :previous = :zero OR nextSequence = :previous)"
        " AND (attribute_not_exists(lastReceivedAt) OR lastReceivedAt <= :at)",
        {":next": previous + 1, ":previous": previous, ":zero": 0, ":at": received_at},
    )


def hold_slot_item(mobile_contract_id: str, limit: int) -> dict[str, Any]:
    """The transaction item that holds one more of the account's slots, unless ``limit`` are held (R4)."""
    return _profile_update(
        mobile_contract_id,
        "SET slotsHeld = if_not_exists(slotsHeld, :zero) + :one",
        "attribute_not_exists(slotsHeld) OR slotsHeld < :limit",
        {":zero": 0, ":one": 1, ":limit": limit},
    )


def release_slot_item(mobile_contract_id: str) -> dict[str, Any]:
    """The transaction item that gives a held slot back to the account (R4, R6.4)."""
    return _profile_update(
        mobile_contract_id, "SET slotsHeld = slotsHeld - :one", "slotsHeld > :zero", {":one": 1, ":zero": 0}
    )


def first_claim(mobile_contract_id: str) -> FirstClaim:
    """R12: the account's first-contract claim, read consistently: its holder, the holder's
    formation order (anshin.domain.contract_rules.formation_order), whether a contract formed."""
    item = (
        db.contracts_table()
        .get_item(
            Key=keys.account(mobile_contract_id),
            ConsistentRead=True,
            ProjectionExpression="firstContractId, firstContractOrder, hasFormedContract",
        )
        .get("Item")
        or {}
    )
    return FirstClaim(
        contract_id=item.get("firstContractId"),
        order=item.get("firstContractOrder"),
        had_contract=bool(item.get("hasFormedContract", False)),
    )


def contract_formed_item(
    mobile_contract_id: str,
    contract_id: str,
    order: str,
    move: FirstClaimMove,
    held: FirstClaim | None = None,
) -> dict[str, Any]:
    """The transaction item that marks a contract formed under the account (R12), by ``move``
    (anshin.domain.contract_rules.first_claim_move), conditional on the claim being as read:

    - CLAIM: the account's first contract, if no contract formed under it yet;
    - DISPLACE: takes the claim over from ``held``, if ``held`` still holds it (claims only move
      to earlier-formed contracts, so two recordings never both keep it);
    - LATER: a later contract, if the claim's holder formed before ``order`` (or the account
      had contracts before the claim kept its order)."""
    if move is FirstClaimMove.CLAIM:
        return _profile_update(
            mobile_contract_id,
            "SET hasFormedContract = :true, firstContractId = :id, firstContractOrder = :order",
            "attribute_not_exists(firstContractId) AND (attribute_not_exists(hasFormedContract)"
            " OR hasFormedContract = :false)",
            {":true": True, ":id": contract_id, ":order": order, ":false": False},
        )
    if move is FirstClaimMove.DISPLACE:
        if held is None or held.contract_id is None or held.order is None:
            raise ValueError("displacing needs the claim as read")
        return _profile_update(
            mobile_contract_id,
            "SET firstContractId = :id, firstContractOrder = :order",
            "firstContractId = :held AND firstContractOrder = :heldOrder",
            {":id": contract_id, ":order": order, ":held": held.contract_id, ":heldOrder": held.order},
        )
    return _profile_update(
        mobile_contract_id,
        "SET hasFormedContract = :true",
        "firstContractOrder < :order OR (attribute_not_exists(firstContractOrder)"
        " AND hasFormedContract = :true)",
        {":true": True, ":order": order},
    )


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
        **keys.account(mobile_contract_id),
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
    return {**keys.violation(mobile_contract_id, contract_id), "type": "VIOLATION"}


def mirror_change(mobile_contract_id: str, *, ended: bool = False, normal_rate_lines: int = 0) -> bool:
    """Mirror an upstream change (R11): the account ended (its lines go with it), or its
    normal-rate lines are now ``normal_rate_lines``. False when the account is not mirrored here."""
    key, exists = keys.account(mobile_contract_id), "attribute_exists(pk)"
    if ended:
        return db.update_if(
            key,
            "SET #s = :ended, normalRateLines = :zero",
            exists,
            names={"#s": "status"},
            values={":ended": "ENDED", ":zero": 0},
        )
    return db.update_if(key, "SET normalRateLines = :n", exists, values={":n": normal_rate_lines})
