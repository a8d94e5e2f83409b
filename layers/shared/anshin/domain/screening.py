"""Screening an application (R4, R6.2, R6.3): the reasons, the outcomes and the rule, pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from anshin.domain import contract_rules
from anshin.domain.accounts import Account
from anshin.domain.applications import ApplicationStatus
from anshin.domain.entities import Application, Contract, StaffRules

#: The terms in force (revised 2017-07-01); consent to another version is no consent (R6.3(1)).
CURRENT_TERMS_VERSION = "2017-07-01"


class Reason(StrEnum):
    """R6.3 reason codes, in the order the terms list them, and R4's."""

    INVALID_APPLICATION = "INVALID_APPLICATION"  # R6.3(1)
    PAYMENT_RISK = "PAYMENT_RISK"  # R6.3(2)
    PRIOR_VIOLATION = "PRIOR_VIOLATION"  # R6.3(3)
    NO_ELIGIBLE_RATE_CONTRACT = "NO_ELIGIBLE_RATE_CONTRACT"  # R6.3(4)
    OTHER = "OTHER"  # R6.3(5), staff only
    CONTRACT_LIMIT_REACHED = "CONTRACT_LIMIT_REACHED"  # R4
    #: One device, one live contract (the terms' 利用契約 is one per protected device; read as
    #: R6.3(1): an application for a device another contract protects cannot be granted).
    DEVICE_ALREADY_PROTECTED = "DEVICE_ALREADY_PROTECTED"


class Outcome(StrEnum):
    REJECT = "REJECT"
    DEFER = "DEFER"
    PROCEED = "PROCEED"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: Reason | None = None


def decide(
    application: Application,
    account: Account | None,
    prior_violation: bool,
    staff_rules: StaffRules,
) -> Decision:
    """R6.3 in the order the terms list them, first match wins; then R6.2 deferral."""
    # (1) false, wrong or incomplete: no such account, or consent to terms not in force.
    if account is None or application.get("consent", {}).get("termsVersion") != CURRENT_TERMS_VERSION:
        return Decision(Outcome.REJECT, Reason.INVALID_APPLICATION)
    if account.in_arrears:  # (2)
        return Decision(Outcome.REJECT, Reason.PAYMENT_RISK)
    if prior_violation:  # (3)
        return Decision(Outcome.REJECT, Reason.PRIOR_VIOLATION)
    if not account.active or account.normal_rate_lines < 1:  # (4)
        return Decision(Outcome.REJECT, Reason.NO_ELIGIBLE_RATE_CONTRACT)
    device = application.get("device", {})
    if (
        account.defer_review
        or bool(staff_rules.get("deferAll"))
        or device.get("kind") in set(staff_rules.get("deferKinds", []))
        or device.get("platform") in set(staff_rules.get("deferPlatforms", []))
    ):
        return Decision(Outcome.DEFER)  # R6.2
    return Decision(Outcome.PROCEED)


def still_holds_device(holder: Application | None, contract: Contract | None, now: datetime) -> bool:
    """Whether the application that claimed a device id at its approval still holds it: until it
    is refused or fails without a contract, or its contract has ended (recorded, or its
    ``endsAt`` passed). An approved application whose contract is not recorded yet holds it."""
    if holder is None:
        return False
    status = holder["status"]
    if status in (ApplicationStatus.REJECTED.value, ApplicationStatus.NOTIFICATION_FAILED.value):
        return False
    if status != ApplicationStatus.CONTRACTED.value:
        return True  # approved, its notification on its way: the device is spoken for
    return contract is None or not contract_rules.has_ended(contract, now)


def outcome_of(application: Application) -> dict[str, Any]:
    """What screening decided, read back from an application already past it (a retried step)."""
    status = application["status"]
    outcome = {
        ApplicationStatus.REJECTED.value: Outcome.REJECT,
        ApplicationStatus.DEFERRED.value: Outcome.DEFER,
    }.get(status, Outcome.PROCEED)
    return {
        "applicationId": application["applicationId"],
        "outcome": outcome.value,
        "reason": application.get("reason"),
    }
