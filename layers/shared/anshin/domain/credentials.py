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
from anshin.domain.contract_rules import has_ended
from anshin.domain.entities import Contract, Device, Verification

# --- registration's attempt limits -----------------------------------------------------------------
#: Registration attempts allowed per code (failures only) and per source address in each window.
ATTEMPTS_PER_CODE = 5
ATTEMPT_WINDOW = timedelta(minutes=15)
#: Failed registrations allowed per device id in :data:`DEVICE_ATTEMPT_WINDOW` (issue 24). The
#: device id is the one input someone guessing a device's member code holds fixed (codes and
#: source addresses change freely), so this is the allowance that bounds the guessing: 5 an hour
#: is 120 a day, and 10^8 codes take over 2,000 years. Once used up, even the right code waits
#: for the window to end (``Retry-After``), and the subscriber is told.
ATTEMPTS_PER_DEVICE = 5
DEVICE_ATTEMPT_WINDOW = timedelta(hours=1)


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


def token_expiry(at: datetime, lifetime: timedelta) -> datetime:
    return at + lifetime


def token_valid(device: Device, token: str | None, now: datetime) -> bool:
    """``token`` is the device's token (constant-time compare), not expired and not revoked."""
    if not token or device.token_digest is None:
        return False
    if not hmac.compare_digest(device.token_digest, token_digest(token)):
        return False
    return device.token_expires_at > now


def contract_keeps_token(contract: Contract | None, now: datetime) -> bool:
    """A contract's end revokes its device's token: recorded as ENDED, or ended in fact (its
    ``endsAt`` passed) before the month-end run records it."""
    return contract is not None and not has_ended(contract, now)


# --- registration and credential changes -----------------------------------------------------------
def holds_device(other: Contract | None, now: datetime) -> bool:
    """The contract a device is registered to still protects it until it has ended (recorded, or
    its ``endsAt`` passed): registering the device for another contract is refused like an
    unknown code. Defence in depth: an application naming a protected device is refused before
    (anshin.domain.devices_held)."""
    return contract_keeps_token(other, now)


def is_reregistration(previous: Device | None, contract_id: str) -> bool:
    """Every registration of the contract's device after the first is a credential change (a
    reinstall, or someone who learnt the code), whatever its push token: it replaces the token,
    so it is audited, told to the subscriber and holds a WIPE back (issue 24: a repeat with the
    same push token used to pass as "no change" and drop the safeguards below)."""
    return previous is not None and previous.contract_id == contract_id


def first_endpoint(previous: Device, now: datetime) -> str:
    """The push endpoint a re-registration keeps sending LOCKs to through its cooldown: the one
    the device had before the first change of the cooldown still running (the subscriber's own
    phone, however many registrations followed), else the one it has now."""
    kept, until = previous.previous_endpoint_arn, previous.previous_endpoint_until
    if kept and until is not None and until > now:
        return kept
    return str(previous.endpoint_arn)


def stays_revoked(previous: Device | None, contract: Contract) -> bool:
    """A device whose token staff revoked stays revoked through any registration until staff
    reissue the member code (the old code, perhaps known to whoever it was revoked against, dies
    with it): only a registration with a code issued after the revocation lifts it."""
    if previous is None or previous.revoked_at is None or previous.contract_id != contract.contract_id:
        return False
    reissued = contract.member_code_issued_at
    return not (reissued is not None and reissued > previous.revoked_at)


def platform_matches(contract: Contract, platform: str) -> bool:
    """The registering app runs on the platform the contract was applied for (issue 24: an iOS
    contract's code must not register an Android app and show the iOS device as protected)."""
    return contract.device.platform.lower() == platform.lower()


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
