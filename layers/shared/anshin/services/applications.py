"""Applications for a support contract (R6): receiving one, following it, and the staff's decision
on a deferred one (R6.2)."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities import idempotency
from aws_lambda_powertools.utilities.idempotency import exceptions as refused_by

from anshin.adapters import workflows
from anshin.domain import clock
from anshin.domain.applications import (
    ApplicationRequest,
    ApplicationStatus,
    StaffDecision,
    deferred_view,
    public_view,
)
from anshin.domain.errors import (
    AccountBusy,
    ApplicationNotFound,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    NotAccountHolder,
    NotDeferred,
    RequestInProgress,
    TemporarilyUnavailable,
    TooManyApplications,
    TooManyAttempts,
)
from anshin.domain.members import Member
from anshin.domain.staff import StaffMember
from anshin.settings import settings
from anshin.store import applications as stored
from anshin.store import limits

logger = Logger()

#: Tries to take the account's next receive sequence number before answering 503.
RECEIVE_ATTEMPTS = 30

#: A request with an ``Idempotency-Key`` is received once in 24 hours; its body must not change.
IDEMPOTENCY = idempotency.IdempotencyConfig(
    event_key_jmespath="key", payload_validation_jmespath="body", expires_after_seconds=24 * 3600
)


def new_application_id() -> str:
    return f"app-{uuid.uuid4().hex}"


#: The window of the applications limits: a day (fixed, from 09:00 Japan time, UTC midnight).
APPLICATIONS_WINDOW = timedelta(days=1)


def _count_application(member: Member) -> None:
    """Count one application of the member and one of the account; ``TooManyApplications``
    (429, ``Retry-After``) when either has had ``APPLICATIONS_PER_DAY`` today. Each count is one
    conditional update, so a burst of applications at once never passes the limit."""
    now, limit = clock.now(), settings.applications_per_day
    try:
        limits.take("APPLY_MEMBER", member.id, limit, APPLICATIONS_WINDOW, now)
        limits.take("APPLY_ACCOUNT", member.mobile_contract_id, limit, APPLICATIONS_WINDOW, now)
    except TooManyAttempts as refused:
        raise TooManyApplications(retry_after=refused.retry_after) from None


def receive(request: ApplicationRequest, correlation_id: str | None, member: Member) -> dict[str, Any]:
    """Count the application against the day's limits, store it in its account's line and start
    its one approval execution."""
    _count_application(member)
    application_id = new_application_id()
    for attempt in range(1, RECEIVE_ATTEMPTS + 1):
        try:
            stored.create(application_id, request, clock.now(), applied_by=member.id)
            break
        except AccountBusy:
            # Another application of the same account took the sequence number: back off with
            # jitter and take the next one (optimistic concurrency, R6.1).
            if attempt == RECEIVE_ATTEMPTS:
                raise
            time.sleep(random.uniform(0, 0.01 * attempt))  # noqa: S311 - jitter, not a secret
    try:
        workflows.start(
            settings.approval_state_machine_arn,
            application_id,  # one execution per application, whatever retries happen
            {"applicationId": application_id, "correlationId": correlation_id},
        )
    except Exception:
        # Nothing half-written: an application that no workflow will decide is removed.
        stored.delete(application_id)
        logger.exception("could not start the approval workflow", extra={"applicationId": application_id})
        raise TemporarilyUnavailable(application_id) from None
    logger.info("application received", extra={"applicationId": application_id})
    return {"applicationId": application_id, "status": ApplicationStatus.RECEIVED.value}


def apply(
    request: ApplicationRequest,
    member: Member,
    idempotency_key: str | None,
    correlation_id: str | None,
    receive_once: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """Receive the application of the signed-in ``member`` for their own account only (R5, Art. 5:
    ``NOT_ACCOUNT_HOLDER`` otherwise, nothing written); with an idempotency key, once, through
    ``receive_once`` (``receive`` under powertools idempotency with ``IDEMPOTENCY``, keyed on its
    module and name): a repeat gets the first answer, a different body under the same key is
    refused. The key is the member's own: another member's identical key is another request."""
    if not member.holds(request.mobileContractId):
        raise NotAccountHolder()
    if idempotency_key is None:
        return receive(request, correlation_id, member)
    if not 8 <= len(idempotency_key) <= 128:
        raise IdempotencyKeyInvalid()
    try:
        return receive_once(
            request={
                "key": f"{member.id}#{idempotency_key}",
                "member": {"id": member.id, "mobileContractId": member.mobile_contract_id},
                "body": request.model_dump(mode="json"),
            }
        )
    except refused_by.IdempotencyValidationError:
        raise IdempotencyKeyReused() from None
    except refused_by.IdempotencyAlreadyInProgressError:
        raise RequestInProgress() from None


def view(application_id: str, member: Member) -> dict[str, Any]:
    """What the applicant may see of the application (its R6.3 reason included), to a member of
    its account only; anyone else gets ``ApplicationNotFound``, as for an id that does not exist."""
    item = stored.get(application_id)
    if item is None or not member.holds(item["mobileContractId"]):
        raise ApplicationNotFound(application_id)
    return public_view(item)


def decide(application_id: str, decision: StaffDecision, staff: StaffMember) -> dict[str, Any]:
    """R6.2: the staff's decision on a deferred application resumes its waiting workflow (who
    decided is stored with it, by id and name). A decision the workflow cannot take is
    withdrawn, and the application is no longer waiting."""
    item = stored.get(application_id)
    if item is None:
        raise ApplicationNotFound(application_id)
    reason = "OTHER" if decision == "REJECT" else None
    if not stored.record_staff_decision(application_id, decision, staff):
        raise NotDeferred(application_id)
    try:
        workflows.resume(item["taskToken"], {"decision": decision, "reason": reason})
    except Exception:
        stored.withdraw_staff_decision(application_id)
        logger.exception("could not resume the approval workflow", extra={"applicationId": application_id})
        raise NotDeferred(
            application_id, message="The application is no longer waiting for a decision."
        ) from None
    logger.info("staff decision", extra={"applicationId": application_id, "decision": decision})
    return {"applicationId": application_id, "decision": decision}


def deferred(cursor: str | None, limit: int) -> dict[str, Any]:
    """R6.2: the deferred applications waiting for a staff decision, oldest received first, one
    page at a time (one Query of the queue's entries; never a Scan)."""
    entries, next_cursor = stored.deferred_page(cursor, limit)
    return {"items": [deferred_view(entry) for entry in entries], "nextCursor": next_cursor}
