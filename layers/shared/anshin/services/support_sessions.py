"""Support sessions (R7, R14, Appendix) in the Sessions table: opened by staff, closed with an
outcome. A refused request is recorded too (who, when, why), and answered with its code. Each
opening, refusal and closing is audited on the contract (``SESSION``: its timeline shows them),
with who by id and name (anshin.domain.staff)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from anshin.domain.clock import iso
from anshin.domain.entities import SupportSession
from anshin.domain.errors import SessionNotFound, SessionNotOpen, SupportRefused
from anshin.domain.staff import StaffMember
from anshin.domain.support import refusal
from anshin.services.requests import SessionRequest
from anshin.store import contracts
from anshin.store import support_sessions as sessions


def open_session(request: SessionRequest, staff: StaffMember, at: datetime) -> dict[str, Any]:
    """Open a support session for the staff member taking the call; a request the terms exclude
    (R7 outside hours, R14 categories) is recorded as refused and answered with the rule's code."""
    contract_id, channel, category = request.contractId, request.channel, str(request.category)
    contract = contracts.require_live(contract_id, at)
    session_id = f"ses-{uuid.uuid4().hex}"
    code = refusal(at, channel, category, contract.device.platform)
    item: SupportSession = {
        "type": "SUPPORT_SESSION",
        "sessionId": session_id,
        "contractId": contract_id,
        "channel": channel.value,
        "category": category,
        "staffId": staff.id,
        "staffName": staff.name,
        "openedAt": iso(at),
        "status": "REFUSED" if code else "OPEN",
    }
    if code:
        item["refusal"] = code
    sessions.put(item)
    if code:
        raise SupportRefused(code=code, sessionId=session_id)
    return view(item)


def close(session_id: str, outcome: str, staff: StaffMember, at: datetime) -> dict[str, Any]:
    closed = sessions.close(session_id, outcome, staff, iso(at))
    if closed is None:
        if not sessions.exists(session_id):
            raise SessionNotFound(session_id)
        raise SessionNotOpen(session_id)
    return view(closed)


#: What the API shows of a support session.
SHOWN = "sessionId contractId channel category status openedAt closedAt outcome refusal".split()  # noqa: SIM905


def view(item: SupportSession) -> dict[str, Any]:
    fields: Mapping[str, Any] = item  # read by name, in SHOWN's order
    return {f: fields[f] for f in SHOWN if f in fields}
