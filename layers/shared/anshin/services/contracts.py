"""Support contracts (利用契約) and the notification that forms them (R6.4, R12)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from anshin.adapters import mac, notifications
from anshin.domain import contract_rules
from anshin.domain.applications import ApplicationStatus
from anshin.domain.clock import iso, now, parse_iso
from anshin.domain.entities import Application
from anshin.domain.phones import is_phone, normalise_phone
from anshin.settings import settings
from anshin.store import applications as stored
from anshin.store import contracts

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
        credentials = {
            "contractId": f"ctr-{secrets.token_hex(12)}",
            "memberConfirmationCode": f"{secrets.randbelow(10**8):08d}",
            "supportPhoneNumber": settings.support_phone_number,
        }
        code_mac = mac.code_mac(credentials["memberConfirmationCode"])
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
        "memberConfirmationCode": application["pendingCode"],
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


def record_contract(application_id: str) -> dict[str, Any]:
    """Record the contract formed at the send (R6.4) and whether it is the account's first (R12).

    One transaction: the contract (new), the application (APPROVED -> CONTRACTED; the
    plain-text code is dropped, only its digest stays), and the account's first-contract claim.
    """
    application = stored.require(application_id)
    contract_id = application["contractId"]
    contracted = {"applicationId": application_id, "status": "CONTRACTED", "contractId": contract_id}
    if application["status"] == ApplicationStatus.CONTRACTED.value:
        return contracted
    formed_at: datetime = parse_iso(application["formedAt"])
    for first in (True, False):
        contract = contracts.new_item(
            contract_id=contract_id,
            application_id=application_id,
            mobile_contract_id=application["mobileContractId"],
            formed_at=formed_at,
            first_under_account=first,
            holder=application["applicant"],
            device=application["device"],
            location_opt_out=bool(application["consent"]["locationOptOut"]),
            code_mac=application["codeMac"],
            support_phone_number=application["supportPhoneNumber"],
        )
        contract_rules.check(contract)
        recorded = stored.record_contract(application, contract, first)
        if recorded == "ALREADY_RECORDED":
            return contracted
        if recorded == "RECORDED":
            return {**contracted, "recorded": True}
        # NOT_FIRST: the account already has its first contract: record this one as a later one
    raise RuntimeError(f"could not record the contract of {application_id}")
