"""Cancelling online from the web (R9), without I/O: the one-time code the subscriber is sent, how
long it is valid, how many wrong tries lock it, and what an attempt with a code amounts to.

The subscriber without the app proves who they are with two things: the member confirmation code
(R6.4, sent when the contract formed) and a one-time code sent now to the contact on file. The
one-time code is six random digits, valid :data:`CODE_VALID_FOR`, kept only as a keyed digest
(anshin.services.cancellations), and dies after :data:`WRONG_CODES_ALLOWED` wrong tries: an attacker
who knows the member code gets at most that many guesses out of a million per code sent, and at
most :data:`CODES_PER_MEMBER_CODE` codes are sent per member code in each :data:`WINDOW`.

What the notice does to the contract is R9 itself (anshin.domain.contract_rules.notice_outcome),
never decided here.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from anshin.domain.clock import parse_iso

#: Six digits: short enough to type from an e-mail on a phone.
CODE_DIGITS = 6
#: How long a code works after it was sent.
CODE_VALID_FOR = timedelta(minutes=10)
#: Wrong codes tried against one request before it locks (the subscriber asks for a new code).
WRONG_CODES_ALLOWED = 5
#: One-time codes sent per member code in each window (every request counts, known code or not).
CODES_PER_MEMBER_CODE = 3
#: The attempt-limit window (anshin.store.limits' fixed windows).
WINDOW = timedelta(minutes=15)
#: How long a request is kept (DynamoDB TTL): past the code's validity, so a retried confirmation
#: still finds its answer.
KEPT_FOR = timedelta(days=1)


def new_code(draw: Callable[[int], int] = secrets.randbelow) -> str:
    """A one-time code: :data:`CODE_DIGITS` uniformly random digits (leading zeros kept)."""
    return f"{draw(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def new_request_id(token: Callable[[int], str] = secrets.token_hex) -> str:
    """A request's unguessable id (128 random bits)."""
    return f"cxl-{token(16)}"


def code_message(request_id: str, code: str) -> str:
    """What is digested for a request's code: the request's id binds the code to its request (and a
    domain of its own, so it never equals a member code's or a phone number's digest)."""
    return f"cancel:{request_id}:{code}"


class RequestStatus(StrEnum):
    PENDING = "PENDING"  # the code was sent; preview and confirm with it
    CONFIRMED = "CONFIRMED"  # the notice is recorded; a retry answers the same


class Verdict(StrEnum):
    """What an attempt with a one-time code amounts to."""

    ACCEPTED = "ACCEPTED"  # the right code, in time (or a confirmed request's own code, again)
    WRONG = "WRONG"  # not the code (or a request sent for no contract: nothing is right)
    EXPIRED = "EXPIRED"  # past its validity, and not confirmed
    LOCKED = "LOCKED"  # too many wrong codes


def attempts_left(request: Mapping[str, Any]) -> int:
    return max(0, WRONG_CODES_ALLOWED - int(request.get("wrongAttempts", 0) or 0))


def judge(request: Mapping[str, Any], digest: str, now: datetime) -> Verdict:
    """An attempt with a code whose digest is ``digest`` against a stored request. A confirmed
    request accepts its own code again at any time (the confirmation is idempotent); otherwise the
    lock, then the expiry, then the code decide, in that order, so a locked or expired request tells
    nothing about the code. A request sent for no contract has no digest: every code is wrong, the
    same answer an unknown member code's requester would get for a mistyped code."""
    stored = str(request.get("codeDigest") or "")
    matches = bool(stored) and hmac.compare_digest(stored, digest)
    if request.get("status") == RequestStatus.CONFIRMED.value:
        return Verdict.ACCEPTED if matches else Verdict.WRONG
    if attempts_left(request) == 0:
        return Verdict.LOCKED
    if parse_iso(str(request["expiresAt"])) <= now:
        return Verdict.EXPIRED
    return Verdict.ACCEPTED if matches else Verdict.WRONG


def locks(wrong_attempts: int) -> bool:
    """The wrong-code count reached the limit: the request is locked."""
    return wrong_attempts >= WRONG_CODES_ALLOWED
