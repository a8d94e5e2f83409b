"""Support sessions (``SUPPORT#<sessionId>/SESSION``) in the Sessions table (R7, R14)."""

from __future__ import annotations

from anshin.domain.entities import SupportSession
from anshin.store import db, keys


def put(session: SupportSession) -> None:
    """Record a session as opened (or refused)."""
    db.sessions_table().put_item(Item={**keys.support_session(str(session["sessionId"])), **session})


def close(session_id: str, outcome: str, staff_id: str, at: str) -> SupportSession | None:
    """Close an open session with its outcome; the closed session, or None when there is no open
    session of this id."""
    try:
        answer = db.sessions_table().update_item(
            Key=keys.support_session(session_id),
            UpdateExpression="SET #s = :closed, outcome = :o, closedAt = :at, closedBy = :by",
            ConditionExpression="attribute_exists(pk) AND #s = :open",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":closed": "CLOSED",
                ":o": outcome,
                ":at": at,
                ":by": staff_id,
                ":open": "OPEN",
            },
            ReturnValues="ALL_NEW",
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        return None
    item: SupportSession = answer["Attributes"]  # ALL_NEW: the whole session as stored
    return item


def exists(session_id: str) -> bool:
    return "Item" in db.sessions_table().get_item(Key=keys.support_session(session_id))
