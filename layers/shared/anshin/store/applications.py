"""The application item (``APP#<id>``), its place in its account's line (R6.1), and the
transactions that move it: screening, deferral, the slot (R4), the credentials, and formation,
where an application becomes a contract (R6.4, R12).

Each move is a conditional write: a retried workflow step finds its work done and changes nothing.
Condition failures are answered here (False, or what happened); any other failure of DynamoDB
(throttling, a transaction conflict) propagates unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, cast

from boto3.dynamodb.conditions import Attr, Key

from anshin.domain import clock
from anshin.domain.applications import ApplicationRequest, ApplicationStatus
from anshin.domain.clock import iso
from anshin.domain.entities import Application, ConsentRecord, Contract, DeviceSpec, Holder
from anshin.domain.errors import AccountBusy
from anshin.domain.retention import Stage
from anshin.domain.staff import StaffMember
from anshin.store import accounts, contracts, db, keys, lookups, retention

CONDITION_FAILED = "ConditionalCheckFailed"
#: R6.4: the flag on a notified application whose contract is not recorded (yet).
CONTRACT_NOT_RECORDED = "CONTRACT_NOT_RECORDED"


def _update(
    application_id: str,
    update: str,
    condition: str,
    values: dict[str, Any],
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The transaction item that updates the application (``#s`` is its status)."""
    return db.update_op(
        keys.application(application_id),
        update,
        condition=condition,
        values=values,
        names=names or {"#s": "status"},
    )


def create(
    application_id: str, request: ApplicationRequest, received_at: datetime, applied_by: str | None = None
) -> Application:
    """Store a new application as RECEIVED, and put it in its account's line (R6.1).

    The account's receive sequence, the line entry and the application are written in one
    transaction, conditional on the sequence not having moved: the order of the sequence is the
    order of receipt, and an application is never in the line without being stored or vice versa.
    An application for an account the mirror does not know is stored outside any line (screening
    refuses it, R6.3(1)). ``AccountBusy`` when another application took the sequence number.
    ``applied_by``: the signed-in member who applied (issue 23).
    """
    application: Application = {
        "type": "APPLICATION",
        "applicationId": application_id,
        "status": ApplicationStatus.RECEIVED.value,
        "receivedAt": iso(received_at),
        "mobileContractId": request.mobileContractId,
        # The validated request's parts, as pydantic dumps them: the same fields as these types.
        "applicant": cast(Holder, request.applicant.model_dump()),
        "device": cast(DeviceSpec, request.device.model_dump()),
        "consent": cast(ConsentRecord, request.consent.model_dump()),
    }
    if applied_by is not None:
        application["appliedBy"] = applied_by
    item = keys.keyed(
        keys.application(application_id),
        application,
        keys.application_by_account(request.mobileContractId, iso(received_at), application_id),
    )
    previous = accounts.next_sequence(request.mobileContractId)
    if previous is None:
        db.contracts_table().put_item(Item=item, ConditionExpression=Attr("pk").not_exists())
        return item
    sequence = previous + 1
    item["sequence"] = sequence
    client = db.dynamodb()
    entry = {
        **keys.queue_entry(request.mobileContractId, sequence),
        "type": "QUEUE",
        "applicationId": application_id,
    }
    try:
        client.transact_write_items(
            TransactItems=[
                accounts.take_sequence_item(request.mobileContractId, previous, iso(received_at)),
                db.put_op(entry),
                db.put_op(item, condition=db.IF_ABSENT),
            ]
        )
    except client.exceptions.TransactionCanceledException as error:
        raise AccountBusy(request.mobileContractId) from error
    return item


def get(application_id: str) -> Application | None:
    # The storage boundary: the item under an application's key is an application.
    return cast(Application | None, db.read(keys.application(application_id)))


def require(application_id: str) -> Application:
    item = get(application_id)
    if item is None:
        raise LookupError(f"no application {application_id}")
    return item


def delete(application_id: str) -> None:
    """Remove an application that no workflow will decide (and its place in the line)."""
    item = get(application_id)
    if item is None:
        return
    table = db.contracts_table()
    if "sequence" in item:
        table.delete_item(Key=keys.queue_entry(item["mobileContractId"], int(item["sequence"])))
    table.delete_item(Key=_deferred_key(item))
    table.delete_item(Key=keys.application(application_id))


def waits_for_earlier(application: Application) -> bool:
    """R6.1: an application of the same account received earlier is still in line."""
    if "sequence" not in application:
        return False
    mobile_contract_id = application["mobileContractId"]
    earlier = db.contracts_table().query(
        KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :before",
        ExpressionAttributeValues={
            ":pk": keys.account_pk(mobile_contract_id),
            ":first": keys.QUEUE_PREFIX,
            ":before": keys.queue_entry(mobile_contract_id, int(application["sequence"]) - 1)["sk"],
        },
        ConsistentRead=True,
        Limit=1,
    )["Items"]
    return bool(earlier)


# --- the staff's decision (R6.2) ----------------------------------------------------------------


def _deferred_key(application: Application) -> dict[str, str]:
    return keys.deferred_entry(application["receivedAt"], application["applicationId"])


def deferred_entry_item(application: Application, reason: str | None) -> dict[str, Any]:
    """R6.2: the application's entry in the staff's queue of deferred applications: what the
    queue shows of it (fields an application never changes), so the queue is one Query."""
    device = application["device"]
    entry: dict[str, Any] = {
        **_deferred_key(application),
        "type": "DEFERRED_ENTRY",
        "applicationId": application["applicationId"],
        "receivedAt": application["receivedAt"],
        "mobileContractId": application["mobileContractId"],
        "applicantName": application["applicant"]["name"],
        "device": {"platform": device["platform"], "kind": device["kind"], "model": device["model"]},
    }
    if reason:
        entry["deferredReason"] = reason
    return entry


def deferred_page(cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """R6.2: one page of the deferred applications, oldest received first, and the next cursor."""
    items, next_cursor = db.query_page(
        db.contracts_table(),
        cursor,
        limit,
        ("pk", "sk"),
        {"pk": keys.DEFERRED_PK},
        {"sk": "APP#"},
        KeyConditionExpression=Key("pk").eq(keys.DEFERRED_PK),
        ConsistentRead=True,
    )
    return items, next_cursor


def record_staff_decision(application_id: str, decision: str, staff: StaffMember) -> bool:
    """Note the staff's decision on a deferred application still waiting for one (it has its task
    token), with who decided by id and name (``decidedBy``, ``decidedByName``). False when it is
    not deferred, already decided, or not waiting."""
    return db.update_if(
        keys.application(application_id),
        "SET decidedBy = :by, decidedByName = :name, staffDecision = :d",
        "#s = :deferred AND attribute_not_exists(staffDecision) AND attribute_exists(taskToken)",
        names={"#s": "status"},
        values={
            ":by": staff.id,
            ":name": staff.name,
            ":d": decision,
            ":deferred": ApplicationStatus.DEFERRED.value,
        },
    )


def withdraw_staff_decision(application_id: str) -> None:
    """Forget a staff decision the workflow could not take."""
    db.contracts_table().update_item(
        Key=keys.application(application_id),
        UpdateExpression="REMOVE decidedBy, decidedByName, staffDecision",
    )


# --- moves of the workflow's steps --------------------------------------------------------------


def _move(
    application: Application,
    to: ApplicationStatus,
    allowed_from: tuple[ApplicationStatus, ...],
    *,
    set_fields: dict[str, Any] | None = None,
    remove_fields: tuple[str, ...] = (),
    leave_line: bool = False,
    extra: list[dict[str, Any]] | None = None,
) -> bool:
    """Move an application to ``to`` if it is in one of ``allowed_from``, in one transaction with
    ``extra`` writes (and leaving its account's line). False when the condition failed."""
    values: dict[str, Any] = {":to": to.value, **{f":v{i}": s.value for i, s in enumerate(allowed_from)}}
    names = {"#s": "status"}
    sets = ["#s = :to"]
    for i, (field, value) in enumerate((set_fields or {}).items()):
        names[f"#f{i}"] = field
        values[f":f{i}"] = value
        sets.append(f"#f{i} = :f{i}")
    update = "SET " + ", ".join(sets)
    if remove_fields:
        update += " REMOVE " + ", ".join(remove_fields)
    condition = "#s IN (" + ", ".join(f":v{i}" for i in range(len(allowed_from))) + ")"
    items: list[dict[str, Any]] = [
        _update(application["applicationId"], update, condition, values, names),
        *(extra or []),
    ]
    if leave_line and "sequence" in application:
        items.append(
            db.delete_op(keys.queue_entry(application["mobileContractId"], int(application["sequence"])))
        )
    if ApplicationStatus.DEFERRED in allowed_from and to is not ApplicationStatus.DEFERRED:
        # Leaving DEFERRED (decided, refused, failed): it leaves the staff's queue with the move.
        items.append(db.delete_op(_deferred_key(application)))
    return db.transact(items)


def start_screening(application: Application) -> bool:
    return _move(application, ApplicationStatus.SCREENING, (ApplicationStatus.RECEIVED,))


def reject(application: Application, reason: str, allowed_from: tuple[ApplicationStatus, ...]) -> bool:
    """REJECTED with its reason code, leaving the line."""
    return _move(
        application,
        ApplicationStatus.REJECTED,
        allowed_from,
        set_fields={"reason": reason},
        remove_fields=("taskToken",),
        leave_line=True,
        extra=[retention.due_op(Stage.APPLICATION, application["applicationId"], clock.now())],
    )


def defer(application: Application, task_token: str, reason: str | None = None) -> bool:
    """DEFERRED, keeping the task token, leaving the line and entering the staff's queue, in one
    transaction (R6.2). ``reason``: which standing rule deferred it."""
    fields: dict[str, Any] = {"taskToken": task_token}
    if reason:
        fields["deferredReason"] = reason
    return _move(
        application,
        ApplicationStatus.DEFERRED,
        (ApplicationStatus.SCREENING, ApplicationStatus.DEFERRED),
        set_fields=fields,
        leave_line=True,
        extra=[db.put_op(deferred_entry_item(application, reason))],
    )


def approve(
    application: Application,
    from_status: ApplicationStatus,
    slot_limit: int,
    released_holder: str | None = None,
) -> Literal["APPROVED", "UNCHANGED", "LIMIT_REACHED", "DEVICE_HELD"]:
    """APPROVED, holding one of the account's slots (R4) and its device id (one device, one live
    contract: issue 24) in the same transaction: UNCHANGED when the application is no longer
    ``from_status``, LIMIT_REACHED when ``slot_limit`` are held, DEVICE_HELD when another
    application holds the device id. ``released_holder``: the holder the caller found released
    (its application refused or failed, its contract ended), taken over only if it still is."""
    hold = accounts.hold_slot_item(application["mobileContractId"], slot_limit)
    claim = db.put_op(
        {
            **keys.device_holder(application["device"]["deviceId"]),
            "type": "DEVICE_HOLDER",
            "deviceId": application["device"]["deviceId"],
            "applicationId": application["applicationId"],
            "mobileContractId": application["mobileContractId"],
        },
        condition="attribute_not_exists(pk) OR applicationId = :me"
        + (" OR applicationId = :released" if released_holder else ""),
        values={
            ":me": application["applicationId"],
            **({":released": released_holder} if released_holder else {}),
        },
    )
    client = db.dynamodb()
    try:
        moved = _move(
            application,
            ApplicationStatus.APPROVED,
            (from_status,),
            set_fields={"slotHeld": True},
            remove_fields=("taskToken",),
            leave_line=True,
            extra=[hold, claim],
        )
    except client.exceptions.TransactionCanceledException as error:
        reasons = [*db.cancellation_reasons(error), "None", "None", "None"]
        if reasons[0] == CONDITION_FAILED:
            return "UNCHANGED"
        if reasons[1] == CONDITION_FAILED:  # R4 first: a full account is full, whatever the device
            return "LIMIT_REACHED"
        if reasons[2] == CONDITION_FAILED:
            return "DEVICE_HELD"
        raise
    return "APPROVED" if moved else "UNCHANGED"


def device_holder(device_id: str) -> str | None:
    """The id of the application that holds ``device_id`` (claimed at its approval), if any."""
    item = db.read(keys.device_holder(device_id))
    return str(item["applicationId"]) if item else None


def fail(application: Application, from_status: ApplicationStatus, error: str) -> bool:
    """NOTIFICATION_FAILED (R6.4): the code and its lookup are dropped, and a slot it held is
    given back to the account, in one transaction."""
    holds_slot = bool(application.get("slotHeld"))
    return _move(
        application,
        ApplicationStatus.NOTIFICATION_FAILED,
        (from_status,),
        set_fields={"failure": error[:200], "slotHeld": False},
        remove_fields=("taskToken", "gsi2pk", "gsi2sk"),
        leave_line=True,
        extra=[
            retention.due_op(Stage.APPLICATION, application["applicationId"], clock.now()),
            *([accounts.release_slot_item(application["mobileContractId"])] if holds_slot else []),
        ],
    )


def flag_contract_not_recorded(application_id: str) -> bool:
    """Flag a notified application whose contract is not recorded (``attention:
    CONTRACT_NOT_RECORDED``) and list it for the reconciler (``UNRECORDED`` / ``APP#<id>``), in
    one transaction, if it is still APPROVED and formed. False when it is not (recorded since)."""
    return db.transact(
        [
            _update(
                application_id,
                "SET attention = :why",
                "#s = :approved AND attribute_exists(formedAt)",
                {":why": CONTRACT_NOT_RECORDED, ":approved": ApplicationStatus.APPROVED.value},
            ),
            db.put_op(
                {
                    **keys.unrecorded_entry(application_id),
                    "type": "UNRECORDED",
                    "applicationId": application_id,
                    "attempts": 0,
                }
            ),
        ]
    )


def unrecorded_page(
    start: dict[str, Any] | None, limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """R6.4: one page of the formed contracts waiting to be recorded (their applications' ids,
    with what the reconciler noted of earlier attempts), and where the next page starts."""
    options: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(keys.UNRECORDED_PK),
        "ConsistentRead": True,
        "Limit": limit,
    }
    if start:
        options["ExclusiveStartKey"] = start
    page = db.contracts_table().query(**options)
    return page["Items"], page.get("LastEvaluatedKey")


def set_unrecorded_aside(application_id: str, error: dict[str, str], at: str) -> None:
    """R6.4: note on its entry that the reconciler could not record this contract (the error's
    type, code and message, never the record); the entry stays, and the next run tries again."""
    db.update_if(
        keys.unrecorded_entry(application_id),
        "SET attempts = if_not_exists(attempts, :zero) + :one, lastAttemptAt = :at, lastError = :error",
        "attribute_exists(pk)",
        values={":zero": 0, ":one": 1, ":at": at, ":error": error},
    )


def clear_unrecorded(application_id: str) -> bool:
    """R6.4: the contract is recorded: the flag and the reconciler's entry go, in one
    transaction. False when the application is not CONTRACTED (nothing is cleared)."""
    return db.transact(
        [
            _update(
                application_id,
                "REMOVE attention",
                "#s = :contracted",
                {":contracted": ApplicationStatus.CONTRACTED.value},
            ),
            db.delete_op(keys.unrecorded_entry(application_id)),
        ]
    )


# --- formation (R6.4, R12) ----------------------------------------------------------------------


def issue_credentials(
    application_id: str, credentials: dict[str, Any], code_mac: str, phone_mac: str | None = None
) -> Literal["ISSUED", "CODE_TAKEN", "NOT_ISSUED"]:
    """Store the credentials on an APPROVED application that has none, with the code's lookup key
    (and ``phone_mac``, the applicant's phone number's digest, for the contract's phone lookup),
    and claim the code for ever. CODE_TAKEN: the code was issued before (draw another);
    NOT_ISSUED: the application has credentials already or is not APPROVED.

    The code itself is never stored (issue 24): ``codeDraw`` is which draw it was, from which
    the notification derives it again under the KMS key (anshin.adapters.mac.member_code)."""
    lookup = keys.code_lookup(code_mac, "APPLICATION")
    phone = {":phoneMac": phone_mac} if phone_mac else {}
    client = db.dynamodb()
    try:
        client.transact_write_items(
            TransactItems=[
                # Each code is issued once, ever: 8 digits drawn at random would otherwise
                # collide (about 5,000 pairs in a million contracts) and a subscriber's
                # code would find someone else's contract.
                db.put_op({**keys.code_claim(code_mac), "type": "CODE_CLAIM"}, condition=db.IF_ABSENT),
                _update(
                    application_id,
                    "SET contractId = :c, codeDraw = :draw, "
                    "supportPhoneNumber = :phone, codeMac = :mac, gsi2pk = :gsi2pk, gsi2sk = :gsi2sk"
                    + (", phoneMac = :phoneMac" if phone else ""),
                    "attribute_not_exists(contractId) AND #s = :approved",
                    {
                        ":c": credentials["contractId"],
                        ":draw": credentials["codeDraw"],
                        ":phone": credentials["supportPhoneNumber"],
                        ":approved": ApplicationStatus.APPROVED.value,
                        ":mac": code_mac,
                        **{f":{k}": v for k, v in lookup.items()},
                        **phone,
                    },
                ),
            ]
        )
    except client.exceptions.TransactionCanceledException as error:
        claim, issue = [*db.cancellation_reasons(error), None, None][:2]
        if issue != CONDITION_FAILED and claim != CONDITION_FAILED:
            raise  # neither condition: a conflict or throttling, for the step's retry
        return "CODE_TAKEN" if issue != CONDITION_FAILED else "NOT_ISSUED"
    return "ISSUED"


def mark_formed(application_id: str, formed_at: str) -> None:
    """Note the instant the notification was accepted, the contract's formation (R6.4); the first
    one noted stays."""
    db.contracts_table().update_item(
        Key=keys.application(application_id),
        UpdateExpression="SET formedAt = if_not_exists(formedAt, :at)",
        ExpressionAttributeValues={":at": formed_at},
    )


def record_contract(
    application: Application,
    contract: Contract,
    account: dict[str, Any],
    corrections: list[dict[str, Any]],
    appended: Sequence[dict[str, Any]] = (),
) -> Literal["RECORDED", "ALREADY_RECORDED", "CLAIM_MOVED"]:
    """Record a formed contract in one transaction: the contract (new), the application (APPROVED ->
    CONTRACTED; the code's lookup moves to the contract alone; a ``CONTRACT_NOT_RECORDED``
    flag is cleared with its reconciler entry), the account's first-contract claim or mark
    (``account``, anshin.store.accounts.contract_formed_item, R12) with the ``corrections`` a
    claim taken over needs (anshin.store.contracts.no_longer_first), and the holder's phone lookup
    (staff search) when the credentials came with the phone number's digest, and its device
    lookup (staff search by device id, issue 24), and ``appended``: the ledger lines the
    recording makes months that are over owe (anshin.store.invoices.append_op, issue 25).

    CLAIM_MOVED: only the claim's condition failed (another contract of the account was recorded
    since it was read): read it again and decide again. ALREADY_RECORDED: the contract or the
    application moved because it was recorded before (a retry). Any other cancellation (a real
    conflict) is raised unchanged."""
    application_id = application["applicationId"]
    flagged = [db.delete_op(keys.unrecorded_entry(application_id))] if application.get("attention") else []
    client = db.dynamodb()
    try:
        client.transact_write_items(
            TransactItems=[
                db.put_op(contracts.stored(contract), condition=db.IF_ABSENT),
                _update(
                    application_id,
                    "SET #s = :contracted REMOVE attention, gsi2pk, gsi2sk",
                    "#s = :approved",
                    {
                        ":contracted": ApplicationStatus.CONTRACTED.value,
                        ":approved": ApplicationStatus.APPROVED.value,
                    },
                ),
                account,
                *corrections,
                *(
                    [
                        db.put_op(
                            lookups.phone_item(
                                application["phoneMac"], iso(contract.formed_at), contract.contract_id
                            )
                        )
                    ]
                    if application.get("phoneMac")
                    else []
                ),
                db.put_op(
                    lookups.device_item(contract.device_id, iso(contract.formed_at), contract.contract_id)
                ),
                *flagged,
                *appended,
            ]
        )
    except client.exceptions.TransactionCanceledException as error:
        reasons = db.cancellation_reasons(error)
        if reasons[:2] != ["None", "None"]:
            # The contract or the application moved: a retry after success, or a real conflict.
            if require(application_id)["status"] == ApplicationStatus.CONTRACTED.value:
                return "ALREADY_RECORDED"
            raise
        if CONDITION_FAILED in reasons[2 : 3 + len(corrections)]:
            return "CLAIM_MOVED"  # the claim (or the contract it held) is not as read
        raise
    return "RECORDED"
