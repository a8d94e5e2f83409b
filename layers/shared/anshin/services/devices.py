"""Devices that run the support app (Appendix, R16): registration, device tokens, passphrases.

A device registers with the member confirmation code the contract notification carried (only its
keyed digest is stored, anshin.mac). An unknown code and a known code with another device are
one refusal, and attempts are limited per code and per source (anshin.limits). The device gets a
token, shown once; only its SHA-256 is kept. A token lives ``DEVICE_TOKEN_DAYS`` (the app rotates
it before then), dies with the contract, and staff can revoke it. The subscriber's passphrase
(合言葉) is stored only as an Argon2id hash (R16).

Registering a device that is already registered, or changing the passphrase, is what someone who
learnt the code and the device id would do to take a phone over. So each is audited, the
subscriber is told (customer-notification topic), and for ``CREDENTIAL_COOLDOWN_HOURS`` after it a
WIPE is refused (a LOCK is not: it protects the subscriber either way).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from boto3.dynamodb.conditions import Key

from anshin.adapters import mac, metrics, notifications, push
from anshin.domain.clock import iso, parse_iso
from anshin.domain.contract_rules import ContractStatus
from anshin.domain.errors import ContractEnded, ContractNotFound
from anshin.services import applications, contracts
from anshin.services.applications import ApplicationStatus
from anshin.store import audit, db, limits

_hasher = PasswordHasher()


class UnknownCode(LookupError):
    """No contract has this code for this device: one refusal whether the code is unknown or
    belongs to another device, so a guess learns nothing."""


class TokenRefused(Exception):
    """Not this device's token, expired, revoked, or its contract has ended."""


class UnsupportedDevice(Exception):
    """The support app runs on Android only (Appendix)."""


def key(device_id: str) -> dict[str, str]:
    return {"pk": f"DEVICE#{device_id}", "sk": "DEVICE"}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ContractForming(Exception):
    """The code's notification is being sent this very moment: its contract forms when SNS has
    accepted it (R6.4). The app tries again shortly."""


def contract_by_code(code_mac: str, device_id: str) -> dict[str, Any] | None:
    """The contract the code was sent for, protecting ``device_id``, valid from the instant the code
    was sent (R6.4); None when there is none (the same answer for another device's code).

    Once recorded, the code's lookup is on the contract. Until then it is on the application that
    issued it: a notified application's contract is recorded here and now, by the very step the
    notification workflow runs (idempotent: whichever comes first records it, once)."""
    lookup = contracts.code_key(code_mac, "")["gsi2pk"]
    page = db.contracts_table().query(IndexName="gsi2", KeyConditionExpression=Key("gsi2pk").eq(lookup))
    found = {str(item["gsi2sk"]): item for item in page["Items"]}
    if "CONTRACT" in found:
        contract = contracts.get(str(found["CONTRACT"]["contractId"]))
        return contract if contract is not None and contract["device"]["deviceId"] == device_id else None
    if "APPLICATION" not in found:
        return None
    application = applications.get(str(found["APPLICATION"]["applicationId"]))
    if (
        application is None
        or application["device"]["deviceId"] != device_id
        or application["status"] not in (ApplicationStatus.APPROVED.value, ApplicationStatus.CONTRACTED.value)
    ):
        return None  # another device's code, or no contract formed (NOTIFICATION_FAILED)
    if "formedAt" not in application:
        raise ContractForming()
    try:
        recorded = contracts.record_contract(str(application["applicationId"]))
    except db.dynamodb().exceptions.TransactionCanceledException:
        raise ContractForming() from None  # the workflow is recording it this very moment
    if recorded.get("recorded"):
        metrics.count("ContractsFormed")
    return contracts.get(str(recorded["contractId"]))


#: What the token, the cooldown and the attempt limits default to (settings of the deployment).
TOKEN_DAYS = 30
COOLDOWN_HOURS = 24
#: Registration attempts allowed per code and per source address in each window.
ATTEMPTS_PER_CODE = 5
ATTEMPTS_PER_SOURCE = 20
ATTEMPT_WINDOW = timedelta(minutes=15)


def _token_lifetime() -> timedelta:
    return timedelta(days=int(os.environ.get("DEVICE_TOKEN_DAYS", TOKEN_DAYS)))


def cooldown() -> timedelta:
    return timedelta(hours=int(os.environ.get("CREDENTIAL_COOLDOWN_HOURS", COOLDOWN_HOURS)))


def register(
    member_confirmation_code: str,
    device_id: str,
    model: str,
    platform: str,
    push_token: str,
    at: datetime,
    source: str,
) -> dict[str, Any]:
    """Register the support app on the contract's device; returns the new device token (once).

    A device id protected by another contract that has not ended is refused like an unknown code.
    Registering again (a reinstall, or someone who learnt the code) replaces the token and the
    push endpoint and is a credential change: audited, told to the subscriber, WIPE held back. The
    same app retrying (the same push endpoint) is not."""
    if platform != "android":
        raise UnsupportedDevice(platform)  # before the code is looked at: it tells nothing about it
    per_source = int(os.environ.get("REGISTRATION_ATTEMPTS_PER_SOURCE", ATTEMPTS_PER_SOURCE))
    limits.take("REGISTER-SOURCE", source, per_source, ATTEMPT_WINDOW, at)
    code_mac = mac.code_mac(member_confirmation_code)
    limits.check("REGISTER-CODE", code_mac, ATTEMPTS_PER_CODE, ATTEMPT_WINDOW, at)
    contract = contract_by_code(code_mac, device_id)
    previous = get(device_id)
    if contract is not None and previous is not None and previous.get("contractId") != contract["contractId"]:
        other = contracts.get(str(previous["contractId"]))
        if other is not None and other["status"] != ContractStatus.ENDED.value:
            contract = None  # the device is another live contract's
    if contract is None:
        limits.take_quietly("REGISTER-CODE", code_mac, ATTEMPTS_PER_CODE, ATTEMPT_WINDOW, at)
        raise UnknownCode()
    if contract["status"] == ContractStatus.ENDED.value:
        raise ContractEnded(contract["contractId"])
    contract_id = str(contract["contractId"])
    endpoint = push.create_endpoint(push_token)
    token = secrets.token_urlsafe(32)
    expires = iso(at + _token_lifetime())
    device = {
        **key(device_id),
        "type": "DEVICE",
        "deviceId": device_id,
        "contractId": contract_id,
        "platform": platform,
        "model": model,
        # The push channel: the platform endpoint of the device's push token (the token itself
        # is not kept here; SNS holds it).
        "endpointArn": endpoint,
        "tokenDigest": token_digest(token),
        "tokenExpiresAt": expires,
        "registeredAt": iso(at),
    }
    # Only over what was read: nothing else registered the device meanwhile.
    condition: dict[str, Any] = (
        {"ConditionExpression": "attribute_not_exists(pk)"}
        if previous is None
        else {
            "ConditionExpression": "contractId = :was",
            "ExpressionAttributeValues": db.serializer().values({":was": previous["contractId"]}),
        }
    )
    changed = (
        previous is not None
        and previous.get("contractId") == contract_id
        and previous.get("endpointArn") != endpoint
    )
    if changed and previous is not None:
        # Kept through the cooldown, for locks (anshin.relay): the app registered before may be
        # the subscriber's own, on the real phone.
        device["previousEndpointArn"] = previous["endpointArn"]
        device["previousEndpointUntil"] = iso(at + cooldown())
    put = {"Put": {"TableName": db.contracts_table().name, "Item": db.serializer().item(device), **condition}}
    if changed:
        written = _credential_changed(contract, device_id, at, "DEVICE_REGISTERED_AGAIN", put)
    else:
        written = db.transact([put])
    if not written:
        raise UnknownCode()  # registered by someone else in between
    return {"deviceId": device_id, "contractId": contract_id, "deviceToken": token, "tokenExpiresAt": expires}


def _credential_changed(
    contract: dict[str, Any], device_id: str, at: datetime, what: str, change: dict[str, Any]
) -> bool:
    """Make ``change`` (a transaction item) together with its audit entry and the WIPE cooldown,
    all or nothing, then tell the subscriber (their contact on file). The cooldown only ever
    moves later: a change recorded out of order is audited without shortening it."""
    contract_id = str(contract["contractId"])
    until = iso(at + cooldown())
    entry = audit.put(contract_id, "DEVICE", at, what, deviceId=device_id)
    later = "(attribute_not_exists(wipeCooldownUntil) OR wipeCooldownUntil < :until)"
    if change.get("Update", {}).get("Key") == db.serializer().key(contracts.key(contract_id)):
        # The change is to the contract itself (the passphrase): the cooldown joins its update.
        update = dict(change["Update"])
        with_cooldown = {
            "Update": {
                **update,
                "UpdateExpression": update["UpdateExpression"] + ", wipeCooldownUntil = :until",
                "ConditionExpression": f"({update['ConditionExpression']}) AND {later}",
                "ExpressionAttributeValues": {
                    **update["ExpressionAttributeValues"],
                    **db.serializer().values({":until": until}),
                },
            }
        }
        written = db.transact([with_cooldown, entry]) or db.transact([change, entry])
    else:
        cooldown_item = {
            "Update": {
                "TableName": db.contracts_table().name,
                "Key": db.serializer().key(contracts.key(contract_id)),
                "UpdateExpression": "SET wipeCooldownUntil = :until",
                "ConditionExpression": f"attribute_exists(pk) AND {later}",
                "ExpressionAttributeValues": db.serializer().values({":until": until}),
            }
        }
        written = db.transact([change, entry, cooldown_item], optional=2)
    if not written:
        return False  # the change itself no longer applies (made concurrently by another call)
    notifications.publish(
        {
            "kind": what,
            "contractId": contract_id,
            "deviceId": device_id,
            "at": iso(at),
            "wipeRefusedUntil": until,
            "email": contract["holder"]["email"],
            "phone": contract["holder"]["phone"],
        },
        notification_id=f"{what}#{contract_id}#{iso(at)}",
    )
    return True


def get(device_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        db.contracts_table().get_item(Key=key(device_id), ConsistentRead=True).get("Item")
    )
    return item


def authenticate(device_id: str, token: str | None, now: datetime) -> dict[str, Any] | None:
    """The device record if ``token`` is this device's live token (constant-time compare): not
    expired, not revoked, and its contract not ended. Else None."""
    device = get(device_id)
    if device is None or not token or "tokenDigest" not in device:
        return None
    if not hmac.compare_digest(str(device["tokenDigest"]), token_digest(token)):
        return None
    if "tokenExpiresAt" not in device or parse_iso(str(device["tokenExpiresAt"])) <= now:
        return None
    contract = contracts.get(str(device["contractId"]))
    if contract is None or contract["status"] == ContractStatus.ENDED.value:
        return None  # a contract's end revokes its device's token
    if "endsAt" in contract and parse_iso(str(contract["endsAt"])) <= now:
        return None  # ended in fact, before the month-end run records it
    return device


def rotate_token(device: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The app's own token rotation: a new token for the authenticated device, the old one dead.
    Conditional on the token it was authenticated with, so two rotations cannot both win."""
    token = secrets.token_urlsafe(32)
    expires = iso(now + _token_lifetime())
    try:
        db.contracts_table().update_item(
            Key=key(str(device["deviceId"])),
            UpdateExpression="SET tokenDigest = :new, tokenExpiresAt = :expires, rotatedAt = :now",
            ConditionExpression="tokenDigest = :old",
            ExpressionAttributeValues={
                ":new": token_digest(token),
                ":old": device["tokenDigest"],
                ":expires": expires,
                ":now": iso(now),
            },
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        raise TokenRefused() from None  # rotated or revoked meanwhile: this token is dead
    return {"deviceId": device["deviceId"], "deviceToken": token, "tokenExpiresAt": expires}


def revoke(contract_id: str, device_id: str, staff_id: str, at: datetime, reason: str) -> dict[str, Any]:
    """Staff revoke a device's token (a lost phone, a suspected takeover), audited. The app must
    register again with the member code, which then starts the WIPE cooldown."""
    contract = contracts.get(contract_id)
    if contract is None:
        raise ContractNotFound(contract_id)
    device = get(device_id)
    if device is None or device.get("contractId") != contract_id:
        raise UnknownDevice(device_id)
    db.transact(
        [
            {
                "Update": {
                    "TableName": db.contracts_table().name,
                    "Key": db.serializer().key(key(device_id)),
                    "UpdateExpression": "REMOVE tokenDigest SET revokedAt = :at, revokedBy = :staff",
                    "ExpressionAttributeValues": db.serializer().values({":at": iso(at), ":staff": staff_id}),
                }
            },
            audit.put(
                contract_id,
                "DEVICE",
                at,
                "DEVICE_TOKEN_REVOKED",
                deviceId=device_id,
                staffId=staff_id,
                reason=reason,
            ),
        ]
    )
    return {"deviceId": device_id, "contractId": contract_id, "revokedAt": iso(at)}


class UnknownDevice(LookupError):
    """No device of this contract has this id."""


def set_passphrase(contract_id: str, device_id: str, passphrase: str, at: datetime) -> None:
    """R16: store the passphrase as a salted, slow hash only. Changing one already set is a
    credential change: written with its audit entry and the WIPE cooldown, all or nothing, and
    told to the subscriber. Conditional on the passphrase read, so the change is never mistaken
    for a first one."""
    contract = contracts.get(contract_id)
    if contract is None:
        raise ContractNotFound(contract_id)
    previous = contract.get("passphraseHash")
    values = {":h": _hasher.hash(passphrase), ":at": iso(at), **({":old": previous} if previous else {})}
    update = {
        "Update": {
            "TableName": db.contracts_table().name,
            "Key": db.serializer().key(contracts.key(contract_id)),
            "UpdateExpression": "SET passphraseHash = :h, passphraseSetAt = :at",
            "ConditionExpression": "passphraseHash = :old"
            if previous
            else "attribute_not_exists(passphraseHash)",
            "ExpressionAttributeValues": db.serializer().values(values),
        }
    }
    written = (
        _credential_changed(contract, device_id, at, "PASSPHRASE_CHANGED", update)
        if previous
        else db.transact([update])
    )
    if not written:
        raise PassphraseRace()


class PassphraseRace(Exception):
    """The passphrase changed while this one was being set: the caller tries again."""


def passphrase_matches(contract: dict[str, Any], passphrase: str) -> bool:
    try:
        return bool(_hasher.verify(str(contract["passphraseHash"]), passphrase))
    except (VerificationError, InvalidHashError):
        return False
