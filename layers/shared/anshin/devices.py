"""Devices that run the support app (Appendix, R16): registration, device tokens, passphrases.

A device registers with the member confirmation code the contract notification carried (only its
digest is stored). It gets a device token, shown once; only the token's SHA-256 is kept. The
subscriber's passphrase (合言葉) is stored only as an Argon2id hash (R16).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from boto3.dynamodb.conditions import Key

from anshin import applications, aws, contracts, metrics, push
from anshin.applications import ApplicationStatus
from anshin.clock import iso
from anshin.contract_rules import ContractStatus
from anshin.errors import ContractEnded

_hasher = PasswordHasher()


class UnknownCode(LookupError):
    pass


class DeviceMismatch(Exception):
    """The device is not the one the contract protects (R16: the device id identifies it)."""


class UnsupportedDevice(Exception):
    """The support app runs on Android only (Appendix)."""


def key(device_id: str) -> dict[str, str]:
    return {"pk": f"DEVICE#{device_id}", "sk": "DEVICE"}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ContractForming(Exception):
    """The code's notification is being sent this very moment: its contract forms when SNS has
    accepted it (R6.4). The app tries again shortly."""


def contract_by_code(member_confirmation_code: str) -> dict[str, Any] | None:
    """The contract the code was sent for, valid from the instant it was sent (R6.4).

    Once recorded, the code's lookup is on the contract. Until then it is on the application that
    issued it: a notified application's contract is recorded here and now, by the very step the
    notification workflow runs (idempotent: whichever comes first records it, once)."""
    lookup = contracts.code_key(member_confirmation_code, "")["gsi2pk"]
    page = aws.contracts_table().query(IndexName="gsi2", KeyConditionExpression=Key("gsi2pk").eq(lookup))
    found = {str(item["gsi2sk"]): item for item in page["Items"]}
    if "CONTRACT" in found:
        return contracts.get(str(found["CONTRACT"]["contractId"]))
    if "APPLICATION" not in found:
        return None
    application = applications.get(str(found["APPLICATION"]["applicationId"]))
    if application is None or application["status"] not in (
        ApplicationStatus.APPROVED.value,
        ApplicationStatus.CONTRACTED.value,
    ):
        return None  # no contract formed (NOTIFICATION_FAILED)
    if "formedAt" not in application:
        raise ContractForming()
    recorded = contracts.record_contract(str(application["applicationId"]))
    if recorded.get("recorded"):
        metrics.count("ContractsFormed")
    return contracts.get(str(recorded["contractId"]))


def register(
    member_confirmation_code: str, device_id: str, model: str, platform: str, push_token: str, at: datetime
) -> dict[str, Any]:
    """Register the support app on the contract's device; returns the new device token (once).
    Registering again (a reinstall) replaces the token and the push endpoint."""
    contract = contract_by_code(member_confirmation_code)
    if contract is None:
        raise UnknownCode()
    if contract["status"] == ContractStatus.ENDED.value:
        raise ContractEnded(contract["contractId"])
    if platform != "android":
        raise UnsupportedDevice(platform)
    if contract["device"]["deviceId"] != device_id:
        raise DeviceMismatch(device_id)
    token = secrets.token_urlsafe(32)
    aws.contracts_table().put_item(
        Item={
            **key(device_id),
            "type": "DEVICE",
            "deviceId": device_id,
            "contractId": contract["contractId"],
            "platform": platform,
            "model": model,
            # The push channel: the platform endpoint of the device's push token (the token
            # itself is not kept here; SNS holds it).
            "endpointArn": push.create_endpoint(push_token),
            "tokenDigest": token_digest(token),
            "registeredAt": iso(at),
        }
    )
    return {"deviceId": device_id, "contractId": contract["contractId"], "deviceToken": token}


def get(device_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        aws.contracts_table().get_item(Key=key(device_id), ConsistentRead=True).get("Item")
    )
    return item


def authenticate(device_id: str, token: str | None) -> dict[str, Any] | None:
    """The device record if ``token`` is this device's token, else None (constant-time compare)."""
    device = get(device_id)
    if device is None or not token:
        return None
    return device if hmac.compare_digest(device["tokenDigest"], token_digest(token)) else None


def set_passphrase(contract_id: str, passphrase: str, at: datetime) -> None:
    """R16: store the passphrase as a salted, slow hash only."""
    aws.contracts_table().update_item(
        Key=contracts.key(contract_id),
        UpdateExpression="SET passphraseHash = :h, passphraseSetAt = :at",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":h": _hasher.hash(passphrase), ":at": iso(at)},
    )


def passphrase_matches(contract: dict[str, Any], passphrase: str) -> bool:
    try:
        return bool(_hasher.verify(str(contract["passphraseHash"]), passphrase))
    except (VerificationError, InvalidHashError):
        return False
