"""Deciding an application (R4, R6): screening, deferral, the slot, and the final statuses.

``decide`` is the rule, pure. The other functions are the workflow's steps: each one moves the
application by a conditional write, so a retried step finds its work done and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from anshin.domain.terms import MAX_CONTRACTS_PER_ACCOUNT
from anshin.services import applications
from anshin.services.applications import ApplicationStatus
from anshin.store import accounts, db
from anshin.store.accounts import Account

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


class Outcome(StrEnum):
    REJECT = "REJECT"
    DEFER = "DEFER"
    PROCEED = "PROCEED"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: Reason | None = None


def decide(
    application: dict[str, Any],
    account: Account | None,
    prior_violation: bool,
    staff_rules: dict[str, Any],
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


# --- workflow steps ---------------------------------------------------------------------------


def _transition(
    application: dict[str, Any],
    to: ApplicationStatus,
    allowed_from: tuple[ApplicationStatus, ...],
    *,
    set_fields: dict[str, Any] | None = None,
    remove_fields: tuple[str, ...] = (),
    leave_line: bool = False,
    extra: list[dict[str, Any]] | None = None,
) -> bool:
    """Move an application to ``to`` if it is in one of ``allowed_from``, in one transaction with
    ``extra`` writes (and leaving its account's line). False when the condition failed."""
    table = db.contracts_table()
    serializer = db.serializer()
    values: dict[str, Any] = {":to": to.value, **{f":v{i}": s.value for i, s in enumerate(allowed_from)}}
    names = {"#s": "status"}
    sets = ["#s = :to"]
    for i, (field, value) in enumerate((set_fields or {}).items()):
        names[f"#f{i}"] = field
        values[f":f{i}"] = value
        sets.append(f"#f{i} = :f{i}")
    update = "SET " + ", ".join(sets)
    if remove_fields:
        update += " REMOVE " + ", ".join(remove_fields)
    items: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": table.name,
                "Key": serializer.key(applications.key(application["applicationId"])),
                "UpdateExpression": update,
                "ConditionExpression": "#s IN ("
                + ", ".join(f":v{i}" for i in range(len(allowed_from)))
                + ")",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": serializer.values(values),
            }
        },
        *(extra or []),
    ]
    if leave_line and "sequence" in application:
        items.append(
            {
                "Delete": {
                    "TableName": table.name,
                    "Key": serializer.key(
                        applications.queue_key(application["mobileContractId"], int(application["sequence"]))
                    ),
                }
            }
        )
    return db.transact(items)


def screen(application_id: str) -> dict[str, Any]:
    """Screen under R6.3 and R6.2. A refusal is recorded here; otherwise DEFER or PROCEED."""
    application = applications.require(application_id)
    status = ApplicationStatus(application["status"])
    if status not in (ApplicationStatus.RECEIVED, ApplicationStatus.SCREENING):
        # A retry after the work was done: report what was decided.
        return _outcome_of(application)
    if status is ApplicationStatus.RECEIVED:
        _transition(application, ApplicationStatus.SCREENING, (ApplicationStatus.RECEIVED,))
    mobile_contract_id = application["mobileContractId"]
    account = accounts.get(mobile_contract_id)
    decision = decide(
        application,
        account,
        accounts.has_prior_violation(mobile_contract_id) if account else False,
        accounts.staff_rules(),
    )
    if decision.outcome is Outcome.REJECT:
        assert decision.reason is not None
        reject(application, decision.reason, (ApplicationStatus.RECEIVED, ApplicationStatus.SCREENING))
    return {"applicationId": application_id, "outcome": decision.outcome.value, "reason": decision.reason}


def _outcome_of(application: dict[str, Any]) -> dict[str, Any]:
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


def reject(application: dict[str, Any], reason: Reason, allowed_from: tuple[ApplicationStatus, ...]) -> bool:
    return _transition(
        application,
        ApplicationStatus.REJECTED,
        allowed_from,
        set_fields={"reason": reason.value},
        remove_fields=("taskToken",),
        leave_line=True,
    )


def defer(application_id: str, task_token: str) -> dict[str, Any]:
    """R6.2: wait for staff. The task token is kept so that the decision resumes the workflow."""
    application = applications.require(application_id)
    moved = _transition(
        application,
        ApplicationStatus.DEFERRED,
        (ApplicationStatus.SCREENING, ApplicationStatus.DEFERRED),
        set_fields={"taskToken": task_token},
        leave_line=True,  # a deferred application does not hold back the account's line (R6.2)
    )
    return {"applicationId": application_id, "deferred": moved}


def staff_reject(application_id: str, reason: str) -> dict[str, Any]:
    """R6.2 then R6.3(5): staff refuse a deferred application."""
    application = applications.require(application_id)
    reject(application, Reason(reason), (ApplicationStatus.DEFERRED,))
    return {"applicationId": application_id, "status": applications.require(application_id)["status"]}


class EarlierApplicationsPending(Exception):
    """R6.1: an application of the same account received earlier is still being screened."""


def reserve_slot(application_id: str) -> dict[str, Any]:
    """R4 and R6.1: hold one of the account's 10 slots, or refuse with CONTRACT_LIMIT_REACHED.

    Applications wait for every earlier one of their account still in line (the workflow
    retries ``EarlierApplicationsPending``), so the earlier of two racing for the last slot wins.
    The slot count is raised in the same transaction that approves, conditional on it staying
    below the limit: the account can never hold more than 10, whatever runs at once.
    """
    application = applications.require(application_id)
    status = ApplicationStatus(application["status"])
    if status not in (ApplicationStatus.SCREENING, ApplicationStatus.DEFERRED):
        return {"applicationId": application_id, "status": status.value}
    mobile_contract_id = application["mobileContractId"]
    if status is ApplicationStatus.SCREENING and "sequence" in application:
        earlier = db.contracts_table().query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :before",
            ExpressionAttributeValues={
                ":pk": f"ACCOUNT#{mobile_contract_id}",
                ":first": "QUEUE#",
                ":before": applications.queue_key(mobile_contract_id, int(application["sequence"]) - 1)["sk"],
            },
            ConsistentRead=True,
            Limit=1,
        )["Items"]
        if earlier:
            raise EarlierApplicationsPending(application_id)
    table = db.contracts_table()
    serializer = db.serializer()
    hold = {
        "Update": {
            "TableName": table.name,
            "Key": serializer.key(accounts.key(mobile_contract_id)),
            "UpdateExpression": "SET slotsHeld = if_not_exists(slotsHeld, :zero) + :one",
            "ConditionExpression": "attribute_not_exists(slotsHeld) OR slotsHeld < :limit",
            "ExpressionAttributeValues": serializer.values(
                {":zero": 0, ":one": 1, ":limit": MAX_CONTRACTS_PER_ACCOUNT}
            ),
        }
    }
    client = db.dynamodb()
    try:
        moved = _transition(
            application,
            ApplicationStatus.APPROVED,
            (status,),
            set_fields={"slotHeld": True},
            remove_fields=("taskToken",),
            leave_line=True,
            extra=[hold],
        )
    except client.exceptions.TransactionCanceledException as error:
        reasons = db.cancellation_reasons(error)
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            reject(application, Reason.CONTRACT_LIMIT_REACHED, (status,))
            return {"applicationId": application_id, "status": ApplicationStatus.REJECTED.value}
        raise
    current = (
        applications.require(application_id)["status"] if not moved else ApplicationStatus.APPROVED.value
    )
    return {"applicationId": application_id, "status": current}


def release_slot_item(mobile_contract_id: str) -> dict[str, Any]:
    """The transaction item that gives a held slot back to the account (R4, R6.4)."""
    table = db.contracts_table()
    serializer = db.serializer()
    return {
        "Update": {
            "TableName": table.name,
            "Key": serializer.key(accounts.key(mobile_contract_id)),
            "UpdateExpression": "SET slotsHeld = slotsHeld - :one",
            "ConditionExpression": "slotsHeld > :zero",
            "ExpressionAttributeValues": serializer.values({":one": 1, ":zero": 0}),
        }
    }


def record_failure(application_id: str, error: str) -> dict[str, Any]:
    """The workflow could not complete: no contract forms (R6.4). The application ends in
    NOTIFICATION_FAILED, and a slot it held is given back, in one transaction."""
    application = applications.get(application_id)
    if application is None:
        return {"applicationId": application_id, "status": None}
    status = ApplicationStatus(application["status"])
    if status in (
        ApplicationStatus.REJECTED,
        ApplicationStatus.CONTRACTED,
        ApplicationStatus.NOTIFICATION_FAILED,
    ):
        return {"applicationId": application_id, "status": status.value}
    if "formedAt" in application:
        # The notification went out, so the contract formed (R6.4): it is not a failure to undo.
        # Flag it for an operator (the contract is recorded by a redrive), keep the slot.
        db.contracts_table().update_item(
            Key=applications.key(application_id),
            UpdateExpression="SET attention = :why",
            ExpressionAttributeValues={":why": "CONTRACT_NOT_RECORDED"},
        )
        return {"applicationId": application_id, "status": status.value}
    holds_slot = bool(application.get("slotHeld"))
    _transition(
        application,
        ApplicationStatus.NOTIFICATION_FAILED,
        (status,),
        set_fields={"failure": error[:200], "slotHeld": False},
        remove_fields=("taskToken", "pendingCode", "gsi2pk", "gsi2sk"),
        leave_line=True,
        extra=[release_slot_item(application["mobileContractId"])] if holds_slot else None,
    )
    return {"applicationId": application_id, "status": applications.require(application_id)["status"]}
