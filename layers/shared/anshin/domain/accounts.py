"""The mobile account (QTモバイルサービス契約) as screening and R4 see it: pure, no storage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    """What the account mirror says of one mobile account (anshin.store.accounts loads it)."""

    mobile_contract_id: str
    active: bool
    normal_rate_lines: int
    in_arrears: bool
    defer_review: bool
    slots_held: int
    has_formed_contract: bool
