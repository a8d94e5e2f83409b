"""Support contracts (利用契約) and the notification that forms them (R6.4, R12)."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from typing import Any

from anshin.adapters import mac, notifications
from anshin.domain import contract_rules
from anshin.domain.clock import iso, now, parse_iso
from anshin.domain.contract_rules import ContractStatus
from anshin.domain.terms import first_billable_month
from anshin.services import applications
from anshin.services.applications import ApplicationStatus
from anshin.store import accounts, db, keys

#: The dedicated support phone number told to every new subscriber (a deployment setting).
DEFAULT_SUPPORT_PHONE_NUMBER = "0120-000-110"


def key(contract_id: str) -> dict[str, str]:
    return {"pk": f"CONTRACT#{contract_id}", "sk": "CONTRACT"}


def code_key(code_mac: str, kind: str) -> dict[str, str]:
    """gsi2: the member confirmation code's lookup, by its keyed digest (anshin.mac), on the
    application that issued it (``APPLICATION``) and then on the contract (``CONTRACT``)."""
    return {"gsi2pk": f"CODE#{code_mac}", "gsi2sk": kind}


#: Draws of a member confirmation code before giving up (a code in use is drawn again).
CODE_DRAWS = 20


def code_claim_key(code_mac: str) -> dict[str, str]:
    """The claim that makes a member confirmation code unique (by its MAC, anshin.mac)."""
    return {"pk": f"CODECLAIM#{code_mac}", "sk": "CLAIM"}


def issue_credentials(application_id: str) -> dict[str, Any]:
    """Issue the contract id, the member confirmation code and the support number, once.

    The code's lookup key is stored with it, before the notification is sent: the code works
    from the instant the subscriber can have it (R6.4), even before the contract is recorded.
    A retry gets the same ones back (they are written conditionally on not being there).
    """
    application = applications.require(application_id)
    attempts = 0
    while "contractId" not in application and application["status"] == ApplicationStatus.APPROVED.value:
        attempts += 1
        if attempts > CODE_DRAWS:
            raise RuntimeError(f"no free member confirmation code in {CODE_DRAWS} draws")
        credentials = {
            "contractId": f"ctr-{secrets.token_hex(12)}",
            "memberConfirmationCode": f"{secrets.randbelow(10**8):08d}",
            "supportPhoneNumber": os.environ.get("SUPPORT_PHONE_NUMBER", DEFAULT_SUPPORT_PHONE_NUMBER),
        }
        code_mac = mac.code_mac(credentials["memberConfirmationCode"])
        lookup = code_key(code_mac, "APPLICATION")
        serializer = db.serializer()
        table = db.contracts_table().name
        try:
            db.dynamodb().transact_write_items(
                TransactItems=[
                    {
                        # Each code is issued once, ever: 8 digits drawn at random would otherwise
                        # collide (about 5,000 pairs in a million contracts) and a subscriber's
                        # code would find someone else's contract.
                        "Put": {
                            "TableName": table,
                            "Item": serializer.item({**code_claim_key(code_mac), "type": "CODE_CLAIM"}),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": table,
                            "Key": serializer.key(applications.key(application_id)),
                            "UpdateExpression": "SET contractId = :c, pendingCode = :code, "
                            "supportPhoneNumber = :phone, codeMac = :mac, gsi2pk = :gsi2pk, gsi2sk = :gsi2sk",
                            "ConditionExpression": "attribute_not_exists(contractId) AND #s = :approved",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": serializer.values(
                                {
                                    ":c": credentials["contractId"],
                                    ":code": credentials["memberConfirmationCode"],
                                    ":phone": credentials["supportPhoneNumber"],
                                    ":approved": ApplicationStatus.APPROVED.value,
                                    ":mac": code_mac,
                                    **{f":{k}": v for k, v in lookup.items()},
                                }
                            ),
                        }
                    },
                ]
            )
        except db.dynamodb().exceptions.TransactionCanceledException as error:
            claim, issue = [*db.cancellation_reasons(error), None, None][:2]
            if issue != "ConditionalCheckFailed" and claim != "ConditionalCheckFailed":
                raise  # neither condition: a conflict or throttling, for the step's retry
            if issue != "ConditionalCheckFailed":
                continue  # only the code was taken: draw another
        application = applications.require(application_id)  # issued (now or by a retry), or not APPROVED
    return {"applicationId": application_id, "contractId": application.get("contractId")}


def notification_message(application: dict[str, Any]) -> dict[str, Any]:
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
    application = applications.require(application_id)
    if "formedAt" in application:
        return {"applicationId": application_id, "formedAt": application["formedAt"]}
    notifications.publish(
        notification_message(application),
        notification_id=f"CONTRACT_FORMED#{application_id}",
        correlation_id=correlation_id,
    )
    formed_at = iso(now())
    db.contracts_table().update_item(
        Key=applications.key(application_id),
        UpdateExpression="SET formedAt = if_not_exists(formedAt, :at)",
        ExpressionAttributeValues={":at": formed_at},
    )
    return {"applicationId": application_id, "formedAt": applications.require(application_id)["formedAt"]}


def record_contract(application_id: str) -> dict[str, Any]:
    """Record the contract formed at the send (R6.4) and whether it is the account's first (R12).

    One transaction: the contract (new), the application (APPROVED -> CONTRACTED; the
    plain-text code is dropped, only its digest stays), and the account's first-contract claim.
    """
    application = applications.require(application_id)
    if application["status"] == ApplicationStatus.CONTRACTED.value:
        return {
            "applicationId": application_id,
            "status": "CONTRACTED",
            "contractId": application["contractId"],
        }
    formed_at: datetime = parse_iso(application["formedAt"])
    mobile_contract_id = application["mobileContractId"]
    contract_id = application["contractId"]
    client = db.dynamodb()
    table = db.contracts_table()
    serializer = db.serializer()
    for first in (True, False):
        contract = contract_item(
            contract_id=contract_id,
            application_id=application_id,
            mobile_contract_id=mobile_contract_id,
            formed_at=formed_at,
            first_under_account=first,
            holder=application["applicant"],
            device=application["device"],
            location_opt_out=bool(application["consent"]["locationOptOut"]),
            code_mac=application["codeMac"],
            support_phone_number=application["supportPhoneNumber"],
        )
        contract_rules.check(contract)
        claim = (
            "SET hasFormedContract = :true, firstContractId = :id",
            "attribute_not_exists(firstContractId) AND (attribute_not_exists(hasFormedContract)"
            " OR hasFormedContract = :false)",
        )
        follow = ("SET hasFormedContract = :true", "attribute_exists(pk)")
        update, condition = claim if first else follow
        values = {":true": True, ":id": contract_id, ":false": False} if first else {":true": True}
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table.name,
                            "Item": serializer.item(contract),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": table.name,
                            "Key": serializer.key(applications.key(application_id)),
                            "UpdateExpression": "SET #s = :contracted REMOVE pendingCode",
                            "ConditionExpression": "#s = :approved",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": serializer.values(
                                {
                                    ":contracted": ApplicationStatus.CONTRACTED.value,
                                    ":approved": ApplicationStatus.APPROVED.value,
                                }
                            ),
                        }
                    },
                    {
                        "Update": {
                            "TableName": table.name,
                            "Key": serializer.key(accounts.key(mobile_contract_id)),
                            "UpdateExpression": update,
                            "ConditionExpression": condition,
                            "ExpressionAttributeValues": serializer.values(values),
                        }
                    },
                ]
            )
        except client.exceptions.TransactionCanceledException as error:
            reasons = db.cancellation_reasons(error)
            if reasons[:2] != ["None", "None"]:
                # The contract or the application moved: a retry after success, or a real conflict.
                current = applications.require(application_id)
                if current["status"] == ApplicationStatus.CONTRACTED.value:
                    return {
                        "applicationId": application_id,
                        "status": "CONTRACTED",
                        "contractId": contract_id,
                    }
                raise
            continue  # the account already has its first contract: record this one as a later one
        return {
            "applicationId": application_id,
            "status": "CONTRACTED",
            "contractId": contract_id,
            "recorded": True,
        }
    raise RuntimeError(f"could not record the contract of {application_id}")


def contract_item(
    *,
    contract_id: str,
    application_id: str,
    mobile_contract_id: str,
    formed_at: datetime,
    first_under_account: bool,
    holder: dict[str, Any],
    device: dict[str, Any],
    location_opt_out: bool,
    code_mac: str,
    support_phone_number: str,
) -> dict[str, Any]:
    """A newly formed, ACTIVE contract as stored (R6.4, R12), with its index keys."""
    formed = iso(formed_at)
    return {
        **key(contract_id),
        "type": "CONTRACT",
        "contractId": contract_id,
        "applicationId": application_id,
        "mobileContractId": mobile_contract_id,
        "status": ContractStatus.ACTIVE.value,
        "formedAt": formed,
        "firstUnderAccount": first_under_account,
        "firstBillableMonth": str(first_billable_month(formed_at, first_under_account)),
        "holder": holder,
        "device": device,
        "locationOptOut": location_opt_out,
        "memberCodeMac": code_mac,
        "supportPhoneNumber": support_phone_number,
        "gsi1pk": f"ACCOUNT#{mobile_contract_id}",
        "gsi1sk": f"CONTRACT#{formed}#{contract_id}",
        **code_key(code_mac, "CONTRACT"),
        **keys.live_key(contract_id),
    }


def get(contract_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        db.contracts_table().get_item(Key=key(contract_id), ConsistentRead=True).get("Item")
    )
    return item
