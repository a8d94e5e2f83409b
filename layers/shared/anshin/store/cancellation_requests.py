"""Web cancellations waiting for their one-time code (R9), in the sessions table
(``CANCEL#<requestId>``), expiring with DynamoDB TTL. The code itself is never stored: only its
keyed digest (anshin.services.cancellations). Wrong tries are counted with one conditional update
each, so concurrent guesses never get past the lock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from anshin.domain.cancellations import WRONG_CODES_ALLOWED, RequestStatus
from anshin.domain.clock import iso
from anshin.domain.entities import CancellationRequest
from anshin.store import db, keys


def create(
    request_id: str,
    at: datetime,
    expires_at: datetime,
    kept_for: timedelta,
    contract_id: str | None,
    code_digest: str | None,
) -> CancellationRequest:
    """Store a new request (its id is random: never overwritten)."""
    item: CancellationRequest = {
        "type": "CANCELLATION_REQUEST",
        "requestId": request_id,
        "status": RequestStatus.PENDING.value,
        "createdAt": iso(at),
        "expiresAt": iso(expires_at),
        "ttl": int((at + kept_for).timestamp()),
        "wrongAttempts": 0,
    }
    if contract_id and code_digest:
        item["contractId"] = contract_id
        item["codeDigest"] = code_digest
    db.sessions_table().put_item(
        Item={**keys.cancellation_request(request_id), **item},
        ConditionExpression="attribute_not_exists(pk)",
    )
    return item


def get(request_id: str) -> CancellationRequest | None:
    # The storage boundary: the item under a request's key is a request.
    item = db.read(keys.cancellation_request(request_id), db.sessions_table())
    return cast(CancellationRequest | None, item)


def count_wrong(request_id: str) -> int | None:
    """Take one try on a pending request that is not locked (counted as a wrong code until the
    code is found right, :func:`give_back_try`); the new count, or None when the request was
    locked, confirmed or gone meanwhile (the count does not move)."""
    answer = None
    try:
        answer = db.sessions_table().update_item(
            Key=keys.cancellation_request(request_id),
            UpdateExpression="ADD wrongAttempts :one",
            ConditionExpression="#status = :pending AND wrongAttempts < :limit",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":one": 1,
                ":pending": RequestStatus.PENDING.value,
                ":limit": WRONG_CODES_ALLOWED,
            },
            ReturnValues="UPDATED_NEW",
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        return None
    return int(answer["Attributes"]["wrongAttempts"])


def give_back_try(request_id: str) -> None:
    """The try a right code took (:func:`count_wrong` counts every try before the code is looked
    at): it was not a wrong one."""
    db.sessions_table().update_item(
        Key=keys.cancellation_request(request_id),
        UpdateExpression="ADD wrongAttempts :minus_one",
        ConditionExpression="wrongAttempts > :zero",
        ExpressionAttributeValues={":minus_one": -1, ":zero": 0},
    )


def confirm(request_id: str, at: datetime) -> bool:
    """PENDING -> CONFIRMED, once; False when it was confirmed already (a retry)."""
    return db.update_if(
        keys.cancellation_request(request_id),
        "SET #status = :confirmed, confirmedAt = :at",
        "#status = :pending",
        names={"#status": "status"},
        values={
            ":confirmed": RequestStatus.CONFIRMED.value,
            ":pending": RequestStatus.PENDING.value,
            ":at": iso(at),
        },
        table=db.sessions_table(),
    )
