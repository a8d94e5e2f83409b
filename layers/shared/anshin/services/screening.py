"""Deciding an application (R4, R6): the workflow's steps of screening, deferral, the slot, and
the final statuses.

The rule is ``anshin.domain.screening.decide``, pure. Each step here moves the application by a
conditional write (anshin.store.applications), so a retried step finds its work done and
changes nothing.
"""

from __future__ import annotations

from typing import Any

from anshin.domain.applications import FINAL_STATUSES, ApplicationStatus, deferral_reason
from anshin.domain.errors import EarlierApplicationsPending
from anshin.domain.screening import Outcome, Reason, decide, outcome_of
from anshin.domain.terms import MAX_CONTRACTS_PER_ACCOUNT
from anshin.store import accounts
from anshin.store import applications as stored


def screen(application_id: str) -> dict[str, Any]:
    """Screen under R6.3 and R6.2. A refusal is recorded here; otherwise DEFER or PROCEED."""
    application = stored.require(application_id)
    status = ApplicationStatus(application["status"])
    if status not in (ApplicationStatus.RECEIVED, ApplicationStatus.SCREENING):
        # A retry after the work was done: report what was decided.
        return outcome_of(application)
    if status is ApplicationStatus.RECEIVED:
        stored.start_screening(application)
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
        stored.reject(
            application, decision.reason.value, (ApplicationStatus.RECEIVED, ApplicationStatus.SCREENING)
        )
    return {"applicationId": application_id, "outcome": decision.outcome.value, "reason": decision.reason}


def defer(application_id: str, task_token: str) -> dict[str, Any]:
    """R6.2: wait for staff. The task token is kept so that the decision resumes the workflow; a
    deferred application does not hold back the account's line (R6.2)."""
    application = stored.require(application_id)
    account = accounts.get(application["mobileContractId"])
    reason = deferral_reason(
        bool(account and account.defer_review), accounts.staff_rules(), application["device"]
    )
    # Enters the staff's queue (oldest first) in the same transaction (anshin.store.applications).
    moved = stored.defer(application, task_token, reason.value if reason else None)
    return {"applicationId": application_id, "deferred": moved}


def staff_reject(application_id: str, reason: str) -> dict[str, Any]:
    """R6.2 then R6.3(5): staff refuse a deferred application."""
    application = stored.require(application_id)
    stored.reject(application, Reason(reason).value, (ApplicationStatus.DEFERRED,))
    return {"applicationId": application_id, "status": stored.require(application_id)["status"]}


def reserve_slot(application_id: str) -> dict[str, Any]:
    """R4 and R6.1: hold one of the account's 10 slots, or refuse with CONTRACT_LIMIT_REACHED.

    Applications wait for every earlier one of their account still in line (the workflow
    retries ``EarlierApplicationsPending``), so the earlier of two racing for the last slot wins.
    The slot count is raised in the same transaction that approves, conditional on it staying
    below the limit: the account can never hold more than 10, whatever runs at once.
    """
    application = stored.require(application_id)
    status = ApplicationStatus(application["status"])
    if status not in (ApplicationStatus.SCREENING, ApplicationStatus.DEFERRED):
        return {"applicationId": application_id, "status": status.value}
    if status is ApplicationStatus.SCREENING and stored.waits_for_earlier(application):
        raise EarlierApplicationsPending(application_id)
    approval = stored.approve(application, status, MAX_CONTRACTS_PER_ACCOUNT)
    if approval == "LIMIT_REACHED":
        stored.reject(application, Reason.CONTRACT_LIMIT_REACHED.value, (status,))
        return {"applicationId": application_id, "status": ApplicationStatus.REJECTED.value}
    current = (
        ApplicationStatus.APPROVED.value
        if approval == "APPROVED"
        else stored.require(application_id)["status"]
    )
    return {"applicationId": application_id, "status": current}


def record_failure(application_id: str, error: str) -> dict[str, Any]:
    """The workflow could not complete: no contract forms (R6.4). The application ends in
    NOTIFICATION_FAILED, and a slot it held is given back, in one transaction."""
    application = stored.get(application_id)
    if application is None:
        return {"applicationId": application_id, "status": None}
    status = ApplicationStatus(application["status"])
    if status in FINAL_STATUSES:
        return {"applicationId": application_id, "status": status.value}
    if "formedAt" in application:
        # The notification went out, so the contract formed (R6.4): it is not a failure to undo.
        # Flag it for an operator (the contract is recorded by a redrive), keep the slot.
        stored.flag_contract_not_recorded(application_id)
        return {"applicationId": application_id, "status": status.value}
    stored.fail(application, status, error)
    return {"applicationId": application_id, "status": stored.require(application_id)["status"]}
