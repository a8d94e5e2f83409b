"""Identity verification with the registered passphrase (Appendix: lock and wipe need it).

A success opens a verification session for 10 minutes (DynamoDB TTL, and checked on read). Five
failures in a row lock verification for that contract for 30 minutes; each attempt is counted
before the passphrase is compared, so parallel guesses cannot pass the lockout (:func:`verify`).
Staff see where it stands (:func:`state`). Every attempt is audited: who (by id and name,
anshin.domain.staff), when, the outcome (``VERIFIED``, ``FAILED``, ``FAILED_AND_LOCKED``,
``LOCKED``, ``NO_PASSPHRASE``, ``CONTRACT_NOT_ACTIVE``); never the passphrase.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from anshin.domain import credentials as rules
from anshin.domain.clock import iso, parse_iso
from anshin.domain.errors import ContractEnded, NoPassphrase, PassphraseMismatch, VerificationLocked
from anshin.domain.staff import StaffMember, recorded
from anshin.services import credentials
from anshin.store import audit, contracts, verifications


def _audit(contract_id: str, staff: StaffMember, at: datetime, outcome: str) -> None:
    audit.write(contract_id, "VERIFY", at, outcome, **recorded(staff))


#: Longer than any attempt takes (the function's timeout is 30 s): a row of attempts used up with
#: no lockout written this long after the last one was taken means that attempt's function died
#: before it could lock.
STALE_ATTEMPT = timedelta(minutes=2)


def _refused(contract_id: str, now: datetime) -> VerificationLocked | None:
    """Why an attempt was refused (:func:`verifications.take_attempt` took none): the lockout in
    force, or — every attempt of the row taken, the last ones still being compared — a lockout
    whose end is not known yet. None when the row was left by an attempt whose function died
    before it locked (:data:`STALE_ATTEMPT`): the lockout it would have written, from its
    attempt's instant, is written now, and when it is already over the caller tries again."""
    stored = verifications.state(contract_id)
    locked_until = str(stored["lockedUntil"]) if stored.get("lockedUntil") else None
    if rules.is_locked(locked_until, now):
        return VerificationLocked(lockedUntil=locked_until)
    if not rules.locks(int(stored.get("failures", 0) or 0)):
        return None  # the lockout ended, or a success started afresh, meanwhile
    last = parse_iso(str(stored["lastAttemptAt"])) if stored.get("lastAttemptAt") else None
    if last is not None and last + STALE_ATTEMPT > now:
        return VerificationLocked()
    until = (last or now) + rules.LOCKED_FOR
    verifications.lock(contract_id, until, rules.MAX_FAILURES)
    return VerificationLocked(lockedUntil=iso(until)) if until > now else None


def _take_attempt(contract_id: str, staff: StaffMember, now: datetime) -> int:
    """The attempt, taken before anything is compared; else ``VerificationLocked``, audited."""
    for _ in range(2):
        taken = verifications.take_attempt(contract_id, now, rules.MAX_FAILURES)
        if taken is not None:
            return taken
        refusal = _refused(contract_id, now)
        if refusal is not None:
            _audit(contract_id, staff, now, "LOCKED")
            raise refusal
    _audit(contract_id, staff, now, "LOCKED")
    raise VerificationLocked()


def verify(contract_id: str, passphrase: str, staff: StaffMember, now: datetime) -> dict[str, Any]:
    """One attempt at the caller's passphrase. The attempt is taken (counted as a failure) BEFORE
    the passphrase is compared, by one conditional update refused while verification is locked
    or :data:`~anshin.domain.credentials.MAX_FAILURES` attempts in a row are taken already: however
    many guesses arrive at once, no more than that are ever compared (as the web cancellation's
    one-time code, anshin.services.cancellations). The right passphrase gives its attempt back (a
    success starts the count afresh); the wrong one that took the last attempt locks. What staff
    see (``attemptsLeft``, anshin.domain.credentials.verification_view) counts attempts being
    compared as taken, as the refusals do."""
    try:
        contract = contracts.require_live(contract_id, now)
    except ContractEnded:
        _audit(contract_id, staff, now, "CONTRACT_NOT_ACTIVE")
        raise
    taken = _take_attempt(contract_id, staff, now)
    if contract.passphrase_hash is None:
        verifications.give_back_attempt(contract_id)  # nothing was compared
        _audit(contract_id, staff, now, "NO_PASSPHRASE")
        raise NoPassphrase(contract_id)
    if credentials.passphrase_matches(contract.passphrase_hash, passphrase):
        verification_id = f"ver-{uuid.uuid4().hex}"
        expires_at = now + rules.VALID_FOR
        # Opens the session, clears the failures (the attempt given back, the row ended) and
        # remembers it as the contract's current one, with its audit entry, in one transaction.
        entry = audit.put(contract_id, "VERIFY", now, "VERIFIED", **recorded(staff))
        verifications.open_session(verification_id, contract_id, staff, now, expires_at, entry)
        return {"verificationId": verification_id, "expiresAt": iso(expires_at)}
    if rules.locks(taken) and verifications.lock(contract_id, now + rules.LOCKED_FOR, rules.MAX_FAILURES):
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
