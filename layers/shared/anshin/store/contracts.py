"""The contract item (``CONTRACT#<id>``): reads, the one way to load a contract that must still be
live, the writes that end a contract (R9-R11), and the indexes that list contracts by account
(gsi1) and by shard for the month jobs (gsi3, gsi4). Writes that form a contract are in
anshin.store.applications (an application becomes a contract in one transaction).

Every end is conditional: a retried request finds its work done and changes nothing; the
account's slot (R4) is given back in the same transaction that ends a contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from anshin.domain.clock import iso
from anshin.domain.contract_rules import ContractStatus, EndReason, has_ended
from anshin.domain.entities import CommandUpdate, Contract
from anshin.domain.errors import ContractEnded, ContractNotFound
from anshin.domain.terms import BillingMonth, billing_month_of, first_billable_month
from anshin.store import accounts, commands, db, keys, retention

#: How many times an end is tried again when one of the commands it cancels changed meanwhile.
_COMMAND_RACES = 5

#: One page of a month job's index, as the records are stored (whole contracts: the indexes
#: project ALL), and where the next one starts (None: the last page). The job parses each record
#: itself (``Contract.from_item``), so that one which is not a consistent contract is set aside
#: (quarantined) and the rest of the page goes on.
Page = tuple[list[dict[str, Any]], dict[str, Any] | None]


def get(contract_id: str) -> Contract | None:
    """The contract, parsed (``InvariantViolation`` when the item is not a consistent one)."""
    item = db.read(keys.contract(contract_id))
    return None if item is None else Contract.from_item(item)


def stored(contract: Contract) -> dict[str, Any]:
    """A newly formed contract as stored (R6.4, R12): its item with its key and index keys (by
    account, its member code's lookup, live for billing)."""
    contract_id, formed = contract.contract_id, iso(contract.formed_at)
    return keys.keyed(
        keys.contract(contract_id),
        contract.to_item(),
        keys.contract_by_account(contract.mobile_contract_id, formed, contract_id),
        keys.code_lookup(contract.member_code_mac, "CONTRACT"),
        keys.live(contract_id),
    )


def require(contract_id: str) -> Contract:
    """The contract, or ``ContractNotFound`` (404)."""
    contract = get(contract_id)
    if contract is None:
        raise ContractNotFound(contract_id)
    return contract


def require_live(contract_id: str, now: datetime) -> Contract:
    """The contract that has not ended at ``now``, or ``ContractNotFound`` (404) /
    ``ContractEnded`` (409): ended is recorded ``ENDED`` or its end passed, the month-end run
    or not (anshin.domain.contract_rules.has_ended)."""
    contract = require(contract_id)
    if has_ended(contract, now):
        raise ContractEnded(contract_id)
    return contract


def set_location_opt_out(contract_id: str, opt_out: bool, audits: Sequence[dict[str, Any]]) -> bool:
    """Art. 16.4: the subscriber's location opt-out of a contract that has not ended, changed at
    once, with its ``audits`` entries in the same transaction. False when it has that value
    already or has ended meanwhile (nothing written)."""
    change = db.update_op(
        keys.contract(contract_id),
        "SET locationOptOut = :v",
        condition="attribute_exists(pk) AND locationOptOut <> :v AND #s <> :ended",
        names={"#s": "status"},
        values={":v": opt_out, ":ended": ContractStatus.ENDED.value},
    )
    return db.transact([change, *audits])


def _sets(
    first: list[str], values: dict[str, Any], fields: Mapping[str, Any]
) -> tuple[list[str], dict[str, Any]]:
    """The SET clauses and values of an end, with the extra ``fields`` it records."""
    sets = [*first, "gsi3pk = :gsi3pk", "gsi3sk = :gsi3sk"]
    for name, value in fields.items():
        values[f":{name}"] = value
        sets.append(f"{name} = :{name}")
    return sets, values


def schedule_end(
    contract_id: str,
    ends_at: datetime,
    reason: EndReason,
    fields: Mapping[str, Any],
    audits: Sequence[dict[str, Any]] = (),
) -> bool:
    """ACTIVE (or pending with a later end) -> CANCELLATION_PENDING ending at ``ends_at``, listed
    for the month-end job of its month, with the ``audits`` entries (anshin.store.audit.put) in
    the same transaction. False when the contract is neither (its end stands)."""
    sets, values = _sets(
        ["#s = :pending", "endsAt = :ends", "endReason = :reason"],
        {
            ":pending": ContractStatus.CANCELLATION_PENDING.value,
            ":active": ContractStatus.ACTIVE.value,
            ":ends": iso(ends_at),
            ":reason": reason.value,
            **{f":{k}": v for k, v in keys.ends(billing_month_of(ends_at), contract_id).items()},
        },
        fields,
    )
    update, condition = "SET " + ", ".join(sets), "#s = :active OR (#s = :pending AND endsAt > :ends)"
    if not audits:
        return db.update_if(
            keys.contract(contract_id), update, condition, names={"#s": "status"}, values=values
        )
    change = db.update_op(
        keys.contract(contract_id), update, condition=condition, names={"#s": "status"}, values=values
    )
    return db.transact([change, *audits])


def end(
    contract: Contract,
    ended_at: datetime,
    reason: EndReason,
    fields: Mapping[str, Any] | None = None,
    *,
    violation: str | None = None,
    audits: Sequence[dict[str, Any]] = (),
    cancel_commands: CommandUpdate | None = None,
) -> bool:
    """End a not-yet-ended contract at ``ended_at`` and free its slot, in one transaction; with
    ``violation`` (R10), also mark the account with that reason (R6.3(3)); with the ``audits``
    entries (anshin.store.audit.put). False when the contract has ended already. A failed
    condition on the account is raised, as DynamoDB's.

    ``cancel_commands``: the final transition (anshin.domain.commands.cancelled_by_end) given,
    in the same transaction, to every command of the contract still in flight to its device, each
    with its marker's release and its ``COMMAND_CANCELLED`` audit entry
    (anshin.store.commands.finish_items). In the same transaction, not after, because their number
    is small and bounded — one in-flight command per device and action, so at most three, nine
    items beside the end's few, well inside DynamoDB's 100 — and so an end is never recorded
    without its commands stopped (a function dying in between would leave them pushed). A command
    that finishes between their read and the transaction (the device reports, staff cancel it)
    fails its condition: they are read again and the transaction tried again. One requested in
    that moment, not read, is cancelled by the relay or the follow-up, which stop every command
    of an ended contract (anshin.services.delivery)."""
    contract_id, mobile_contract_id = contract.contract_id, contract.mobile_contract_id
    sets, values = _sets(
        ["#s = :ended", "endedAt = :at", "endReason = :reason"],
        {
            ":ended": ContractStatus.ENDED.value,
            ":at": iso(ended_at),
            ":reason": reason.value,
            ":active": ContractStatus.ACTIVE.value,
            ":pending": ContractStatus.CANCELLATION_PENDING.value,
            **{f":{k}": v for k, v in keys.ended(billing_month_of(ended_at), contract_id).items()},
        },
        fields or {},
    )
    items = [
        db.update_op(
            keys.contract(contract_id),
            "SET " + ", ".join(sets) + " REMOVE gsi4pk, gsi4sk",
            condition="#s IN (:active, :pending)",
            names={"#s": "status"},
            values=values,
        ),
        accounts.release_slot_item(mobile_contract_id),
    ]
    if violation is not None:
        mark = {
            **accounts.violation_item(mobile_contract_id, contract_id),
            "at": iso(ended_at),
            "reason": violation,
        }
        items.append(db.put_op(mark))
    items += audits
    # Its personal data's erasure work lists, from the end (docs/retention.md).
    items += [retention.due_op(stage, contract_id, ended_at) for stage in retention.AFTER_END]
    if cancel_commands is None:
        return db.transact(items)
    device_id = contract.device_id
    for _ in range(_COMMAND_RACES):
        pending = commands.pending_of(contract_id, device_id) if device_id else []
        stops = [op for command in pending for op in commands.finish_items(command, cancel_commands)]
        try:
            return db.transact([*items, *stops])
        except db.dynamodb().exceptions.TransactionCanceledException as error:
            reasons = db.cancellation_reasons(error)
            if any(reason not in (None, "None") for reason in reasons[: len(items)]) or not any(
                reason == "ConditionalCheckFailed" for reason in reasons[len(items) :]
            ):
                raise  # not a command that changed meanwhile
    raise RuntimeError(f"the commands of {contract_id} kept changing while it ended")


def of_account(mobile_contract_id: str) -> list[Contract]:
    """Every contract ever formed under the account (gsi1), as full items."""
    listed = db.query_all(
        db.contracts_table(),
        IndexName="gsi1",
        KeyConditionExpression=Key("gsi1pk").eq(keys.account_pk(mobile_contract_id))
        & Key("gsi1sk").begins_with(keys.CONTRACT_GSI1_PREFIX),
    )
    found = [get(str(item["contractId"])) for item in listed]
    return [contract for contract in found if contract is not None]


def _parsed(items: Iterable[dict[str, Any]]) -> list[Contract]:
    return [Contract.from_item(item) for item in items]


def _by_account(mobile_contract_id: str) -> Any:
    return Key("gsi1pk").eq(keys.account_pk(mobile_contract_id)) & Key("gsi1sk").begins_with(
        keys.CONTRACT_GSI1_PREFIX
    )


def records_of_account(mobile_contract_id: str) -> list[dict[str, Any]]:
    """Every contract record under the account as its index lists it (gsi1, ALL-projected:
    whole contracts, as of moments ago), in formation order, unparsed (for a preview that sets
    aside what billing would); one Query."""
    return db.query_all(
        db.contracts_table(), IndexName="gsi1", KeyConditionExpression=_by_account(mobile_contract_id)
    )


def listed_of_account(mobile_contract_id: str) -> list[Contract]:
    """Every contract formed under the account as its index lists it, parsed."""
    return _parsed(records_of_account(mobile_contract_id))


def page_of_account(
    mobile_contract_id: str, cursor: str | None, limit: int
) -> tuple[list[Contract], str | None]:
    """One page of the account's contracts (gsi1), newest formed first, and the next cursor."""
    items, next_cursor = db.query_page(
        db.contracts_table(),
        cursor,
        limit,
        ("pk", "sk", "gsi1pk", "gsi1sk"),
        {"gsi1pk": keys.account_pk(mobile_contract_id)},
        {"gsi1sk": keys.CONTRACT_GSI1_PREFIX},
        IndexName="gsi1",
        KeyConditionExpression=_by_account(mobile_contract_id),
        ScanIndexForward=False,
    )
    return _parsed(items), next_cursor


def _page(index: str, partition: str, start: dict[str, Any] | None, limit: int) -> Page:
    arguments: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": Key(f"{index}pk").eq(partition),
        "Limit": limit,
    }
    if start:
        arguments["ExclusiveStartKey"] = start
    page = db.contracts_table().query(**arguments)
    return page["Items"], page.get("LastEvaluatedKey")


def ending_in(month: BillingMonth, shard: int, start: dict[str, Any] | None, limit: int) -> Page:
    """One page of the shard's contracts whose end is scheduled within ``month`` (gsi3)."""
    return _page("gsi3", keys.ends_pk(month, shard), start, limit)


def billing_sources(ended_in: Iterable[BillingMonth], shard: int) -> list[str]:
    """The partitions a billing shard reads, in a fixed order (a cursor names its position): the
    contracts that have not ended (gsi4), then those that ended in each month of ``ended_in``
    (gsi3)."""
    return [f"gsi4:{keys.live_pk(shard)}", *(f"gsi3:{keys.ended_pk(m, shard)}" for m in ended_in)]


def billing_page(source: str, start: dict[str, Any] | None, limit: int) -> Page:
    """One page of one of :func:`billing_sources`."""
    index, partition = source.split(":", 1)
    return _page(index, partition, start, limit)


def no_longer_first(contract: Contract) -> tuple[Contract, dict[str, Any]]:
    """R12: ``contract``, which held its account's first-contract claim, as it is once an
    earlier-formed contract takes the claim over (not first; billable from the month it formed:
    months are only ever added to what it is charged, never taken back, R13), and the
    transaction item that writes that, conditional on it still being recorded as the first."""
    month = str(first_billable_month(contract.formed_at, False))
    corrected = replace(contract, first_under_account=False, first_billable_month=month)
    change = db.update_op(
        keys.contract(contract.contract_id),
        "SET firstUnderAccount = :false, firstBillableMonth = :month",
        condition="firstUnderAccount = :true",
        values={":false": False, ":true": True, ":month": month},
    )
    return corrected, change
