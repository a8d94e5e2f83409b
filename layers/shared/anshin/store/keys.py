"""Every key of the single-table design, in one place: each item's ``pk``/``sk``, each index's
``gsiNpk``/``gsiNsk``, and the shards the month jobs read in independent pieces.

The Contracts table holds accounts, applications, contracts, devices, commands, audit entries
and job runs; the Ledger table holds the invoice lines (R13: appended, never updated or
deleted); the Sessions table holds what expires: the attempt-limit windows, identity
verifications and their lockout state, and support sessions. Changing a format here re-keys
stored data: it is part of the data layout.

Indexes of the Contracts table (all ``ALL``-projected):
- gsi1: an account's applications and contracts in time order (``ACCOUNT#<id>``).
- gsi2: the member confirmation code's lookup (``CODE#<mac>``) on the application and contract.
- gsi3: month-end (``ENDS#<month>#<shard>``) and billing (``ENDED#<month>#<shard>``) work lists.
- gsi4: contracts that have not ended, by shard (``LIVE#<shard>``): billing reads it.

Index of the Ledger table:
- gsi1: the month's charges by account shard (``CHARGES#<month>#<shard>``): the charge file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TypeVar, cast

Key = dict[str, str]
Entity = TypeVar("Entity", bound=Mapping[str, object])
#: A month in keys: a ``BillingMonth`` or its ``YYYY-MM`` text (both format the same).
Month = object

#: The number of shards. Changing it re-keys the job indexes: it is part of the data layout.
SHARDS = 16


def shard_of(contract_id: str) -> int:
    return int(hashlib.sha256(contract_id.encode()).hexdigest()[:8], 16) % SHARDS


def keyed(key: Key, entity: Entity, *indexes: Key) -> Entity:
    """``entity`` as stored: its key, its fields, then its index keys, in this order. The entity
    types (anshin.domain.entities) leave the keys out; the item is still that entity."""
    item: dict[str, object] = {**key, **entity}
    for index in indexes:
        item.update(index)
    return cast(Entity, item)  # the entity's fields, and the keys its type leaves out


# --- accounts (the mobile account mirrored from upstream, R4, R11) -------------------------------
ACCOUNT_PROFILE_SK = "PROFILE"
STAFF_RULES: Key = {"pk": "CONFIG#STAFF_RULES", "sk": "CONFIG"}
VIOLATION_PREFIX = "VIOLATION#"
QUEUE_PREFIX = "QUEUE#"


def account_pk(mobile_contract_id: str) -> str:
    return f"ACCOUNT#{mobile_contract_id}"


def account(mobile_contract_id: str) -> Key:
    return {"pk": account_pk(mobile_contract_id), "sk": ACCOUNT_PROFILE_SK}


def violation(mobile_contract_id: str, contract_id: str) -> Key:
    """R14: a terms violation recorded against the account."""
    return {"pk": account_pk(mobile_contract_id), "sk": f"{VIOLATION_PREFIX}{contract_id}"}


def queue_entry(mobile_contract_id: str, sequence: int) -> Key:
    """R6.1: the account's applications in the order received (one screened at a time)."""
    return {"pk": account_pk(mobile_contract_id), "sk": f"{QUEUE_PREFIX}{sequence:012d}"}


# --- applications and contracts ---------------------------------------------------------------
CONTRACT_GSI1_PREFIX = "CONTRACT#"


def application(application_id: str) -> Key:
    return {"pk": f"APP#{application_id}", "sk": "APP"}


def application_by_account(mobile_contract_id: str, received_at: str, application_id: str) -> Key:
    """gsi1: the account's applications in the order received."""
    return {"gsi1pk": account_pk(mobile_contract_id), "gsi1sk": f"APP#{received_at}#{application_id}"}


def contract(contract_id: str) -> Key:
    return {"pk": f"CONTRACT#{contract_id}", "sk": "CONTRACT"}


def contract_by_account(mobile_contract_id: str, formed_at: str, contract_id: str) -> Key:
    """gsi1: the account's contracts in formation order (R4 counts them, R11 ends them)."""
    return {
        "gsi1pk": account_pk(mobile_contract_id),
        "gsi1sk": f"{CONTRACT_GSI1_PREFIX}{formed_at}#{contract_id}",
    }


def code_pk(code_mac: str) -> str:
    return f"CODE#{code_mac}"


def code_lookup(code_mac: str, kind: str) -> Key:
    """gsi2: the member confirmation code's keyed digest, on the application (kind
    ``APPLICATION``) and on the contract (``CONTRACT``)."""
    return {"gsi2pk": code_pk(code_mac), "gsi2sk": kind}


def code_claim(code_mac: str) -> Key:
    """Each member code is issued once: the claim item makes a second issue fail its condition."""
    return {"pk": f"CODECLAIM#{code_mac}", "sk": "CLAIM"}


def phone_pk(phone_mac: str) -> str:
    return f"PHONE#{phone_mac}"


def phone_lookup(phone_mac: str, formed_at: str, contract_id: str) -> Key:
    """The holder's phone number's keyed digest (never the number) -> the contract, in formation
    order: the staff search by phone (written with the contract, anshin.store.lookups)."""
    return {"pk": phone_pk(phone_mac), "sk": f"{CONTRACT_GSI1_PREFIX}{formed_at}#{contract_id}"}


def device_holder(device_id: str) -> Key:
    """One device, one live contract (issue 24): the application that holds the device id, claimed
    in the transaction that approves it (anshin.store.applications.approve)."""
    return {"pk": f"DEVICEHOLDER#{device_id}", "sk": "HOLDER"}


def device_pk(device_id: str) -> str:
    return f"DEVICEID#{device_id}"


def device_lookup(device_id: str, formed_at: str, contract_id: str) -> Key:
    """The device id -> each contract that ever protected it, in formation order: the staff search
    by device id (written with the contract, anshin.store.lookups)."""
    return {"pk": device_pk(device_id), "sk": f"{CONTRACT_GSI1_PREFIX}{formed_at}#{contract_id}"}


#: R6.2: the partition of the deferred applications waiting for staff, oldest received first.
DEFERRED_PK = "DEFERRED"


def deferred_entry(received_at: str, application_id: str) -> Key:
    """R6.2: a DEFERRED application's entry in the staff's queue, written when it is deferred and
    removed in the transaction that moves it on (anshin.store.applications)."""
    return {"pk": DEFERRED_PK, "sk": f"APP#{received_at}#{application_id}"}


#: R6.4: the partition of the formed contracts whose recording failed for good, for the reconciler.
UNRECORDED_PK = "UNRECORDED"


def unrecorded_entry(application_id: str) -> Key:
    """R6.4: a notified application whose contract is not recorded (``attention:
    CONTRACT_NOT_RECORDED``), written with the flag and deleted by the transaction that records
    it (anshin.store.applications); the reconciler reads the partition, never a Scan."""
    return {"pk": UNRECORDED_PK, "sk": f"APP#{application_id}"}


# --- the month jobs' work lists (sharded) --------------------------------------------------------
def live(contract_id: str) -> Key:
    """gsi4: every contract that has not ended, by shard (billing reads it)."""
    return {"gsi4pk": live_pk(shard_of(contract_id)), "gsi4sk": contract_id}


def live_pk(shard: int) -> str:
    return f"LIVE#{shard:02d}"


def ends(month: Month, contract_id: str) -> Key:
    """gsi3: a contract whose end is scheduled within ``month`` (month-end termination reads it)."""
    return {"gsi3pk": ends_pk(month, shard_of(contract_id)), "gsi3sk": contract_id}


def ends_pk(month: Month, shard: int) -> str:
    return f"ENDS#{month}#{shard:02d}"


def ended(month: Month, contract_id: str) -> Key:
    """gsi3: a contract that ended within ``month`` (billing reads the months it closes)."""
    return {"gsi3pk": ended_pk(month, shard_of(contract_id)), "gsi3sk": contract_id}


def ended_pk(month: Month, shard: int) -> str:
    return f"ENDED#{month}#{shard:02d}"


# --- devices, verification, commands, support ----------------------------------------------------
def device(device_id: str) -> Key:
    return {"pk": f"DEVICE#{device_id}", "sk": "DEVICE"}


def verification_state(contract_id: str) -> Key:
    """The contract's failed-attempt count and lockout (R16, Appendix)."""
    return {"pk": f"VERIFY-STATE#{contract_id}", "sk": "STATE"}


def verification(verification_id: str) -> Key:
    return {"pk": f"VERIFY#{verification_id}", "sk": "VERIFY"}


def command(command_id: str) -> Key:
    return {"pk": f"CMD#{command_id}", "sk": "CMD"}


def command_in_flight(device_id: str, action: str) -> Key:
    """One command of each action in flight per device: a second request joins the first."""
    return {"pk": f"INFLIGHT#{device_id}", "sk": action}


def backup_object(contract_id: str, command_id: str) -> str:
    """The S3 object a BACKUP command's device uploads the settings backup to."""
    return f"backups/{contract_id}/{command_id}.bin"


def backup_prefix(contract_id: str) -> str:
    """Every settings backup of the contract's devices (:func:`backup_object`): erased together."""
    return f"backups/{contract_id}/"


def support_session(session_id: str) -> Key:
    return {"pk": f"SUPPORT#{session_id}", "sk": "SESSION"}


def audit_pk(contract_id: str) -> str:
    return f"AUDIT#{contract_id}"


def audit(contract_id: str, kind: str, at: str, unique: str) -> Key:
    """An audit entry of the contract, time first: the partition read newest first is the
    contract's timeline (anshin.services.timeline); the ``kind`` is also an attribute."""
    return {"pk": audit_pk(contract_id), "sk": f"{at}#{kind}#{unique}"}


#: Every time-first audit sort key is below this (an ISO instant starts with a digit); entries
#: written before the key was time-first (``<kind>#<at>#...``) sort above it and are not read.
AUDIT_TIME_END = ":"


def command_history_pk(contract_id: str, device_id: str) -> str:
    return f"CMDS#{contract_id}#{device_id}"


def command_history(contract_id: str, device_id: str, requested_at: str, command_id: str) -> Key:
    """The device's commands under the contract, in the order requested (written with the
    command; the history route reads it newest first, then the commands by key)."""
    return {"pk": command_history_pk(contract_id, device_id), "sk": f"{requested_at}#{command_id}"}


# --- billing: the ledger (the Ledger table) -----------------------------------------------------
def invoice_pk(mobile_contract_id: str, month: Month) -> str:
    return f"INVOICE#{mobile_contract_id}#{month}"


def invoice_line(mobile_contract_id: str, month: Month, contract_id: str) -> Key:
    """R12, R13: one line per contract and month; the key makes billing a line twice impossible."""
    return {"pk": invoice_pk(mobile_contract_id, month), "sk": f"LINE#{contract_id}"}


def charges_pk(month: Month, shard: int) -> str:
    return f"CHARGES#{month}#{shard:02d}"


def charge_entry(mobile_contract_id: str, month: Month, contract_id: str) -> Key:
    """The ledger's gsi1 of an invoice line: the month's charges by account shard, each
    account's lines together and in (account, contract) order (the charge file's export reads
    it)."""
    return {
        "gsi1pk": charges_pk(month, shard_of(mobile_contract_id)),
        "gsi1sk": f"{mobile_contract_id}#{contract_id}",
    }


# --- retention (docs/retention.md) ----------------------------------------------------------------
def retention_pk(stage: str, shard: int) -> str:
    return f"RETAIN#{stage}#{shard:02d}"


def retention_due(stage: str, subject_id: str, event_at: str) -> Key:
    """An erasure work list's entry (anshin.store.retention): the application or contract
    ``subject_id`` whose personal data of ``stage`` goes a set time after ``event_at`` (refused,
    failed, ended), sorted by that instant so what is due is one key range; by the subject's
    shard, so a month end's thousands of ends spread over partitions. Written with the event,
    deleted with the erasure."""
    return {"pk": retention_pk(stage, shard_of(subject_id)), "sk": f"{event_at}#{subject_id}"}


# --- job runs ------------------------------------------------------------------------------------
def run_pk(job: str, month: Month) -> str:
    return f"RUN#{job}#{month}"


#: How a run's sort key begins (the run records of a month, apart from what they set aside).
RUN_PREFIX = "EXEC#"


def run(job: str, month: Month, run_id: str) -> Key:
    return {"pk": run_pk(job, month), "sk": f"EXEC#{run_id}"}


def quarantine_prefix(run_id: str) -> str:
    return f"QUARANTINE#{run_id}#"


def quarantined(job: str, month: Month, run_id: str, contract_id: str) -> Key:
    """A record a run set aside (anshin.services.jobs)."""
    return {"pk": run_pk(job, month), "sk": f"{quarantine_prefix(run_id)}{contract_id}"}


# --- the Sessions table ---------------------------------------------------------------------------
def limit_window(scope: str, subject: str, window_start: int | str) -> Key:
    """A fixed-window attempt counter (anshin.store.limits)."""
    return {"pk": f"LIMIT#{scope}#{subject}", "sk": f"WINDOW#{window_start}"}


def cancellation_request(request_id: str) -> Key:
    """A web cancellation's request (R9): its one-time code's keyed digest, wrong tries, outcome
    (anshin.store.cancellation_requests); it expires with DynamoDB TTL."""
    return {"pk": f"CANCEL#{request_id}", "sk": "REQUEST"}
