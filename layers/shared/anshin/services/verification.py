"""Identity verification with the registered passphrase (Appendix: lock and wipe need it).

A success opens a verification session for 10 minutes (DynamoDB TTL, and checked on read). Five
failures in a row lock verification for that contract for 30 minutes. Staff see where it stands
(:func:`state`). Every attempt is audited:
who (by id and name, anshin.domain.staff), when, the outcome; never the passphrase.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from anshin.domain import credentials as rules
from anshin.domain.clock import iso
from anshin.domain.errors import ContractEnded, NoPassphrase, PassphraseMismatch, VerificationLocked
from anshin.domain.staff import StaffMember, recorded
from anshin.services import credentials
from anshin.store import audit, contracts, verifications


def _audit(contract_id: str, staff: StaffMember, at: datetime, outcome: str) -> None:
    audit.write(contract_id, "VERIFY", at, outcome, **recorded(staff))


def verify(contract_id: str, passphrase: str, staff: StaffMember, now: datetime) -> dict[str, Any]:
    try:
        contract = contracts.require_live(contract_id)
    except ContractEnded:
        _audit(contract_id, staff, now, "CONTRACT_NOT_ACTIVE")
        raise
    locked_until = verifications.locked_until(contract_id)
    if rules.is_locked(locked_until, now):
        _audit(contract_id, staff, now, "LOCKED")
        raise VerificationLocked(lockedUntil=locked_until)
    if "passphraseHash" not in contract:
        _audit(contract_id, staff, now, "NO_PASSPHRASE")
        raise NoPassphrase(contract_id)
    if credentials.passphrase_matches(str(contract["passphraseHash"]), passphrase):
        verification_id = f"ver-{uuid.uuid4().hex}"
        expires_at = now + rules.VALID_FOR
        # Opens the session, clears the failures and remembers it as the contract's current one,
        # with its audit entry, in one transaction.
        entry = audit.put(contract_id, "VERIFY", now, "VERIFIED", **recorded(staff))
        verifications.open_session(verification_id, contract_id, staff, now, expires_at, entry)
        return {"verificationId": verification_id, "expiresAt": iso(expires_at)}
    if rules.locks(verifications.count_failure(contract_id)):
        verifications.lock(contract_id, now + rules.LOCKED_FOR)
        _audit(contract_id, staff, now, "FAILED_AND_LOCKED")
    else:
        _audit(contract_id, staff, now, "FAILED")
    raise PassphraseMismatch(contract_id)


def valid_verification(verification_id: str | None, contract_id: str, staff_id: str, now: datetime) -> bool:
    """A verification that exists, is for ``contract_id``, was opened by ``staff_id`` and has not
    expired, while verification of the contract is not locked out (a lockout ends it)."""
    if not verification_id or rules.is_locked(verifications.locked_until(contract_id), now):
        return False
    return rules.session_valid(verifications.session(verification_id), contract_id, staff_id, now)


def state(contract_id: str, now: datetime, staff: StaffMember) -> dict[str, Any]:
    """Where identity verification of the contract stands at ``now`` (R16, Appendix): ``NONE``,
    ``VERIFIED`` (with the verification, valid 10 minutes) or ``LOCKED_OUT`` (until when), with
    the failures in a row and the attempts left before the lockout. Never the passphrase."""
    contracts.require(contract_id)
    stored = verifications.state(contract_id)
    return {"contractId": contract_id, **rules.verification_view(stored, now, staff.id)}
