"""The erasure work lists and the erasures themselves (docs/retention.md, anshin.domain.retention).

Work lists: ``RETAIN#<stage>#<shard>`` / ``<eventAt>#<subjectId>`` (anshin.store.keys.retention_due),
an entry written in the same transaction as the event (an application refused or failed,
anshin.store.applications; a contract ended, anshin.store.contracts.end) and deleted in the same
transaction as the erasure. Sorted by the event's instant: the entries due are one key range per
shard, and a run reads only what is due.

Each erasure is one transaction whose first item deletes the work-list entry on condition that it
is still there: a second run, or a retry after success, finds it gone and writes nothing (not
even a second timeline entry). Erasure removes the personal attributes (``REMOVE``) and sets
``personalDataErasedAt`` (the first time only); ids, statuses, dates and amounts stay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from anshin.domain import retention as rules
from anshin.domain.applications import ApplicationStatus
from anshin.domain.clock import iso
from anshin.domain.contract_rules import ContractStatus
from anshin.domain.entities import Application, Contract
from anshin.store import audit, db, keys

#: The work lists a contract's end starts, written in its transaction (anshin.store.contracts.end).
AFTER_END = rules.AFTER_END

#: One page of a work list, and where the next one starts (None: the last page).
Page = tuple[list[dict[str, Any]], dict[str, Any] | None]


def due_item(stage: rules.Stage, subject_id: str, event_at: datetime) -> dict[str, Any]:
    at = iso(event_at)
    return {
        **keys.retention_due(stage.value, subject_id, at),
        "type": "RETENTION_DUE",
        "stage": stage.value,
        "subjectId": subject_id,
        "eventAt": at,
    }


def due_op(stage: rules.Stage, subject_id: str, event_at: datetime) -> dict[str, Any]:
    """The work-list entry as a transaction item, written with the event it follows."""
    return db.put_op(due_item(stage, subject_id, event_at))


def due_page(
    stage: rules.Stage, shard: int, before: datetime, start: dict[str, Any] | None, limit: int
) -> Page:
    """One page of the shard's entries of ``stage`` whose event came before ``before``, oldest
    first (anshin.domain.retention.cutoff: those due)."""
    options: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(keys.retention_pk(stage.value, shard))
        & Key("sk").lt(iso(before)),
        "ConsistentRead": True,
        "Limit": limit,
    }
    if start:
        options["ExclusiveStartKey"] = start
    page = db.contracts_table().query(**options)
    return page["Items"], page.get("LastEvaluatedKey")


def _done(entry: dict[str, Any]) -> dict[str, Any]:
    """Deleting the entry, on condition it is still there (the transaction's first item)."""
    return db.delete_op({"pk": entry["pk"], "sk": entry["sk"]}, condition="attribute_exists(pk)")


def drop(entry: dict[str, Any]) -> None:
    """Delete an entry with nothing left to erase (its subject is gone)."""
    db.contracts_table().delete_item(Key={"pk": entry["pk"], "sk": entry["sk"]})


def _erase_op(
    key: dict[str, str],
    fields: tuple[str, ...],
    at: datetime,
    condition: str,
    values: dict[str, Any],
    names: dict[str, str],
    nested: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:
    removed = [f"#r{i}" for i in range(len(fields))]
    names = {**names, **{f"#r{i}": field for i, field in enumerate(fields)}}
    for i, (parent, child) in enumerate(nested):
        names[f"#p{i}"], names[f"#c{i}"] = parent, child
        removed.append(f"#p{i}.#c{i}")
    return db.update_op(
        key,
        f"SET {rules.ERASED_AT} = if_not_exists({rules.ERASED_AT}, :erasedAt) REMOVE " + ", ".join(removed),
        condition=condition,
        names=names,
        values={**values, ":erasedAt": iso(at)},
    )


def erase_application(entry: dict[str, Any], at: datetime) -> bool:
    """A refused or failed application loses its applicant, the member who applied and the
    device's id and model, and leaves its work list, in one transaction. False when there was
    nothing to do: erased before (the entry is gone), or the application is gone (see :func:`drop`)."""
    application_id = str(entry["subjectId"])
    statuses = {f":s{i}": status.value for i, status in enumerate(sorted(rules.REFUSED_STATUSES))}
    erase = _erase_op(
        keys.application(application_id),
        rules.APPLICATION_FIELDS,
        at,
        "attribute_exists(pk) AND #s IN (" + ", ".join(statuses) + ")",
        statuses,
        {"#s": "status"},
        tuple(("device", field) for field in rules.APPLICATION_DEVICE_FIELDS),
    )
    client = db.dynamodb()
    try:
        return db.transact([_done(entry), erase])
    except client.exceptions.TransactionCanceledException as error:
        if db.cancellation_reasons(error)[1:2] == ["ConditionalCheckFailed"]:
            return False  # no such application (refused and failed ones never move on)
        raise


def erase_contact(
    entry: dict[str, Any], contract: Contract, application: Application | None, at: datetime
) -> bool:
    """An ended contract loses its holder's contact data and passphrase hash, its application the
    applicant, its phone lookup (staff search by number) goes, and its timeline records the
    erasure (``CONTRACT`` ``PERSONAL_DATA_ERASED``), with the work-list entry, in one
    transaction. False when erased before (the entry is gone) or the contract is not ENDED."""
    contract_id = contract.contract_id
    items = [
        _done(entry),
        _erase_op(
            keys.contract(contract_id),
            rules.CONTRACT_FIELDS,
            at,
            "#s = :ended",
            {":ended": ContractStatus.ENDED.value},
            {"#s": "status"},
        ),
        audit.put(contract_id, "CONTRACT", at, "PERSONAL_DATA_ERASED", erased=list(rules.CONTRACT_FIELDS)),
    ]
    if application is not None:
        items.append(
            _erase_op(
                keys.application(str(application["applicationId"])),
                rules.APPLICATION_FIELDS,
                at,
                "#s = :contracted",
                {":contracted": ApplicationStatus.CONTRACTED.value},
                {"#s": "status"},
            )
        )
        if application.get("phoneMac"):
            lookup = keys.phone_lookup(str(application["phoneMac"]), iso(contract.formed_at), contract_id)
            items.append(db.delete_op(lookup))
    return db.transact(items)


def command_ids(contract_id: str, device_id: str) -> list[str]:
    """Every command sent to the device under the contract (its history partition)."""
    history = db.query_all(
        db.contracts_table(),
        KeyConditionExpression=Key("pk").eq(keys.command_history_pk(contract_id, device_id)),
        ConsistentRead=True,
    )
    return [str(item["commandId"]) for item in history]


def erase_location(command_id: str, at: datetime) -> bool:
    """The location a LOCATE command's device reported goes from the command. False when it has none."""
    return db.update_if(
        keys.command(command_id),
        f"SET locationErasedAt = :at, {rules.ERASED_AT} = if_not_exists({rules.ERASED_AT}, :at) REMOVE #l",
        "attribute_exists(pk) AND attribute_exists(#l)",
        names={"#l": "location"},
        values={":at": iso(at)},
    )


def erase_device(device_id: str, contract_id: str, at: datetime) -> bool:
    """The support app's push channel and token digest go from the device item, if it is still
    this contract's (a device registered again under a later contract keeps its own). False when
    it is not, or there is nothing to erase."""
    names = {f"#r{i}": field for i, field in enumerate(rules.DEVICE_FIELDS)}
    present = " OR ".join(f"attribute_exists({name})" for name in names)
    return db.update_if(
        keys.device(device_id),
        f"SET {rules.ERASED_AT} = if_not_exists({rules.ERASED_AT}, :at) REMOVE " + ", ".join(names),
        f"contractId = :c AND ({present})",
        names=names,
        values={":c": contract_id, ":at": iso(at)},
    )


def finish_device_data(entry: dict[str, Any], at: datetime, **counts: int) -> bool:
    """The device data of an ended contract is erased: its work-list entry goes and its timeline
    records it (``DEVICE`` ``DEVICE_DATA_ERASED`` with what was erased), in one transaction.
    False when done before."""
    contract_id = str(entry["subjectId"])
    return db.transact([_done(entry), audit.put(contract_id, "DEVICE", at, "DEVICE_DATA_ERASED", **counts)])
