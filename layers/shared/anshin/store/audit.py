"""The contract's audit trail (``AUDIT#<contractId>``): who did what to it, when, with what outcome;
never a passphrase, a code or a token."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from anshin.domain.clock import iso
from anshin.store import db, keys


def item(contract_id: str, kind: str, at: datetime, outcome: str, **fields: Any) -> dict[str, Any]:
    """One audit entry, sorted by ``kind`` (``VERIFY``, ``CMD``, ``DEVICE``) then time."""
    return {
        **keys.audit(contract_id, kind, iso(at), str(fields.get("commandId") or uuid.uuid4().hex)),
        "type": "AUDIT",
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
