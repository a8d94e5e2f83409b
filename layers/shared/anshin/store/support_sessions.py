"""Support sessions (``SUPPORT#<sessionId>/SESSION``) in the Sessions table (R7, R14), each
opening, refusal and closing written with its ``SESSION`` audit entry on the contract (Contracts
table) in one transaction. Who acted is stored by id and name (anshin.domain.staff): ``staffId``
and ``staffName`` who opened it, ``closedBy`` and ``closedByName`` who closed it, and
``staffId``/``staffName`` in each entry."""

from __future__ import annotations

from typing import Any, cast

from anshin.domain.clock import parse_iso
from anshin.domain.entities import SupportSession
from anshin.domain.staff import StaffMember, entry_fields, recorded
from anshin.store import audit, db, keys


def _audit(
    session: SupportSession, outcome: str, at: str, by: dict[str, str], **fields: Any
) -> dict[str, Any]:
    return audit.put(
        str(session["contractId"]),
        "SESSION",
        parse_iso(at),
        outcome,
        **by,
        sessionId=str(session["sessionId"]),
        channel=str(session["channel"]),
        category=str(session["category"]),
        **fields,
    )


def put(session: SupportSession) -> None:
    """Record a session as opened (``SESSION_OPENED``) or refused (``SESSION_REFUSED``, with the
    rule's code), audited."""
    item = {**keys.support_session(str(session["sessionId"])), **session}
    refused = {"refusal": session["refusal"]} if "refusal" in session else {}
    outcome = "SESSION_REFUSED" if refused else "SESSION_OPENED"
    db.transact(
        [
            {"Put": {"TableName": db.sessions_table().name, "Item": db.serializer().item(item)}},
            _audit(session, outcome, str(session["openedAt"]), entry_fields(session), **refused),
        ]
    )


def get(session_id: str) -> SupportSession | None:
    # The storage boundary: the item under a session's key is a support session.
    return cast(SupportSession | None, db.read(keys.support_session(session_id), db.sessions_table()))


def close(session_id: str, outcome: str, staff: StaffMember, at: str) -> SupportSession | None:
    """Close an open session with its outcome, audited (``SESSION_CLOSED``); the closed session,
    or None when there is no open session of this id."""
    session = get(session_id)
    if session is None or session["status"] != "OPEN":
        return None
    values = {
        ":closed": "CLOSED",
        ":o": outcome,
        ":at": at,
        ":by": staff.id,
        ":name": staff.name,
        ":open": "OPEN",
    }
    update = {
        "Update": {
            "TableName": db.sessions_table().name,
            "Key": db.serializer().key(keys.support_session(session_id)),
            "UpdateExpression": "SET #s = :closed, outcome = :o, closedAt = :at, closedBy = :by, "
            "closedByName = :name",
            "ConditionExpression": "attribute_exists(pk) AND #s = :open",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": db.serializer().values(values),
        }
    }
    closing = _audit(session, "SESSION_CLOSED", at, recorded(staff), sessionOutcome=outcome)
    if not db.transact([update, closing]):
        return None  # closed meanwhile
    closed: SupportSession = {
        **session,
        "status": "CLOSED",
        "outcome": outcome,
        "closedAt": at,
        "closedBy": staff.id,
        "closedByName": staff.name,
    }
    return closed


def exists(session_id: str) -> bool:
    return "Item" in db.sessions_table().get_item(Key=keys.support_session(session_id))
