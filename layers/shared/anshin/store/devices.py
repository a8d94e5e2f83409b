"""The device item (``DEVICE#<deviceId>``), the member code's lookup (gsi2), and the credential
writes (Appendix, R16): the device token (only its SHA-256), the passphrase hash on the contract,
and the credential changes written with their audit entry and the WIPE cooldown, all or nothing.

Every write is conditional on what was read; a condition that fails answers False (or the
refusal it means), never a botocore exception."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from boto3.dynamodb.conditions import Key

from anshin.domain.clock import iso
from anshin.domain.entities import Device
from anshin.domain.errors import ContractForming
from anshin.domain.staff import StaffMember, recorded
from anshin.store import audit, db, keys

#: The WIPE cooldown only ever moves later: a change recorded out of order does not shorten it.
_LATER = "(attribute_not_exists(wipeCooldownUntil) OR wipeCooldownUntil < :until)"


@dataclass(frozen=True)
class CredentialChange:
    """A credential change (``DEVICE_REGISTERED_AGAIN``, ``PASSPHRASE_CHANGED``) of the contract's
    device, audited with its write, and the instant until which it holds a WIPE back."""

    contract_id: str
    device_id: str
    what: str
    at: datetime
    until: str

    def audit_entry(self) -> dict[str, Any]:
        return audit.put(self.contract_id, "DEVICE", self.at, self.what, deviceId=self.device_id)


def get(device_id: str) -> Device | None:
    # The storage boundary: the item under a device's key is a device.
    return cast(Device | None, db.read(keys.device(device_id)))


def code_lookup(code_mac: str) -> dict[str, str]:
    """What the member code's digest was issued for: ``{"APPLICATION": <applicationId>}`` and, once
    the contract is recorded, ``{"CONTRACT": <contractId>}`` too; empty for an unknown code."""
    page = db.contracts_table().query(
        IndexName="gsi2", KeyConditionExpression=Key("gsi2pk").eq(keys.code_pk(code_mac))
    )
    ids = {"CONTRACT": "contractId", "APPLICATION": "applicationId"}
    return {
        str(item["gsi2sk"]): str(item[ids[str(item["gsi2sk"])]])
        for item in page["Items"]
        if str(item["gsi2sk"]) in ids
    }


@contextmanager
def contract_forming_meanwhile() -> Iterator[None]:
    """Recording a contract whose transaction is cancelled: the notification workflow is
    recording it this very moment (``ContractForming``, the app tries again)."""
    try:
        yield
    except db.dynamodb().exceptions.TransactionCanceledException:
        raise ContractForming() from None


def register(
    *,
    device_id: str,
    contract_id: str,
    platform: str,
    model: str,
    endpoint: str,
    token_digest: str,
    token_expires_at: str,
    at: datetime,
    previous: Device | None,
    change: CredentialChange | None,
) -> bool:
    """Write the device item, only over what was read (``previous``: nothing else registered the
    device meanwhile); with ``change``, together with its audit entry and the WIPE cooldown (if it
    moves it later). False when the device changed meanwhile."""
    device: Device = {
        "type": "DEVICE",
        "deviceId": device_id,
        "contractId": contract_id,
        "platform": platform,
        "model": model,
        # The push channel: the platform endpoint of the device's push token (the token itself
        # is not kept here; SNS holds it).
        "endpointArn": endpoint,
        "tokenDigest": token_digest,
        "tokenExpiresAt": token_expires_at,
        "registeredAt": iso(at),
    }
    if change is not None and previous is not None:
        # Kept through the cooldown, for locks (anshin.relay): the app registered before may be
        # the subscriber's own, on the real phone.
        device["previousEndpointArn"] = previous["endpointArn"]
        device["previousEndpointUntil"] = change.until
    item = {**keys.device(device_id), **device}
    put = (
        db.put_op(item, condition=db.IF_ABSENT)
        if previous is None
        else db.put_op(item, condition="contractId = :was", values={":was": previous["contractId"]})
    )
    if change is None:
        if previous is not None and previous.get("contractId") == contract_id:
            return db.transact([put])  # the same app again: no new registration
        registered = audit.put(contract_id, "DEVICE", at, "DEVICE_REGISTERED", deviceId=device_id)
        return db.transact([put, registered])
    cooldown = db.update_op(
        keys.contract(change.contract_id),
        "SET wipeCooldownUntil = :until",
        condition=f"attribute_exists(pk) AND {_LATER}",
        values={":until": change.until},
    )
    return db.transact([put, change.audit_entry(), cooldown], optional=2)


def rotate_token(
    device_id: str, old_digest: str, new_digest: str, expires_at: str, now: datetime, contract_id: str
) -> bool:
    """Replace the token, conditional on the one authenticated with, so two rotations cannot both
    win; audited (``DEVICE_TOKEN_ROTATED``) in the same transaction. False when it was rotated or
    revoked meanwhile."""
    return db.transact(
        [
            db.update_op(
                keys.device(device_id),
                "SET tokenDigest = :new, tokenExpiresAt = :expires, rotatedAt = :now",
                condition="tokenDigest = :old",
                values={":new": new_digest, ":old": old_digest, ":expires": expires_at, ":now": iso(now)},
            ),
            audit.put(contract_id, "DEVICE", now, "DEVICE_TOKEN_ROTATED", deviceId=device_id),
        ]
    )


def revoke(contract_id: str, device_id: str, staff: StaffMember, at: datetime, reason: str) -> None:
    """Drop the device's token, audited in the same transaction; who did it by id and name
    (``revokedBy``/``revokedByName``, the entry's ``staffId``/``staffName``)."""
    db.transact(
        [
            db.update_op(
                keys.device(device_id),
                "REMOVE tokenDigest SET revokedAt = :at, revokedBy = :staff, revokedByName = :name",
                values={":at": iso(at), ":staff": staff.id, ":name": staff.name},
            ),
            audit.put(
                contract_id,
                "DEVICE",
                at,
                "DEVICE_TOKEN_REVOKED",
                deviceId=device_id,
                **recorded(staff),
                reason=reason,
            ),
        ]
    )


def set_passphrase(
    contract_id: str,
    passphrase_hash: str,
    previous_hash: str | None,
    at: datetime,
    change: CredentialChange | None,
) -> bool:
    """Store the passphrase hash on the contract, conditional on the hash read (so a change is
    never mistaken for a first one); with ``change``, together with its audit entry and the WIPE
    cooldown (written without the cooldown when a later one is already there). False when the
    passphrase changed meanwhile."""
    values = {":h": passphrase_hash, ":at": iso(at), **({":old": previous_hash} if previous_hash else {})}
    update = {
        "TableName": db.contracts_table().name,
        "Key": db.serializer().key(keys.contract(contract_id)),
        "UpdateExpression": "SET passphraseHash = :h, passphraseSetAt = :at",
        "ConditionExpression": "passphraseHash = :old"
        if previous_hash
        else "attribute_not_exists(passphraseHash)",
        "ExpressionAttributeValues": db.serializer().values(values),
    }
    if change is None:
        return db.transact([{"Update": update}])
    entry = change.audit_entry()
    with_cooldown = {
        **update,
        "UpdateExpression": f"{update['UpdateExpression']}, wipeCooldownUntil = :until",
        "ConditionExpression": f"({update['ConditionExpression']}) AND {_LATER}",
        "ExpressionAttributeValues": {
            **update["ExpressionAttributeValues"],
            **db.serializer().values({":until": change.until}),
        },
    }
    return db.transact([{"Update": with_cooldown}, entry]) or db.transact([{"Update": update}, entry])
