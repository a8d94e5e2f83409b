"""Web cancellations waiting for their one-time code (R9), in the sessions table
(``CANCEL#<requestId>``), expiring with DynamoDB TTL. A request is stored when asked for, with the
contract its member code named if any; the code's keyed digest is added once the code was sent
(anshin.services.cancellations, by the queue's worker). The code itself is never stored. Wrong
tries are counted with one conditional update each, so concurrent guesses never get past the
lock."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

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
) -> CancellationRequest:
    """Store a new request (its id is random: never overwritten), with the contract its member
    code named (``contract_id``; None for an unknown code): the same one write either way. It has
    no digest yet: until the code is sent (:func:`set_digest`), every code is wrong."""
    item: CancellationRequest = {
        "type": "CANCELLATION_REQUEST",
        "requestId": request_id,
        "status": RequestStatus.PENDING.value,
        "createdAt": iso(at),
        "expiresAt": iso(expires_at),
        "ttl": int((at + kept_for).timestamp()),
        "wrongAttempts": 0,
    }
    if contract_id:
        item["contractId"] = contract_id
    db.sessions_table().put_item(
        Item={**keys.cancellation_request(request_id), **item},
        ConditionExpression="attribute_not_exists(pk)",
    )
    return item


def get(request_id: str) -> CancellationRequest | None:
    # The storage boundary: the item under a request's key is a request.
    item = db.read(keys.cancellation_request(request_id), db.sessions_table())
    return cast(CancellationRequest | None, item)


def set_digest(request_id: str, code_digest: str, at: datetime) -> bool:
    """Store the digest of the code just sent, unless one is stored already (a redelivered send,
    or two at once: the first stored is the code that works); False then, and nothing changes."""
    return db.update_if(
        keys.cancellation_request(request_id),
        "SET codeDigest = :digest, codeSentAt = :at",
        "attribute_exists(pk) AND attribute_not_exists(codeDigest)",
        values={":digest": code_digest, ":at": iso(at)},
        table=db.sessions_table(),
    )


def note_unsent_wrong(request_id: str, at: datetime, outcome: str, kept_until: int, **fields: Any) -> None:
    """What a wrong code against a request whose code was never sent leaves behind, in place of
    the contract's audit entry a real request gets: one write of the same kind (a PutItem), so
    that a wrong code takes the same work whether or not the member code was real. Kept with the
    request (``ttl``), read by nobody."""
    db.sessions_table().put_item(
        Item={
            "pk": keys.cancellation_request(request_id)["pk"],
            "sk": f"UNSENT#{iso(at)}#{outcome}#{uuid.uuid4().hex}",
            "type": "CANCELLATION_UNSENT_ATTEMPT",
            "requestId": request_id,
            "at": iso(at),
            "outcome": outcome,
            "ttl": kept_until,
            **fields,
        }
    )


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
