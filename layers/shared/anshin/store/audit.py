"""The contract's audit trail (``AUDIT#<contractId>``): who did what to it, when, with what outcome;
never a passphrase, a code or a token.

Keys are time first (``<at>#<kind>#<unique>``, anshin.store.keys.audit), so the partition read
newest first is the contract's timeline; each entry also carries its ``kind`` (``VERIFY``,
``CMD``, ``DEVICE``, ``SESSION``, ``CONTRACT``) as an attribute, for readers of one kind."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from anshin.domain.clock import iso
from anshin.store import db, keys

#: One page of entries, newest first, and the key of the last one read when more may follow.
Page = tuple[list[dict[str, Any]], dict[str, Any] | None]


def _unique(outcome: str, fields: dict[str, Any]) -> str:
    """What tells the entry apart from others at the same instant: the command's or session's id
    with the outcome (and attempt), so a retried write lands on the same entry; else random."""
    subject = fields.get("commandId") or fields.get("sessionId")
    if not subject:
        return uuid.uuid4().hex
    attempt = f"#{fields['attempt']}" if "attempt" in fields else ""
    return f"{subject}#{outcome}{attempt}"


def item(contract_id: str, kind: str, at: datetime, outcome: str, **fields: Any) -> dict[str, Any]:
    """One audit entry, sorted by time, then ``kind``."""
    return {
        **keys.audit(contract_id, kind, iso(at), _unique(outcome, fields)),
        "type": "AUDIT",
        "kind": kind,
        "contractId": contract_id,
        "at": iso(at),
        "outcome": outcome,
        **fields,
    }


def put(contract_id: str, kind: str, at: datetime, outcome: str, **fields: Any) -> dict[str, Any]:
    """The entry as a transaction item, to be written with the change it records."""
    return db.put_op(item(contract_id, kind, at, outcome, **fields))


def write(contract_id: str, kind: str, at: datetime, outcome: str, **fields: Any) -> None:
    """Write the entry on its own (an outcome that changes nothing else)."""
    db.contracts_table().put_item(Item=item(contract_id, kind, at, outcome, **fields))


def newest_first(contract_id: str, before: str | None, limit: int) -> Page:
    """Up to ``limit`` entries of the contract older than the sort key ``before`` (all when None),
    newest first: one Query of the audit partition."""
    page = db.contracts_table().query(
        KeyConditionExpression=Key("pk").eq(keys.audit_pk(contract_id))
        & Key("sk").lt(min(before or keys.AUDIT_TIME_END, keys.AUDIT_TIME_END)),
        ScanIndexForward=False,
        Limit=limit,
        ConsistentRead=True,
    )
    return page["Items"], page.get("LastEvaluatedKey")
