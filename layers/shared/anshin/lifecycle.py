"""How a contract ends (R8–R11), and the month-end termination job's step.

Every change is one conditional transaction: a retried request finds its work done and changes
nothing; the account's slot (R4) is given back in the same transaction that ends a contract.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from boto3.dynamodb.conditions import Key

from anshin import accounts, aws, contracts, shards
from anshin.clock import iso, parse_iso
from anshin.contracts import ContractStatus
from anshin.errors import ContractEnded, ContractNotFound
from anshin.screening import release_slot_item
from anshin.terms import BillingMonth, account_loss_end, billing_month_of, cancellation_end


class EndReason(StrEnum):
    SUBSCRIBER_CANCELLATION = "SUBSCRIBER_CANCELLATION"  # R9
    COMPANY_TERMINATION = "COMPANY_TERMINATION"  # R10
    ACCOUNT_LOSS = "ACCOUNT_LOSS"  # R11


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


def _schedule_end(contract: dict[str, Any], ends_at: datetime, reason: EndReason, **fields: str) -> bool:
    """ACTIVE (or pending with a later end) -> CANCELLATION_PENDING ending at ``ends_at``."""
    month = str(billing_month_of(ends_at))
    names = {"#s": "status"}
    values: dict[str, Any] = {
        ":pending": ContractStatus.CANCELLATION_PENDING.value,
        ":active": ContractStatus.ACTIVE.value,
        ":ends": iso(ends_at),
        ":reason": reason.value,
        **{f":{k}": v for k, v in shards.ends_key(month, contract["contractId"]).items()},
    }
    sets = ["#s = :pending", "endsAt = :ends", "endReason = :reason", "gsi3pk = :gsi3pk", "gsi3sk = :gsi3sk"]
    for name, value in fields.items():
        values[f":{name}"] = value
        sets.append(f"{name} = :{name}")
    try:
        aws.contracts_table().update_item(
            Key=contracts.key(contract["contractId"]),
            UpdateExpression="SET " + ", ".join(sets),
            ConditionExpression="#s = :active OR (#s = :pending AND endsAt > :ends)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except aws.client("dynamodb").exceptions.ConditionalCheckFailedException:
        return False
    return True


def cancel(contract_id: str, notice_received_at: datetime) -> dict[str, Any]:
    """R9: the subscriber's notice ends the contract at the end of the notice's billing month.
    A second notice changes nothing."""
    contract = _require(contract_id)
    if contract["status"] == ContractStatus.ENDED.value:
        raise ContractEnded(contract_id)
    if contract["status"] == ContractStatus.ACTIVE.value:
        _schedule_end(
            contract,
            cancellation_end(notice_received_at),
            EndReason.SUBSCRIBER_CANCELLATION,
            cancellationReceivedAt=iso(notice_received_at),
        )
    return view(_require(contract_id))


def end_now_items(
    contract: dict[str, Any], ended_at: datetime, reason: EndReason, **fields: Any
) -> list[dict[str, Any]]:
    """The transaction that ends a not-yet-ended contract at ``ended_at`` and frees its slot."""
    table = aws.contracts_table()
    serializer = aws.serializer()
    contract_id = contract["contractId"]
    month = str(billing_month_of(ended_at))
    values: dict[str, Any] = {
        ":ended": ContractStatus.ENDED.value,
        ":at": iso(ended_at),
        ":reason": reason.value,
        ":active": ContractStatus.ACTIVE.value,
        ":pending": ContractStatus.CANCELLATION_PENDING.value,
        **{f":{k}": v for k, v in shards.ended_key(month, contract_id).items()},
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
    serializer = aws.serializer()
    mark = {
        "Put": {
            "TableName": aws.contracts_table().name,
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
    if not aws.transact([*items, mark]):
        raise ContractEnded(contract_id)
    return view(_require(contract_id))


def account_lost(mobile_contract_id: str, event_at: datetime) -> list[str]:
    """R11: every contract of the account that has not ended ends at the end of the event's month
    (or earlier, if it was already to end earlier). Returns the contracts whose end moved."""
    ends_at = account_loss_end(event_at)
    moved = []
    for contract in contracts_of(mobile_contract_id):
        if contract["status"] != ContractStatus.ENDED.value and _schedule_end(
            contract, ends_at, EndReason.ACCOUNT_LOSS
        ):
            moved.append(str(contract["contractId"]))
    return moved


def contracts_of(mobile_contract_id: str) -> list[dict[str, Any]]:
    """Every contract ever formed under the account (gsi1), as full items."""
    table = aws.contracts_table()
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


def apply_account_event(detail_type: str, detail: dict[str, Any], event_at: datetime) -> dict[str, Any]:
    """The upstream mobile system's account changes (EventBridge), mirrored, then R11."""
    mobile_contract_id = str(detail["mobileContractId"])
    table = aws.contracts_table()
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
    moved = account_lost(mobile_contract_id, event_at) if lost else []
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
    page: dict[str, Any] = aws.contracts_table().query(**arguments)
    return page


def end_due_contracts(
    month: BillingMonth, shard: int, now: datetime, cursor: dict[str, Any] | None = None, limit: int = 200
) -> dict[str, Any]:
    """Month-end termination, one shard: every contract whose end falls in ``month`` and has
    passed becomes ENDED at that end and frees its slot. Resumable by ``cursor``; re-running is
    harmless (an ended contract has left the ENDS index)."""
    page = _due_page(month, shard, cursor, limit)
    ended: list[dict[str, Any]] = []
    for item in page["Items"]:
        contract = contracts.get(str(item["contractId"]))
        if contract is None or contract["status"] != ContractStatus.CANCELLATION_PENDING.value:
            continue
        ends_at = parse_iso(str(contract["endsAt"]))
        if ends_at > now:
            continue  # not yet: a run before the month is over ends nothing early
        if aws.transact(end_now_items(contract, ends_at, EndReason(contract["endReason"]))):
            ended.append(
                {
                    "contractId": contract["contractId"],
                    "mobileContractId": contract["mobileContractId"],
                    "endedAt": contract["endsAt"],
                    "endReason": contract["endReason"],
                }
            )
    return {"ended": ended, "cursor": page.get("LastEvaluatedKey")}


def due_contracts(
    month: BillingMonth, shard: int, now: datetime, cursor: dict[str, Any] | None = None, limit: int = 200
) -> dict[str, Any]:
    """What :func:`end_due_contracts` would end (a dry run), without writing."""
    page = _due_page(month, shard, cursor, limit)
    due = [
        {"contractId": i["contractId"], "mobileContractId": i["mobileContractId"], "endsAt": i["endsAt"]}
        for i in page["Items"]
        if i.get("status") == ContractStatus.CANCELLATION_PENDING.value and parse_iso(str(i["endsAt"])) <= now
    ]
    return {"wouldEnd": due, "contractsDue": len(due), "cursor": page.get("LastEvaluatedKey")}
