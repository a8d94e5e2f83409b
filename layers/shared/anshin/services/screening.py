"""Deciding an application (R4, R6): the workflow's steps of screening, deferral, the slot, and
the final statuses.

The rule is ``anshin.domain.screening.decide``, pure. Each step here moves the application by a
conditional write (anshin.store.applications), so a retried step finds its work done and
changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from anshin.domain import contract_rules
from anshin.domain.applications import FINAL_STATUSES, ApplicationStatus, deferral_reason
from anshin.domain.clock import now
from anshin.domain.entities import Application
from anshin.domain.errors import EarlierApplicationsPending
from anshin.domain.screening import Outcome, Reason, decide, outcome_of, still_holds_device
from anshin.domain.terms import MAX_CONTRACTS_PER_ACCOUNT
from anshin.store import accounts, contracts, devices
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
    approval = _approve(application, status)
    if approval in ("LIMIT_REACHED", "DEVICE_HELD"):
        reason = (
            Reason.CONTRACT_LIMIT_REACHED if approval == "LIMIT_REACHED" else Reason.DEVICE_ALREADY_PROTECTED
        )
        stored.reject(application, reason.value, (status,))
        return {"applicationId": application_id, "status": ApplicationStatus.REJECTED.value}
    current = (
        ApplicationStatus.APPROVED.value
        if approval == "APPROVED"
        else stored.require(application_id)["status"]
    )
    return {"applicationId": application_id, "status": current}


#: Times one approval tries to take over a released device holder (another approval taking it
#: meanwhile holds it then: the answer is DEVICE_HELD).
HOLDER_ROUNDS = 3


def _approve(application: Application, status: ApplicationStatus) -> str:
    """Approve, holding a slot (R4) and the device id (one device, one live contract, issue 24).

    The device id's holder is the application that claimed it at its approval; it is taken over
    only when that application no longer holds it (refused, failed, or its contract ended:
    ``screening.still_holds_device``), conditional on the holder read, so two applications for
    one device can never both be approved. A device registered to a live contract formed before
    the holder existed (no holder item) is held by that contract all the same."""
    device_id, at = application["device"]["deviceId"], now()
    if _registered_to_live_contract(device_id, application, at):
        # R4 first, as the approval's own transaction answers it: a full account is full.
        account = accounts.get(application["mobileContractId"])
        full = account is not None and account.slots_held >= MAX_CONTRACTS_PER_ACCOUNT
        return "LIMIT_REACHED" if full else "DEVICE_HELD"
    released: str | None = None
    for _ in range(HOLDER_ROUNDS):
        approval = stored.approve(application, status, MAX_CONTRACTS_PER_ACCOUNT, released)
        if approval != "DEVICE_HELD":
            return approval
        holder_id = stored.device_holder(device_id)
        holder = stored.get(holder_id) if holder_id else None
        contract = contracts.get(str(holder["contractId"])) if holder and "contractId" in holder else None
        if still_holds_device(holder, contract, at):
            return "DEVICE_HELD"
        released = holder_id
    return "DEVICE_HELD"  # taken over by another approval each time: it holds the device now


def _registered_to_live_contract(device_id: str, application: Application, at: datetime) -> bool:
    """The device's app is registered to a contract that has not ended and is not this
    application's (for contracts formed before device ids had holders)."""
    registered = devices.get(device_id)
    if registered is None:
        return False
    contract = contracts.get(registered.contract_id)
    return (
        contract is not None
        and contract.application_id != application["applicationId"]
        and not contract_rules.has_ended(contract, at)
    )


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
