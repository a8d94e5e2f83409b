"""Cancelling online (R9): the subscriber gives notice from the support app or from the web.

Both record the notice through the very code staff use (anshin.services.contract_ends: ``cancel``
and ``preview_notice``, deciding by anshin.domain.contract_rules.notice_outcome): the notice's
arrival is the server's receipt time, the contract ends at the end of that billing month (JST),
the ``CONTRACT`` audit entry ``CANCELLATION_RECEIVED`` is written with the change, ``by`` the
subscriber (``channel`` ``APP`` with the device, or ``WEB`` with the request) instead of a staff id,
and a confirmation (``CANCELLATION_CONFIRMED``) goes to the contact on file through the
customer-notification topic. A second notice changes nothing and answers the same end.

- **The app**: the device's own live token proves the contract (anshin.runtime.device_auth).
- **The web**, for subscribers without the app: the member confirmation code names the contract;
  a one-time code (anshin.domain.cancellations) is sent to the holder's e-mail; with it, the page
  previews the end, then confirms. Only the code's keyed digest is stored (HMAC under the member
  code's KMS key, in a domain of its own), never logged or answered. A member code that matches no
  live contract gets a request all the same, with no code sent and none that works: every answer
  is the one a real request with a mistyped code gets, so the routes tell nobody whether a member
  code exists — neither by what they answer nor by how long they take. So asking does the same
  work for any member code (:func:`request_code`: the limits, the member code's MAC, its lookup,
  the request's write, one message on the cancellation-code queue), and the code is drawn, sent,
  audited and stored by the queue's worker (:func:`send_code`); a wrong code does the same work
  whether a code was sent or not (:func:`_refused`). Attempts are limited per source address
  (every call), per member code (codes asked for) and per request (wrong codes; then it locks).
  Each step of a real request is audited on the contract (``CANCEL``: ``CODE_SENT``,
  ``CODE_WRONG``, ``CODE_LOCKED``, ``PREVIEWED``).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, StringConstraints

from anshin.adapters import cancellation_codes, mac, metrics, notifications
from anshin.domain import cancellations as rules
from anshin.domain.cancellations import RequestStatus, Verdict
from anshin.domain.clock import iso, parse_iso
from anshin.domain.contract_rules import has_ended
from anshin.domain.entities import CancellationRequest, Contract, Device
from anshin.domain.errors import (
    CancellationRequestNotFound,
    OneTimeCodeExpired,
    OneTimeCodeLocked,
    OneTimeCodeWrong,
    TooManyAttempts,
)
from anshin.services import contract_ends
from anshin.settings import settings
from anshin.store import audit, cancellation_requests, contracts, limits
from anshin.store import devices as device_store

logger = Logger()


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    memberConfirmationCode: Annotated[str, StringConstraints(pattern=r"^\d{8}$")]


class CodeAttempt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    oneTimeCode: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    #: At confirmation: the end the subscriber was shown (the preview's ``endsAt``). When a notice
    #: received now would give another, nothing is recorded (``END_CHANGED``, with the new end).
    endsAt: Annotated[str, StringConstraints(max_length=40)] | None = None


# --- what both channels answer and tell ------------------------------------------------------------
def _notice_answer(view: dict[str, Any]) -> dict[str, Any]:
    """The contract's end as the subscriber sees it: the same on every retry (the first notice's
    receipt time, the end it set). ``receivedAt`` is absent when the end came from elsewhere (R11)."""
    answer = {
        "contractId": view["contractId"],
        "status": view["status"],
        "endsAt": view.get("endsAt") or view.get("endedAt"),
        "endReason": view.get("endReason"),
    }
    if "cancellationReceivedAt" in view:
        answer["receivedAt"] = view["cancellationReceivedAt"]
    return answer


def _tell_subscriber(contract: Contract, answer: dict[str, Any], channel: str) -> None:
    """The confirmation, to the contact on file. At least once: a retry sends it again under the
    same id (the notice's receipt), which deliverers drop as a repeat."""
    notifications.publish(
        {
            "kind": "CANCELLATION_CONFIRMED",
            "contractId": answer["contractId"],
            "channel": channel,
            "receivedAt": answer.get("receivedAt"),
            "endsAt": answer["endsAt"],
            "email": contract.contact.email,
            "phone": contract.contact.phone,
        },
        notification_id=f"CANCELLATION_CONFIRMED#{answer['contractId']}#{answer.get('receivedAt') or ''}",
    )


# --- the app -----------------------------------------------------------------------------------------
def cancel_from_app(device: Device, now: datetime) -> dict[str, Any]:
    """R9 from the support app: the authenticated device's contract, noticed now."""
    contract_id = device.contract_id
    by = {"by": "SUBSCRIBER", "channel": "APP", "deviceId": device.device_id}
    answer = _notice_answer(contract_ends.cancel(contract_id, now, now, by=by))
    _tell_subscriber(contracts.require(contract_id), answer, "APP")
    logger.info("cancellation noticed", extra={"contractId": contract_id, "channel": "APP"})
    return answer


# --- my page (issue 23) ---------------------------------------------------------------------------
def cancel_from_my_page(
    contract_id: str, member_id: str, shown_ends_at: str, now: datetime
) -> dict[str, Any]:
    """R9 from the subscriber's own page, signed in as the account's holder (the caller checked
    the contract is of their account): noticed now, and recorded only when it gives the end the
    page showed (``END_CHANGED`` otherwise, nothing recorded)."""
    by = {"by": "SUBSCRIBER", "channel": "MY_PAGE", "memberId": member_id}
    view = contract_ends.cancel(contract_id, now, now, by=by, shown_ends_at=shown_ends_at)
    answer = _notice_answer(view)
    _tell_subscriber(contracts.require(contract_id), answer, "MY_PAGE")
    logger.info("cancellation noticed", extra={"contractId": contract_id, "channel": "MY_PAGE"})
    return answer


# --- the web -----------------------------------------------------------------------------------------
def _take(scope: str, subject: str, limit: int, now: datetime) -> None:
    try:
        limits.take(scope, subject, limit, rules.WINDOW, now)
    except TooManyAttempts as refused:
        again = "Too many attempts; try again later."
        raise TooManyAttempts(retry_after=refused.retry_after, message=again) from None


def _digest(request_id: str, code: str) -> str:
    return mac.code_mac(rules.code_message(request_id, code))


def _live_contract(contract_id: str | None, now: datetime) -> Contract | None:
    """The contract, if it is live at ``now``: recorded, not ended and its end not passed
    (anshin.domain.contract_rules.has_ended)."""
    contract = contracts.get(contract_id) if contract_id else None
    return contract if contract is not None and not has_ended(contract, now) else None


def request_code(request: CodeRequest, now: datetime, source: str) -> dict[str, Any]:
    """Step 1: a one-time code to the holder's e-mail; the same answer for any member code, after
    the same work: the limits, the member code's MAC, its lookup (one Query, found or not), the
    request's write (with the contract the code named, if any) and one message to the
    cancellation-code queue. Whether that contract is live, the code, its digest, the audit and
    the e-mail are the worker's (:func:`send_code`), out of the answer's time."""
    _take("CANCEL-SOURCE", source, settings.cancellation_attempts_per_source, now)
    code_mac = mac.code_mac(request.memberConfirmationCode)
    _take("CANCEL-CODE", code_mac, rules.CODES_PER_MEMBER_CODE, now)
    candidate = device_store.code_lookup(code_mac).get("CONTRACT")
    request_id = rules.new_request_id()
    expires_at = now + rules.CODE_VALID_FOR
    cancellation_requests.create(request_id, now, expires_at, rules.KEPT_FOR, candidate)
    cancellation_codes.send(request_id)
    logger.info("cancellation code requested", extra={"requestId": request_id})
    return {"requestId": request_id, "expiresAt": iso(expires_at), "codeLength": rules.CODE_DIGITS}


def send_code(request_id: str, now: datetime) -> str:
    """The queue's worker, for one request: draw its code, send it to the holder's e-mail, audit
    ``CODE_SENT``, then store the code's digest. Nothing is sent for a request that names no live
    contract (it stays without a digest: every code is wrong, as for an unknown member code), one
    whose code was sent already (a redelivery), or one past its validity (the code could not
    work). The code is sent BEFORE its digest is stored: a worker that dies in between leaves no
    digest, and the redelivery sends a new code whose digest is stored (the subscriber may get
    two e-mails; the last code works), never a stored digest whose code was never sent. Returns
    what was done (for the log)."""
    request = cancellation_requests.get(request_id)
    if request is None:
        outcome = "GONE"
    elif request.get("codeDigest"):
        outcome = "SENT_ALREADY"
    elif parse_iso(str(request["expiresAt"])) <= now:
        outcome = "EXPIRED"
        metrics.count("CancellationCodesLate")  # the queue was too slow: alarmed
    elif (contract := _live_contract(request.get("contractId"), now)) is None:
        outcome = "NO_LIVE_CONTRACT"
    else:
        contract_id = contract.contract_id
        code = rules.new_code()
        notifications.publish(
            {
                "kind": "CANCELLATION_CODE",
                "contractId": contract_id,
                "requestId": request_id,
                "oneTimeCode": code,
                "expiresAt": request["expiresAt"],
                "email": contract.contact.email,
            },
            # Each code its own id: deliverers drop repeats of an id, and a redelivered send's new
            # code (the one whose digest is stored) must not be dropped as a repeat of the first.
            notification_id=f"CANCELLATION_CODE#{request_id}#{secrets.token_hex(8)}",
        )
        # One entry per code sent (a redelivered send that sends again is audited again).
        audit.write(
            contract_id, "CANCEL", now, "CODE_SENT", requestId=request_id, by="SUBSCRIBER", channel="WEB"
        )
        stored = cancellation_requests.set_digest(request_id, _digest(request_id, code), now)
        outcome = "SENT" if stored else "SENT_NOT_STORED"  # another send stored its code first
    logger.info("cancellation code request handled", extra={"requestId": request_id, "outcome": outcome})
    return outcome


def _sent(request: CancellationRequest) -> bool:
    """A code was sent for the request (it names a live contract): its steps are audited."""
    return bool(request.get("codeDigest")) and "contractId" in request


def _audit(request: CancellationRequest, now: datetime, outcome: str, **fields: Any) -> None:
    if _sent(request):
        contract_id, request_id = str(request["contractId"]), request["requestId"]
        audit.write(contract_id, "CANCEL", now, outcome, requestId=request_id, by="SUBSCRIBER", **fields)


def _refused(request: CancellationRequest, now: datetime, outcome: str, **fields: Any) -> None:
    """A wrong code's (or the lock's) record: the contract's audit entry for a request whose code
    was sent; else a note of the same kind with the request (one write either way), so that the
    refusal takes the same work whether the member code was real."""
    if _sent(request):
        _audit(request, now, outcome, **fields)
    else:
        request_id = request["requestId"]
        cancellation_requests.note_unsent_wrong(request_id, now, outcome, int(request["ttl"]), **fields)


def _accepted(request_id: str, attempt: CodeAttempt, now: datetime, source: str) -> CancellationRequest:
    """The request, if ``attempt`` is its code, valid now; else the refusal, counted and audited."""
    _take("CANCEL-SOURCE", source, settings.cancellation_attempts_per_source, now)
    request = cancellation_requests.get(request_id)
    if request is None or int(request["ttl"]) <= int(now.timestamp()):
        raise CancellationRequestNotFound(request_id)
    digest = _digest(request_id, attempt.oneTimeCode)
    if request["status"] == RequestStatus.CONFIRMED.value:
        # Done with: its own code answers the confirmation again; nothing is left to guess.
        if rules.judge(request, digest, now) is Verdict.ACCEPTED:
            return request
        raise OneTimeCodeWrong(attemptsLeft=0)
    verdict = rules.judge(request, digest, now)
    if verdict is Verdict.LOCKED:
        raise OneTimeCodeLocked()
    if verdict is Verdict.EXPIRED:
        raise OneTimeCodeExpired()
    # The try is taken BEFORE the code is looked at: however many guesses arrive at once, no more
    # than the allowed wrong ones are ever compared. The right code gives its try back.
    wrong = cancellation_requests.count_wrong(request_id)
    if wrong is None:
        raise OneTimeCodeLocked()  # the last try was taken meanwhile
    if verdict is Verdict.ACCEPTED:
        cancellation_requests.give_back_try(request_id)
        return request
    _refused(request, now, "CODE_WRONG", attemptsLeft=rules.WRONG_CODES_ALLOWED - wrong)
    if rules.locks(wrong):
        _refused(request, now, "CODE_LOCKED")
    logger.info("one-time code refused", extra={"requestId": request_id, "wrongAttempts": wrong})
    raise OneTimeCodeWrong(attemptsLeft=rules.WRONG_CODES_ALLOWED - wrong)


def preview(request_id: str, attempt: CodeAttempt, now: datetime, source: str) -> dict[str, Any]:
    """Step 2: what the notice would do if confirmed now (staff's preview, writing nothing but the
    audit entry); a confirmed request answers its confirmation."""
    request = _accepted(request_id, attempt, now, source)
    contract_id = str(request["contractId"])
    if request["status"] == RequestStatus.CONFIRMED.value:
        return {"requestId": request_id, "confirmed": True, **_notice_answer(contract_ends.read(contract_id))}
    shown = contract_ends.preview_notice(contract_id)
    _audit(request, now, "PREVIEWED", endsAt=shown["endsAt"])
    return {
        "requestId": request_id,
        "confirmed": False,
        "contractId": contract_id,
        "status": shown["status"],
        "receivedAt": shown["receivedAt"],
        "endsAt": shown["endsAt"],
        "existingEndStands": shown["existingEndStands"],
        "lastBilledMonth": shown["lastBilledMonth"],
    }


def confirm(request_id: str, attempt: CodeAttempt, now: datetime, source: str) -> dict[str, Any]:
    """Step 3: the notice, received now (R9), audited by the subscriber, told to them; a retry with
    the same code answers the same and writes nothing."""
    request = _accepted(request_id, attempt, now, source)
    contract_id = str(request["contractId"])
    if request["status"] == RequestStatus.CONFIRMED.value:
        return {"requestId": request_id, "confirmed": True, **_notice_answer(contract_ends.read(contract_id))}
    by = {"by": "SUBSCRIBER", "channel": "WEB", "requestId": request_id}
    notice = contract_ends.cancel(contract_id, now, now, by=by, shown_ends_at=attempt.endsAt)
    answer = _notice_answer(notice)
    _tell_subscriber(contracts.require(contract_id), answer, "WEB")
    cancellation_requests.confirm(request_id, now)  # after telling: a retry tells again, never not at all
    logger.info("cancellation noticed", extra={"contractId": contract_id, "channel": "WEB"})
    return {"requestId": request_id, "confirmed": True, **answer}
