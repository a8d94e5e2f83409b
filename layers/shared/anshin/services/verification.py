"""Identity verification with the registered passphrase (Appendix: lock and wipe need it).

A success opens a verification session for 10 minutes (DynamoDB TTL, and checked on read). Five
failures in a row lock verification for that contract for 30 minutes. Every attempt is audited:
who, when, the outcome; never the passphrase.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from anshin.domain.clock import iso, parse_iso
from anshin.domain.contract_rules import ContractStatus
from anshin.domain.errors import ContractEnded, ContractNotFound
from anshin.services import contracts, devices
from anshin.store import audit, db

VALID_FOR = timedelta(minutes=10)
MAX_FAILURES = 5
LOCKED_FOR = timedelta(minutes=30)


class NoPassphrase(Exception):
    pass


class Locked(Exception):
    def __init__(self, until: str) -> None:
        super().__init__(until)
        self.until = until


class NotVerified(Exception):
    pass


def _state_key(contract_id: str) -> dict[str, str]:
    return {"pk": f"VERIFY-STATE#{contract_id}", "sk": "STATE"}


def session_key(verification_id: str) -> dict[str, str]:
    return {"pk": f"VERIFY#{verification_id}", "sk": "VERIFY"}


def _audit(contract_id: str, staff_id: str, at: datetime, outcome: str) -> None:
    db.contracts_table().put_item(Item=audit.item(contract_id, "VERIFY", at, outcome, staffId=staff_id))


def verify(contract_id: str, passphrase: str, staff_id: str, now: datetime) -> dict[str, Any]:
    contract = contracts.get(contract_id)
    if contract is None:
        raise ContractNotFound(contract_id)
    if contract["status"] == ContractStatus.ENDED.value:
        _audit(contract_id, staff_id, now, "CONTRACT_NOT_ACTIVE")
        raise ContractEnded(contract_id)
    sessions = db.sessions_table()
    state = sessions.get_item(Key=_state_key(contract_id), ConsistentRead=True).get("Item") or {}
    if state.get("lockedUntil") and parse_iso(str(state["lockedUntil"])) > now:
        _audit(contract_id, staff_id, now, "LOCKED")
        raise Locked(str(state["lockedUntil"]))
    if "passphraseHash" not in contract:
        _audit(contract_id, staff_id, now, "NO_PASSPHRASE")
        raise NoPassphrase(contract_id)
    if devices.passphrase_matches(contract, passphrase):
        sessions.update_item(
            Key=_state_key(contract_id),
            UpdateExpression="SET failures = :zero REMOVE lockedUntil",
            ExpressionAttributeValues={":zero": 0},
        )
        verification_id = f"ver-{uuid.uuid4().hex}"
        expires_at = now + VALID_FOR
        sessions.put_item(
            Item={
                **session_key(verification_id),
                "type": "VERIFICATION",
                "verificationId": verification_id,
                "contractId": contract_id,
                "staffId": staff_id,
                "verifiedAt": iso(now),
                "expiresAt": iso(expires_at),
                "ttl": int(expires_at.timestamp()),
            }
        )
        _audit(contract_id, staff_id, now, "VERIFIED")
        return {"verificationId": verification_id, "expiresAt": iso(expires_at)}
    failures = int(
        sessions.update_item(
            Key=_state_key(contract_id),
            UpdateExpression="ADD failures :one",
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_NEW",
        )["Attributes"]["failures"]
    )
    if failures >= MAX_FAILURES:
        until = now + LOCKED_FOR
        sessions.update_item(
            Key=_state_key(contract_id),
            UpdateExpression="SET failures = :zero, lockedUntil = :until, #t = :ttl",
            ExpressionAttributeNames={"#t": "ttl"},
            ExpressionAttributeValues={":zero": 0, ":until": iso(until), ":ttl": int(until.timestamp())},
        )
        _audit(contract_id, staff_id, now, "FAILED_AND_LOCKED")
    else:
        _audit(contract_id, staff_id, now, "FAILED")
    raise NotVerified(contract_id)


def valid_verification(verification_id: str | None, contract_id: str, now: datetime) -> bool:
    """A verification that exists, is for ``contract_id`` and has not expired (TTL deletion is
    lazy, so the expiry is checked here too)."""
    if not verification_id:
        return False
    item = db.sessions_table().get_item(Key=session_key(verification_id), ConsistentRead=True).get("Item")
    return bool(item) and item["contractId"] == contract_id and parse_iso(str(item["expiresAt"])) > now
