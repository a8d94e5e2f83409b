"""Support sessions (R7, R14, Appendix) in the Sessions table: opened by staff, closed with an
outcome. A refused request is recorded too (who, when, why), and answered with its code."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from anshin.domain.clock import iso
from anshin.domain.contract_rules import ContractStatus
from anshin.domain.errors import ContractEnded, ContractNotFound
from anshin.domain.support import Channel, refusal
from anshin.services import contracts
from anshin.store import db


class Refused(Exception):
    def __init__(self, code: str, session_id: str) -> None:
        super().__init__(code)
        self.code = code
        self.session_id = session_id


class SessionNotFound(LookupError):
    pass


class AlreadyClosed(Exception):
    pass


def key(session_id: str) -> dict[str, str]:
    return {"pk": f"SUPPORT#{session_id}", "sk": "SESSION"}


def open_session(
    contract_id: str, channel: Channel, category: str, staff_id: str, at: datetime
) -> dict[str, Any]:
    contract = contracts.get(contract_id)
    if contract is None:
        raise ContractNotFound(contract_id)
    if contract["status"] == ContractStatus.ENDED.value:
        raise ContractEnded(contract_id)
    session_id = f"ses-{uuid.uuid4().hex}"
    code = refusal(at, channel, category, str(contract["device"]["platform"]))
    item = {
        **key(session_id),
        "type": "SUPPORT_SESSION",
        "sessionId": session_id,
        "contractId": contract_id,
        "channel": channel.value,
        "category": category,
        "staffId": staff_id,
        "openedAt": iso(at),
        "status": "REFUSED" if code else "OPEN",
    }
    if code:
        item["refusal"] = code
    db.sessions_table().put_item(Item=item)
    if code:
        raise Refused(code, session_id)
    return view(item)


def close(session_id: str, outcome: str, staff_id: str, at: datetime) -> dict[str, Any]:
    table = db.sessions_table()
    try:
        answer = table.update_item(
            Key=key(session_id),
            UpdateExpression="SET #s = :closed, outcome = :o, closedAt = :at, closedBy = :by",
            ConditionExpression="attribute_exists(pk) AND #s = :open",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":closed": "CLOSED",
                ":o": outcome,
                ":at": iso(at),
                ":by": staff_id,
                ":open": "OPEN",
            },
            ReturnValues="ALL_NEW",
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        if "Item" not in table.get_item(Key=key(session_id)):
            raise SessionNotFound(session_id) from None
        raise AlreadyClosed(session_id) from None
    return view(answer["Attributes"])


def view(item: dict[str, Any]) -> dict[str, Any]:
    fields = (
        "sessionId",
        "contractId",
        "channel",
        "category",
        "status",
        "openedAt",
        "closedAt",
        "outcome",
        "refusal",
    )
    return {f: item[f] for f in fields if f in item}
