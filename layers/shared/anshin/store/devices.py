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
from typing import Any, Literal

from boto3.dynamodb.conditions import Key

from anshin.domain.clock import iso, parse_iso
from anshin.domain.entities import Contract, Device
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
    """The device, parsed (``InvariantViolation`` when the item is not a consistent one)."""
    item = db.read(keys.device(device_id))
    return None if item is None else Device.from_item(item)


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
    token_expires_at: datetime,
    at: datetime,
    previous: Device | None,
    change: CredentialChange | None,
    locks_also_to: str | None = None,
) -> bool:
    """Write the device item, only over what was read (``previous``: nothing else registered the
    device meanwhile), with its audit entry: ``DEVICE_REGISTERED`` for a first registration on
    the contract, else ``change`` (a credential change) with the WIPE cooldown (if it moves it
    later). ``locks_also_to``: the endpoint LOCKs keep going to until the change's cooldown ends
    (anshin.domain.credentials.first_endpoint). A revocation is not carried over: the caller
    refused the registration unless the code was reissued since. False when the device changed
    meanwhile."""
    # The push channel: the platform endpoint of the device's push token (the token itself is
    # not kept here; SNS holds it). The app registered before the first change is kept through
    # the cooldown, for locks (anshin.relay): it may be the subscriber's own, on the real phone.
    kept = change is not None and bool(locks_also_to) and locks_also_to != endpoint
    device = Device(
        device_id=device_id,
        contract_id=contract_id,
        platform=platform,
        model=model,
        registered_at=at,
        token_expires_at=token_expires_at,
        endpoint_arn=endpoint,
        token_digest=token_digest,
        previous_endpoint_arn=locks_also_to if kept else None,
        previous_endpoint_until=parse_iso(change.until) if kept and change is not None else None,
    )
    item = {**keys.device(device_id), **device.to_item()}
    put = (
        db.put_op(item, condition=db.IF_ABSENT)
        if previous is None
        else db.put_op(item, condition="contractId = :was", values={":was": previous.contract_id})
    )
    if change is None:
        registered = audit.put(contract_id, "DEVICE", at, "DEVICE_REGISTERED", deviceId=device_id)
        return db.transact([put, registered])
    cooldown = db.update_op(
        keys.contract(change.contract_id),
        "SET wipeCooldownUntil = :until",
        condition=f"attribute_exists(pk) AND {_LATER}",
        values={":until": change.until},
    )
    return db.transact([put, change.audit_entry(), cooldown], optional=2)


def registration_locked_out(contract_id: str, device_id: str, at: datetime, until: str) -> None:
    """Audit, on the contract protecting the device, that its registrations are locked out
    after too many wrong member codes (issue 24)."""
    audit.write(contract_id, "DEVICE", at, "REGISTRATION_LOCKED_OUT", deviceId=device_id, lockedUntil=until)


def reissue_code(
    contract: Contract,
    code_mac: str,
    at: datetime,
    staff: StaffMember,
    reason: str,
    application_lookup: bool,
) -> Literal["REISSUED", "CODE_TAKEN", "CHANGED"]:
    """Move the contract's member-code lookup to ``code_mac`` (claimed for ever, like every code:
    anshin.store.keys.code_claim) and note when, with its audit entry, in one transaction,
    conditional on the code read; with ``application_lookup``, the application's own lookup of
    the first code (kept after recording before issue 24) goes too. CODE_TAKEN: the code was
    issued before (draw another); CHANGED: the contract's code moved meanwhile."""
    contract_id = contract.contract_id
    lookup = keys.code_lookup(code_mac, "CONTRACT")
    client = db.dynamodb()
    try:
        client.transact_write_items(
            TransactItems=[
                db.put_op({**keys.code_claim(code_mac), "type": "CODE_CLAIM"}, condition=db.IF_ABSENT),
                db.update_op(
                    keys.contract(contract_id),
                    "SET memberCodeMac = :mac, memberCodeIssuedAt = :at, gsi2pk = :pk, gsi2sk = :sk",
                    condition="memberCodeMac = :old",
                    values={
                        ":mac": code_mac,
                        ":at": iso(at),
                        ":pk": lookup["gsi2pk"],
                        ":sk": lookup["gsi2sk"],
                        ":old": contract.member_code_mac,
                    },
                ),
                *(
                    [db.update_op(keys.application(contract.application_id), "REMOVE gsi2pk, gsi2sk")]
                    if application_lookup
                    else []
                ),
                audit.put(
                    contract_id, "DEVICE", at, "MEMBER_CODE_REISSUED", **recorded(staff), reason=reason
                ),
            ]
        )
    except client.exceptions.TransactionCanceledException as error:
        claim, moved = [*db.cancellation_reasons(error), None, None][:2]
        if claim == "ConditionalCheckFailed":
            return "CODE_TAKEN"
        if moved == "ConditionalCheckFailed":
            return "CHANGED"
        raise
    return "REISSUED"


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
