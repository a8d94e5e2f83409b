"""How a contract ends (R8–R11), and the month-end termination job's step.

Every change is one conditional transaction: a retried request finds its work done and changes
nothing; the account's slot (R4) is given back in the same transaction that ends a contract.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from anshin.domain import clock, contract_rules
from anshin.domain.clock import iso, parse_iso
from anshin.domain.contract_rules import ContractStatus, EndReason
from anshin.domain.errors import ContractEnded, ContractNotFound, InvariantViolation
from anshin.domain.terms import BillingMonth, billing_month_of
from anshin.services import contracts, jobs
from anshin.services.screening import release_slot_item
from anshin.store import accounts, db, keys


def view(contract: dict[str, Any]) -> dict[str, Any]:
    """What staff see of a contract's lifecycle."""
    answer = {
        "contractId": contract["contractId"],
        "mobileContractId": contract["mobileContractId"],
        "status": contract["status"],
        "formedAt": contract["formedAt"],
        "firstBillableMonth": contract["firstBillableMonth"],
    }
    for optional in ("endsAt", "endedAt", "endReason", "terminationReason", "cancellationReceivedAt"):
        if optional in contract:
            answer[optional] = contract[optional]
    return answer


def get(contract_id: str) -> dict[str, Any] | None:
    return contracts.get(contract_id)


def _require(contract_id: str) -> dict[str, Any]:
    contract = contracts.get(contract_id)
    if contract is None:
        raise ContractNotFound(contract_id)
    return contract


def _schedule_end(
    contract: dict[str, Any], ends_at: datetime, reason: EndReason, now: datetime, **fields: str
) -> bool:
    """ACTIVE (or pending with a later end) -> CANCELLATION_PENDING ending at ``ends_at``.

    An end that has already passed (a notice recorded late, an account event delivered late)
    is carried out at once, at that instant: the month-end job of a month already closed would
    never see it. The contract it would leave behind is checked first (anshin.contract_rules).
    Returns whether the contract's end moved."""
    if (
        contract["status"] == ContractStatus.CANCELLATION_PENDING.value
        and parse_iso(str(contract["endsAt"])) <= ends_at
    ):
        return False  # an earlier end stands
    if ends_at <= now:
        return db.transact(end_now_items(contract, ends_at, reason, **fields))
    pending = ContractStatus.CANCELLATION_PENDING.value
    contract_rules.check(
        {**contract, "status": pending, "endsAt": iso(ends_at), "endReason": reason, **fields}
    )
    month = str(billing_month_of(ends_at))
    names = {"#s": "status"}
    values: dict[str, Any] = {
        ":pending": ContractStatus.CANCELLATION_PENDING.value,
        ":active": ContractStatus.ACTIVE.value,
        ":ends": iso(ends_at),
        ":reason": reason.value,
        **{f":{k}": v for k, v in keys.ends_key(month, contract["contractId"]).items()},
    }
    sets = ["#s = :pending", "endsAt = :ends", "endReason = :reason", "gsi3pk = :gsi3pk", "gsi3sk = :gsi3sk"]
    for name, value in fields.items():
        values[f":{name}"] = value
        sets.append(f"{name} = :{name}")
    try:
        db.contracts_table().update_item(
            Key=contracts.key(contract["contractId"]),
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression="#s = :active OR (#s = :pending AND endsAt > :ends)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        return False
    return True


def cancel(contract_id: str, notice_received_at: datetime, now: datetime | None = None) -> dict[str, Any]:
    """R9: the subscriber's notice ends the contract at the end of the notice's billing month.
    A second notice changes nothing; a notice before the contract formed is refused
    (``NOTICE_BEFORE_FORMATION``)."""
    contract = _require(contract_id)
    if contract["status"] == ContractStatus.ENDED.value:
        raise ContractEnded(contract_id)
    ends_at = contract_rules.end_on_notice(parse_iso(str(contract["formedAt"])), notice_received_at)
    if contract["status"] == ContractStatus.ACTIVE.value:
        _schedule_end(
            contract,
            ends_at,
            EndReason.SUBSCRIBER_CANCELLATION,
            now or clock.now(),
            cancellationReceivedAt=iso(notice_received_at),
        )
    return view(_require(contract_id))


def end_now_items(
    contract: dict[str, Any], ended_at: datetime, reason: EndReason, **fields: Any
) -> list[dict[str, Any]]:
    """The transaction that ends a not-yet-ended contract at ``ended_at`` and frees its slot,
    once the contract it leaves behind is checked (anshin.contract_rules)."""
    ended = ContractStatus.ENDED.value
    contract_rules.check(
        {**contract, "status": ended, "endedAt": iso(ended_at), "endReason": reason, **fields}
    )
    table = db.contracts_table()
    serializer = db.serializer()
    contract_id = contract["contractId"]
    month = str(billing_month_of(ended_at))
    values: dict[str, Any] = {
        ":ended": ContractStatus.ENDED.value,
        ":at": iso(ended_at),
        ":reason": reason.value,
        ":active": ContractStatus.ACTIVE.value,
        ":pending": ContractStatus.CANCELLATION_PENDING.value,
        **{f":{k}": v for k, v in keys.ended_key(month, contract_id).items()},
    }
    sets = ["#s = :ended", "endedAt = :at", "endReason = :reason", "gsi3pk = :gsi3pk", "gsi3sk = :gsi3sk"]
    for name, value in fields.items():
        values[f":{name}"] = value
        sets.append(f"{name} = :{name}")
    return [
        {
            "Update": {
                "TableName": table.name,
                "Key": serializer.key(contracts.key(contract_id)),
                "UpdateExpression": "SET " + ", ".join(sets) + " REMOVE gsi4pk, gsi4sk",
                "ConditionExpression": "#s IN (:active, :pending)",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": serializer.values(values),
            }
        },
        release_slot_item(contract["mobileContractId"]),
    ]


def terminate(contract_id: str, at: datetime, reason: str, staff_id: str) -> dict[str, Any]:
    """R10: the company ends the contract now, with a reason; the subscriber is marked for R6.3(3)."""
    contract = _require(contract_id)
    if contract["status"] == ContractStatus.ENDED.value:
        raise ContractEnded(contract_id)
    # Never before formation, whatever two servers' clocks say (R10 is "now", and now is later).
    at = max(at, parse_iso(str(contract["formedAt"])))
    serializer = db.serializer()
    mark = {
        "Put": {
            "TableName": db.contracts_table().name,
            "Item": serializer.item(
                {
                    **accounts.violation_item(contract["mobileContractId"], contract_id),
                    "at": iso(at),
                    "reason": reason,
                }
            ),
        }
    }
    items = end_now_items(
        contract, at, EndReason.COMPANY_TERMINATION, terminationReason=reason, terminatedBy=staff_id
    )
    if not db.transact([*items, mark]):
        raise ContractEnded(contract_id)
    return view(_require(contract_id))


def account_lost(mobile_contract_id: str, event_at: datetime, now: datetime | None = None) -> list[str]:
    """R11: every contract of the account that has not ended ends at the end of the event's month
    (or earlier, if it was already to end earlier; never before it formed). Returns the
    contracts whose end moved."""
    moved: list[str] = []
    refused: list[str] = []
    for contract in contracts_of(mobile_contract_id):
        if contract["status"] == ContractStatus.ENDED.value:
            continue
        try:
            ends_at = contract_rules.end_on_account_loss(parse_iso(str(contract["formedAt"])), event_at)
            if _schedule_end(contract, ends_at, EndReason.ACCOUNT_LOSS, now or clock.now()):
                moved.append(str(contract["contractId"]))
        except InvariantViolation:
            refused.append(str(contract["contractId"]))  # the others still end
    if refused:
        # The event fails after ending all it could: retried, then dead-lettered for an operator.
        raise InvariantViolation("ACCOUNT_LOSS_NOT_APPLIED", f"contracts not ended: {', '.join(refused)}")
    return moved


def contracts_of(mobile_contract_id: str) -> list[dict[str, Any]]:
    """Every contract ever formed under the account (gsi1), as full items."""
    table = db.contracts_table()
    found: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {
        "IndexName": "gsi1",
        "KeyConditionExpression": Key("gsi1pk").eq(f"ACCOUNT#{mobile_contract_id}")
        & Key("gsi1sk").begins_with("CONTRACT#"),
    }
    while True:
        page = table.query(**arguments)
        for item in page["Items"]:
            full = contracts.get(str(item["contractId"]))
            if full is not None:
                found.append(full)
        if "LastEvaluatedKey" not in page:
            return found
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def apply_account_event(
    detail_type: str, detail: dict[str, Any], event_at: datetime, now: datetime | None = None
) -> dict[str, Any]:
    """The upstream mobile system's account changes (EventBridge), mirrored, then R11."""
    mobile_contract_id = str(detail["mobileContractId"])
    table = db.contracts_table()
    if detail_type == "MobileContractEnded":
        table.update_item(
            Key=accounts.key(mobile_contract_id),
            UpdateExpression="SET #s = :ended, normalRateLines = :zero",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":ended": "ENDED", ":zero": 0},
        )
        lost = True
    elif detail_type == "RateLinesChanged":
        lines = int(detail["normalRateLines"])
        table.update_item(
            Key=accounts.key(mobile_contract_id),
            UpdateExpression="SET normalRateLines = :n",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":n": lines},
        )
        lost = lines == 0
    else:
        raise ValueError(f"unknown account event {detail_type}")
    moved = account_lost(mobile_contract_id, event_at, now) if lost else []
    return {"mobileContractId": mobile_contract_id, "accountLost": lost, "contractsEnding": moved}


def _due_page(month: BillingMonth, shard: int, cursor: dict[str, Any] | None, limit: int) -> dict[str, Any]:
    """One page of the shard's contracts whose end is scheduled within ``month`` (gsi3)."""
    arguments: dict[str, Any] = {
        "IndexName": "gsi3",
        "KeyConditionExpression": Key("gsi3pk").eq(f"ENDS#{month}#{shard:02d}"),
        "Limit": limit,
    }
    if cursor:
        arguments["ExclusiveStartKey"] = cursor
    page: dict[str, Any] = db.contracts_table().query(**arguments)
    return page


def _scheduled_end(contract: dict[str, Any]) -> datetime | None:
    """The end of a contract found in the month-end index: None when it has ended meanwhile;
    :class:`InvariantViolation` when the record is not a consistent contract pending its end."""
    if contract.get("status") == ContractStatus.ENDED.value:
        return None
    contract_rules.check(contract)
    if contract["status"] != ContractStatus.CANCELLATION_PENDING.value:
        raise InvariantViolation("CORRUPT_CONTRACT", "in the month-end index but not pending an end")
    return parse_iso(str(contract["endsAt"]))


def end_due_contracts(
    month: BillingMonth, shard: int, now: datetime, cursor: dict[str, Any] | None = None, limit: int = 200
) -> dict[str, Any]:
    """Month-end termination, one shard: every contract whose end falls in ``month`` and has
    passed becomes ENDED at that end and frees its slot. Resumable by ``cursor``; re-running is
    harmless (an ended contract has left the ENDS index).

    A contract that cannot be ended (inconsistent data, a field it lacks) is returned under
    ``quarantined`` and left as it is; the others are ended all the same."""
    page = _due_page(month, shard, cursor, limit)
    ended: list[dict[str, Any]] = []
    quarantined: list[dict[str, Any]] = []
    for item in page["Items"]:
        try:
            contract = contracts.get(str(item["contractId"]))
            ends_at = None if contract is None else _scheduled_end(contract)
            if contract is None or ends_at is None or ends_at > now:
                continue  # ended meanwhile, or not yet: a run before the month is over ends nothing
            if db.transact(end_now_items(contract, ends_at, EndReason(contract["endReason"]))):
                ended.append(
                    {
                        "contractId": contract["contractId"],
                        "mobileContractId": contract["mobileContractId"],
                        "endedAt": contract["endsAt"],
                        "endReason": contract["endReason"],
                    }
                )
        except Exception as error:
            if jobs.is_transient(error):
                raise  # the infrastructure's failure, not the record's: the step is retried
            quarantined.append(jobs.unprocessable(item, error))
    return {"ended": ended, "quarantined": quarantined, "cursor": page.get("LastEvaluatedKey")}


def due_contracts(
    month: BillingMonth, shard: int, now: datetime, cursor: dict[str, Any] | None = None, limit: int = 200
) -> dict[str, Any]:
    """What :func:`end_due_contracts` would end (a dry run), and what it would set aside, without
    writing."""
    page = _due_page(month, shard, cursor, limit)
    due: list[dict[str, Any]] = []
    quarantined: list[dict[str, Any]] = []
    for item in page["Items"]:
        try:
            ends_at = _scheduled_end(item)
        except InvariantViolation as error:
            quarantined.append(jobs.unprocessable(item, error))
            continue
        if ends_at is not None and ends_at <= now:
            due.append({k: item[k] for k in ("contractId", "mobileContractId", "endsAt")})
    return {
        "wouldEnd": due,
        "contractsDue": len(due),
        "wouldQuarantine": quarantined,
        "cursor": page.get("LastEvaluatedKey"),
    }
