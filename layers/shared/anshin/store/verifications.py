"""Identity verification in the Sessions table (R16, Appendix): the contract's failed-attempt
count and lockout (``VERIFY-STATE#<contractId>``), and the verification sessions
(``VERIFY#<verificationId>``) a success opens, both expiring with DynamoDB TTL."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from anshin.domain.clock import iso
from anshin.domain.entities import Verification
from anshin.domain.staff import UNKNOWN_NAME, StaffMember
from anshin.store import db, keys


def locked_until(contract_id: str) -> str | None:
    """Until when verification of the contract is locked, if it ever was (maybe past)."""
    state = db.read(keys.verification_state(contract_id), db.sessions_table()) or {}
    return str(state["lockedUntil"]) if state.get("lockedUntil") else None


def state(contract_id: str) -> dict[str, Any]:
    """The contract's verification state as stored (empty when never tried, or expired): the
    failures in a row, ``lockedUntil``, and the last verification a success opened
    (``verificationId``, ``verifiedAt``, ``verificationExpiresAt``)."""
    return db.read(keys.verification_state(contract_id), db.sessions_table()) or {}


def _remember(verification: Verification) -> dict[str, Any]:
    """The state update a success makes, as a transaction item: failures counted afresh, no
    lockout, and the verification remembered as the contract's current one, with who opened it
    (only they may use it, :func:`anshin.domain.credentials.session_valid`). The state then stays
    (no TTL): it is small."""
    return db.update_op(
        keys.verification_state(str(verification["contractId"])),
        "SET failures = :zero, verificationId = :v, verifiedAt = :at, verificationExpiresAt = :until, "
        "verifiedBy = :by, verifiedByName = :name REMOVE lockedUntil, #t",
        names={"#t": "ttl"},
        values={
            ":zero": 0,
            ":v": verification["verificationId"],
            ":at": verification["verifiedAt"],
            ":until": verification["expiresAt"],
            ":by": verification["staffId"],
            ":name": verification.get("staffName") or UNKNOWN_NAME,
        },
        table=db.sessions_table(),
    )


def take_attempt(contract_id: str, now: datetime, allowed: int) -> int | None:
    """Take one attempt, BEFORE the passphrase is compared: counted as a failure until it is found
    right (a success starts the count afresh, :func:`open_session`). One conditional update:
    refused, and nothing counted, while verification is locked (``lockedUntil`` after ``now``) or
    ``allowed`` attempts in a row are taken already — however many guesses arrive at once, at most
    ``allowed`` are ever compared. A lockout that has passed keeps its state from expiring (TTL)
    while it counts again; the attempt's instant is kept (``lastAttemptAt``). The failures in a
    row with this one, or None when refused."""
    try:
        answer = db.sessions_table().update_item(
            Key=keys.verification_state(contract_id),
            UpdateExpression="ADD failures :one SET lastAttemptAt = :now REMOVE #t",
            ConditionExpression="(attribute_not_exists(failures) OR failures < :allowed) "
            "AND (attribute_not_exists(lockedUntil) OR lockedUntil <= :now)",
            ExpressionAttributeNames={"#t": "ttl"},
            ExpressionAttributeValues={":one": 1, ":allowed": allowed, ":now": iso(now)},
            ReturnValues="UPDATED_NEW",
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        return None
    return int(answer["Attributes"]["failures"])


def give_back_attempt(contract_id: str) -> None:
    """The attempt :func:`take_attempt` took when nothing was compared (no passphrase is set)."""
    try:
        db.sessions_table().update_item(
            Key=keys.verification_state(contract_id),
            UpdateExpression="ADD failures :minus_one",
            ConditionExpression="failures > :zero",
            ExpressionAttributeValues={":minus_one": -1, ":zero": 0},
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        pass  # counted afresh meanwhile (a success, a lockout)


def lock(contract_id: str, until: datetime, allowed: int) -> bool:
    """Lock verification until ``until`` (the state expires then), end the verification in force
    (a lockout stops lock and wipe too) and start counting afresh — if the failures in a row
    still number ``allowed``: a success meanwhile (another attempt taken earlier, found right)
    started the count afresh, and locks nothing then. Whether it locked."""
    try:
        db.sessions_table().update_item(
            Key=keys.verification_state(contract_id),
            UpdateExpression="SET failures = :zero, lockedUntil = :until, #t = :ttl "
            "REMOVE verificationId, verifiedAt, verificationExpiresAt, verifiedBy, verifiedByName",
            ConditionExpression="failures >= :allowed",
            ExpressionAttributeNames={"#t": "ttl"},
            ExpressionAttributeValues={
                ":zero": 0,
                ":until": iso(until),
                ":ttl": int(until.timestamp()),
                ":allowed": allowed,
            },
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        return False
    return True


def open_session(
    verification_id: str,
    contract_id: str,
    staff: StaffMember,
    verified_at: datetime,
    expires_at: datetime,
    audit_entry: dict[str, Any],
) -> None:
    """Open the verification session, remember it on the contract's state and write its audit
    entry (a transaction item of the Contracts table), in one transaction: never a verification
    that the state or the audit does not know."""
    verification: Verification = {
        "type": "VERIFICATION",
        "verificationId": verification_id,
        "contractId": contract_id,
        "staffId": staff.id,
        "staffName": staff.name,
        "verifiedAt": iso(verified_at),
        "expiresAt": iso(expires_at),
        "ttl": int(expires_at.timestamp()),
    }
    item = {**keys.verification(verification_id), **verification}
    db.transact([db.put_op(item, table=db.sessions_table()), _remember(verification), audit_entry])


def session(verification_id: str) -> Verification | None:
    # The storage boundary: the item under a verification's key is a verification session.
    return cast(Verification | None, db.read(keys.verification(verification_id), db.sessions_table()))
