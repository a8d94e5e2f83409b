"""The rules of the credentials that protect a phone (Appendix, R16), without I/O: device tokens
(only their SHA-256 is kept; they expire and die with the contract), what counts as a credential
change (it starts the WIPE cooldown), the attempt-limit windows of registration, and identity
verification's session and lockout."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from anshin.domain.clock import iso, parse_iso
from anshin.domain.contract_rules import ContractStatus
from anshin.domain.entities import Contract, Device, Verification

# --- registration's attempt limits -----------------------------------------------------------------
#: Registration attempts allowed per code (failures only) and per source address in each window.
ATTEMPTS_PER_CODE = 5
ATTEMPT_WINDOW = timedelta(minutes=15)


def attempt_window(window: timedelta, now: datetime) -> tuple[int, int]:
    """The fixed window ``now`` falls in, as (start, end) epoch seconds."""
    seconds = int(window.total_seconds())
    start = int(now.timestamp()) // seconds * seconds
    return start, start + seconds


def retry_after(window_ends: int, now: datetime) -> int:
    """Seconds until the window ends (at least one): the ``Retry-After`` of a refused attempt."""
    return max(1, window_ends - int(now.timestamp()))


# --- device tokens ---------------------------------------------------------------------------------
def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_expiry(at: datetime, lifetime: timedelta) -> str:
    return iso(at + lifetime)


def token_valid(device: Device, token: str | None, now: datetime) -> bool:
    """``token`` is the device's token (constant-time compare), not expired and not revoked."""
    if not token or "tokenDigest" not in device:
        return False
    if not hmac.compare_digest(str(device["tokenDigest"]), token_digest(token)):
        return False
    return "tokenExpiresAt" in device and parse_iso(str(device["tokenExpiresAt"])) > now


def contract_keeps_token(contract: Contract | None, now: datetime) -> bool:
    """A contract's end revokes its device's token: recorded as ENDED, or ended in fact (its
    ``endsAt`` passed) before the month-end run records it."""
    if contract is None or contract["status"] == ContractStatus.ENDED.value:
        return False
    return not ("endsAt" in contract and parse_iso(str(contract["endsAt"])) <= now)


# --- registration and credential changes -----------------------------------------------------------
def holds_device(other: Contract | None) -> bool:
    """The contract a device is registered to still protects it unless it has ended: registering
    the device for another contract is refused like an unknown code."""
    return other is not None and other["status"] != ContractStatus.ENDED.value


def is_reregistration(previous: Device | None, contract_id: str, endpoint: str) -> bool:
    """Registering again for the same contract with another push endpoint (a reinstall, or someone
    who learnt the code) is a credential change; the same app retrying (same endpoint) is not."""
    return (
        previous is not None
        and previous.get("contractId") == contract_id
        and previous.get("endpointArn") != endpoint
    )


def cooldown_until(at: datetime, cooldown: timedelta) -> str:
    """Until when a credential change made at ``at`` holds a WIPE back."""
    return iso(at + cooldown)


# --- identity verification -------------------------------------------------------------------------
#: A success opens a verification session for this long.
VALID_FOR = timedelta(minutes=10)
#: This many failures in a row lock verification of the contract for ``LOCKED_FOR``.
MAX_FAILURES = 5
LOCKED_FOR = timedelta(minutes=30)


def is_locked(locked_until: str | None, now: datetime) -> bool:
    return bool(locked_until) and parse_iso(str(locked_until)) > now


def locks(failures: int) -> bool:
    """The failure count reached the limit: verification locks."""
    return failures >= MAX_FAILURES


def session_valid(session: Verification | None, contract_id: str, staff_id: str, now: datetime) -> bool:
    """A verification session that exists, is for ``contract_id``, was opened by ``staff_id`` (the
    staff member who heard the passphrase: a colleague on another call may not use it) and has
    not expired (TTL deletion is lazy, so the expiry is checked here too)."""
    return (
        bool(session)
        and session is not None
        and session["contractId"] == contract_id
        and session.get("staffId") == staff_id
        and parse_iso(str(session["expiresAt"])) > now
    )


class VerificationState(StrEnum):
    """Where identity verification of a contract stands (the staff console shows it)."""

    NONE = "NONE"
    VERIFIED = "VERIFIED"
    LOCKED_OUT = "LOCKED_OUT"


def verification_view(state: Mapping[str, Any], now: datetime, staff_id: str) -> dict[str, Any]:
    """The contract's verification state at ``now`` as ``staff_id`` sees it, from its stored
    state (failures in a row, lockout, the last verification a success opened): ``LOCKED_OUT``
    while locked, ``VERIFIED`` while the last verification is valid (:data:`VALID_FOR`) and was
    opened by ``staff_id`` (another's is never shown: only its opener may use it), else ``NONE``.
    While locked out no attempt is left; otherwise :data:`MAX_FAILURES` less the failures in a
    row."""
    locked_until = state.get("lockedUntil")
    if is_locked(str(locked_until) if locked_until else None, now):
        return {
            "state": VerificationState.LOCKED_OUT.value,
            "failedAttempts": MAX_FAILURES,
            "attemptsLeft": 0,
            "lockedUntil": str(locked_until),
        }
    failures = min(int(state.get("failures", 0) or 0), MAX_FAILURES)
    answer: dict[str, Any] = {
        "state": VerificationState.NONE.value,
        "failedAttempts": failures,
        "attemptsLeft": MAX_FAILURES - failures,
    }
    expires_at = state.get("verificationExpiresAt")
    mine = state.get("verifiedBy") == staff_id
    if state.get("verificationId") and mine and expires_at and parse_iso(str(expires_at)) > now:
        answer.update(
            state=VerificationState.VERIFIED.value,
            verificationId=str(state["verificationId"]),
            verifiedAt=str(state["verifiedAt"]),
            expiresAt=str(expires_at),
        )
    return answer
