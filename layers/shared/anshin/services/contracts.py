"""Support contracts (利用契約) and the notification that forms them (R6.4, R12)."""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from anshin.adapters import mac, metrics, notifications
from anshin.domain import billed_months, contract_rules
from anshin.domain.applications import ApplicationStatus
from anshin.domain.billing_rules import Line, line_for
from anshin.domain.clock import iso, now, parse_iso
from anshin.domain.contract_rules import FirstClaimMove
from anshin.domain.entities import Application, Contract, ContractHolder, ProtectedDevice
from anshin.domain.errors import InvariantViolation
from anshin.domain.phones import is_phone, normalise_phone
from anshin.services import jobs
from anshin.settings import settings
from anshin.store import accounts, contracts, invoices
from anshin.store import applications as stored
from anshin.store import jobs as job_runs

logger = Logger()

#: Draws of a member confirmation code before giving up (a code in use is drawn again).
CODE_DRAWS = 20


def issue_credentials(application_id: str) -> dict[str, Any]:
    """Issue the contract id, the member confirmation code and the support number, once.

    The code's lookup key is stored with it, before the notification is sent: the code works
    from the instant the subscriber can have it (R6.4), even before the contract is recorded.
    A retry gets the same ones back (they are written conditionally on not being there).
    """
    application = stored.require(application_id)
    attempts = 0
    while "contractId" not in application and application["status"] == ApplicationStatus.APPROVED.value:
        if attempts == 0:
            # The staff search's phone lookup (written with the contract): the digest is taken
            # here, where the KMS key is at hand; a number that does not normalise gets none.
            phone = application["applicant"]["phone"]
            phone_mac = mac.phone_mac(normalise_phone(phone)) if is_phone(phone) else None
        attempts += 1
        if attempts > CODE_DRAWS:
            raise RuntimeError(f"no free member confirmation code in {CODE_DRAWS} draws")
        credentials: dict[str, Any] = {
            "contractId": f"ctr-{secrets.token_hex(12)}",
            "codeDraw": attempts,
            "supportPhoneNumber": settings.support_phone_number,
        }
        code_mac = mac.code_mac(mac.member_code(application_id, attempts))
        if stored.issue_credentials(application_id, credentials, code_mac, phone_mac) == "CODE_TAKEN":
            continue  # only the code was taken: draw another
        application = stored.require(application_id)  # issued (now or by a retry), or not APPROVED
    return {"applicationId": application_id, "contractId": application.get("contractId")}


def notification_message(application: Application) -> dict[str, Any]:
    """What the subscriber is told (R6.4): the member confirmation code and the support number.
    The topic's e-mail/SMS subscribers deliver it to the applicant's address and phone."""
    return {
        "kind": "CONTRACT_FORMED",
        "applicationId": application["applicationId"],
        "contractId": application["contractId"],
        "mobileContractId": application["mobileContractId"],
        "deviceId": application["device"]["deviceId"],
        "platform": application["device"]["platform"],
        "memberConfirmationCode": mac.member_code(application["applicationId"], int(application["codeDraw"])),
        "supportPhoneNumber": application["supportPhoneNumber"],
        "email": application["applicant"]["email"],
        "phone": application["applicant"]["phone"],
    }


def send_notification(application_id: str, correlation_id: str | None = None) -> dict[str, Any]:
    """Publish the notification; the instant SNS accepted it is when the contract formed (R6.4).
    The message carries the application's correlation id as an attribute, for its deliverers.

    Called through powertools idempotency keyed on the application, so a retried step never
    sends twice and always answers the first ``formedAt``.
    """
    application = stored.require(application_id)
    if "formedAt" in application:
        return {"applicationId": application_id, "formedAt": application["formedAt"]}
    notifications.publish(
        notification_message(application),
        notification_id=f"CONTRACT_FORMED#{application_id}",
        correlation_id=correlation_id,
    )
    stored.mark_formed(application_id, iso(now()))
    return {"applicationId": application_id, "formedAt": stored.require(application_id)["formedAt"]}


#: Times one recording reads the account's first-contract claim again after another contract
#: of the account moved it (each move is to an earlier-formed contract: at most 10 hold slots).
CLAIM_ROUNDS = 12


def record_contract(application_id: str) -> dict[str, Any]:
    """Record the contract formed at the send (R6.4) and whether it is the account's first (R12).

    One transaction: the contract (new), the application (APPROVED -> CONTRACTED; the
    plain-text code is dropped, only its digest stays), and the account's first-contract claim.
    R12's first contract is the first in formation order (``contract_rules.formation_order``:
    ``formedAt`` to the millisecond, then the receive sequence, then the id), whichever is
    recorded first: one formed before the claim's holder takes the claim over and corrects the
    holder's first billable month in the same transaction, conditional on the claim being as
    read; a claim that moved meanwhile is read again.

    A contract recorded after months it is billable for are over (healed by the reconciler, a
    late step), or a holder displaced into billable months that are over, owes those months a
    line: the recording appends the lines to the ledger itself, in its own transaction (R12,
    R13: written only if absent, so billing, whether it ran for the month or runs later, never
    charges them twice). Lines appended to a month billing already ran for are counted in
    ``ChargesAppendedLate`` and logged: exporting the month again writes the next version of its
    charge file, which holds them (anshin.services.charges).
    """
    application = stored.require(application_id)
    contract_id = application["contractId"]
    contracted = {"applicationId": application_id, "status": "CONTRACTED", "contractId": contract_id}
    if application["status"] == ApplicationStatus.CONTRACTED.value:
        return contracted
    formed_at: datetime = parse_iso(application["formedAt"])
    order = contract_rules.formation_order(
        formed_at,
        int(application["sequence"]) if "sequence" in application else None,
        application_id,
    )
    mobile_contract_id = application["mobileContractId"]
    for _ in range(CLAIM_ROUNDS):
        held = accounts.first_claim(mobile_contract_id)
        move = contract_rules.first_claim_move(order, held)
        contract = Contract.formed(
            contract_id=contract_id,
            application_id=application_id,
            mobile_contract_id=mobile_contract_id,
            formed_at=formed_at,
            first_under_account=move is not FirstClaimMove.LATER,
            holder=ContractHolder.from_item(application["applicant"]),
            device=ProtectedDevice.from_item(application["device"]),
            location_opt_out=bool(application["consent"]["locationOptOut"]),
            member_code_mac=application["codeMac"],
            support_phone_number=application["supportPhoneNumber"],
        )
        corrections = []
        displaced: tuple[Contract, Contract] | None = None
        if move is FirstClaimMove.DISPLACE and held.contract_id is not None:
            holder = contracts.require(held.contract_id)
            corrected, correction = contracts.no_longer_first(holder)
            corrections.append(correction)
            displaced = (holder, corrected)
        at = now()
        owed = _owed(contract, displaced, at, settings.monthly_fee_jpy)
        by = f"recording-{application_id}"
        recorded = stored.record_contract(
            application,
            contract,
            accounts.contract_formed_item(mobile_contract_id, contract_id, order, move, held),
            corrections,
            [invoices.append_op(line, by, at) for line in owed[:LINES_IN_TRANSACTION]],
        )
        if recorded == "ALREADY_RECORDED":
            return contracted
        if recorded == "RECORDED":
            if owed[LINES_IN_TRANSACTION:]:
                invoices.write(owed[LINES_IN_TRANSACTION:], by, at)
            if owed:
                _signal_late_charges(owed)
            return {
                **contracted,
                "recorded": True,
                **({"displaced": held.contract_id} if corrections else {}),
            }
        # CLAIM_MOVED: another contract of the account was recorded meanwhile: decide again
    raise RuntimeError(f"could not record the contract of {application_id}")


#: Ledger lines appended in the recording's own transaction (DynamoDB takes 100 items; the
#: recording has at most seven more): any beyond, for a contract recorded years late, follow it,
#: written only if absent all the same.
LINES_IN_TRANSACTION = 90


def _owed(
    contract: Contract, displaced: tuple[Contract, Contract] | None, at: datetime, fee: int
) -> list[Line]:
    """R12, R13: the lines over months this recording makes owe: the recorded contract's
    billable months that are over (recorded late), and those the displaced contract
    (``(before, after)``) is newly billable for, each line as billing would write it. A contract
    recorded in its own, still open month with no displacement owes none: nothing is read."""
    owed = [(contract, month) for month in billed_months.closed_billable_months(contract, at)]
    if displaced is not None:
        before, after = displaced
        owed += [(after, month) for month in billed_months.newly_billable_closed_months(before, after, at)]
    return [line for c, month in owed if (line := line_for(c, month, fee)) is not None]


def _signal_late_charges(owed: list[Line]) -> None:
    """Tell the operator of lines appended to months billing already ran for (their charge
    files, if exported, lack them until exported again; a month not billed yet exports them with
    the rest): ``ChargesAppendedLate`` counts the lines (alarmed), and the log names the months
    and contracts (ids only). Read only when a recording owed lines (one Query per month)."""
    billed = {month for month in {line.month for line in owed} if job_runs.ran(jobs.BILLING, month)}
    late = [line for line in owed if line.month in billed]
    if not late:
        return
    metrics.count("ChargesAppendedLate", len(late))
    logger.warning(
        "lines appended to months already billed: export their charge files again (make month-end MONTH=...)",
        extra={
            "months": sorted(billed),
            "contracts": [{"contractId": x.contract_id, "month": x.month} for x in late],
        },
    )


# --- R6.4: formed contracts whose recording failed for good, recorded by the reconciler ---------

#: Entries read per page, and the time after which a run starts no new one (its Lambda has 5 min).
RECONCILE_PAGE = 50
RECONCILE_BUDGET_SECONDS = 240.0


def heal(application_id: str) -> str:
    """Record the contract of a notified application whose recording failed for good, from the
    application's own ``formedAt`` (never the clock), with the same transaction the workflow
    runs, and clear its flag. HEALED, or ALREADY_RECORDED (by a device's registration, a late
    step, an earlier run): its flag is cleared all the same. Raises what makes it unrecordable."""
    application = stored.get(application_id)
    if application is None:
        raise InvariantViolation("APPLICATION_NOT_FOUND", "the flagged application does not exist")
    if application["status"] == ApplicationStatus.APPROVED.value:
        if "formedAt" not in application or "contractId" not in application:
            raise InvariantViolation("NOT_FORMED", "the flagged application has no formation")
        outcome = "HEALED" if record_contract(application_id).get("recorded") else "ALREADY_RECORDED"
    elif application["status"] == ApplicationStatus.CONTRACTED.value:
        outcome = "ALREADY_RECORDED"
    else:
        raise InvariantViolation("NOT_FORMED", f"the flagged application is {application['status']}")
    stored.clear_unrecorded(application_id)  # usually done by the recording's own transaction
    return outcome


def reconcile_unrecorded(budget_seconds: float = RECONCILE_BUDGET_SECONDS) -> dict[str, Any]:
    """The scheduled reconciler (R6.4): record every formed contract listed as not recorded
    (``UNRECORDED`` partition, never a Scan). One that cannot be recorded is set aside: the error
    is noted on its entry (which stays, and is tried again next run), logged by id and code, and
    counted in ``ContractsNotHealed`` (alarmed); every other one is still recorded."""
    started = time.monotonic()
    healed = already = 0
    set_aside: list[dict[str, str]] = []
    start: dict[str, Any] | None = None
    while time.monotonic() - started < budget_seconds:
        entries, start = stored.unrecorded_page(start, RECONCILE_PAGE)
        for entry in entries:
            if time.monotonic() - started >= budget_seconds:
                start = None
                break
            application_id = str(entry["applicationId"])
            try:
                outcome = heal(application_id)
            except Exception as error:  # one record never stops the others (nor the alarm)
                noted = {
                    "errorType": type(error).__name__,
                    "code": str(getattr(error, "code", "UNRECORDABLE")),
                    "error": str(error)[:300],
                }
                stored.set_unrecorded_aside(application_id, noted, iso(now()))
                set_aside.append({"applicationId": application_id, **noted})
                continue
            if outcome == "HEALED":
                healed += 1
            else:
                already += 1
        if start is None:
            break
    if healed:
        metrics.count("ContractsHealed", healed)
    if set_aside:
        metrics.count("ContractsNotHealed", len(set_aside))
        logger.warning(
            "formed contracts not recorded, set aside",
            extra={
                "applications": [{k: e[k] for k in ("applicationId", "errorType", "code")} for e in set_aside]
            },
        )
    return {
        "healed": healed,
        "alreadyRecorded": already,
        "setAside": len(set_aside),
        "setAsideApplications": [e["applicationId"] for e in set_aside[:100]],
    }
