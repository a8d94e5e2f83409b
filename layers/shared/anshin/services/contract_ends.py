"""How a contract ends (R8–R11), and the month-end termination job's step.

Every change is one conditional transaction (anshin.store.contracts): a retried request finds its
work done and changes nothing; the account's slot (R4) is given back in the same transaction that
ends a contract. The contract each change would leave behind is checked first
(anshin.domain.contract_rules). The notice (R9), the termination (R10) and every end write their
``CONTRACT`` audit entry (``CANCELLATION_RECEIVED``, ``TERMINATED``, ``ENDED``) in the same
transaction as the change, so the entry exists exactly when the change does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, NoReturn

from aws_lambda_powertools import Logger
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from anshin.adapters import events, metrics
from anshin.domain import billed_months, billing_rules, clock, contract_rules
from anshin.domain import commands as command_rules
from anshin.domain.clock import iso
from anshin.domain.contract_rules import ContractStatus, EndReason
from anshin.domain.entities import Contract, QuarantineEntry
from anshin.domain.errors import (
    AccountNotFound,
    ContractEnded,
    EndChanged,
    InvariantViolation,
    NonTransferable,
    NoticeInTheFuture,
    NotModifiable,
)
from anshin.domain.staff import StaffMember, recorded
from anshin.domain.terms import BillingMonth
from anshin.services import jobs
from anshin.store import accounts, audit, contracts, invoices
from anshin.store import jobs as job_runs

logger = Logger()

#: How far ahead of the server's clock a notice's stated arrival may be (clock skew).
CLOCK_SKEW = timedelta(minutes=5)


def _this_century(at: datetime) -> datetime:
    # Far-off dates are typos, and the extremes would overflow on conversion to Japan time.
    if not 2000 <= at.year <= 2099:
        raise ValueError("must be a date in 2000-2099")
    return at


class CancellationNotice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: When the subscriber's notice arrived (defaults to now). Japan time decides its month (R9).
    receivedAt: Annotated[AwareDatetime, AfterValidator(_this_century)] | None = None


class Termination(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=500)]


def view(contract: Contract) -> dict[str, Any]:
    """What staff see of a contract's lifecycle."""
    item = contract.to_item()
    shown = ("contractId", "mobileContractId", "status", "formedAt", "firstBillableMonth")
    optional = ("endsAt", "endedAt", "endReason", "terminationReason", "cancellationReceivedAt")
    return {name: item[name] for name in (*shown, *optional) if name in item}


def read(contract_id: str) -> dict[str, Any]:
    """The contract as staff see it, or ``ContractNotFound``."""
    return view(contracts.require(contract_id))


def _entry(contract: Contract, at: datetime, outcome: str, **fields: str | list[str]) -> dict[str, Any]:
    """The contract's ``CONTRACT`` audit entry, as an item of the change's transaction."""
    return audit.put(contract.contract_id, "CONTRACT", at, outcome, **fields)


def _ended_entry(contract: Contract, ended_at: datetime, reason: EndReason) -> dict[str, Any]:
    return _entry(contract, ended_at, "ENDED", reason=reason.value)


#: The ``CONTRACT`` audit outcome of an end recorded after months billing charged past it.
CHARGED_PAST_END = "CHARGED_PAST_END"


def _charged_past(contract: Contract, ends_at: datetime, now: datetime) -> list[str]:
    """R9, R11, R13: the closed months after the month of ``ends_at`` that billing has already
    charged ``contract`` for (its invoice lines: a GetItem per closed month the contract was
    billable for after that month; none for an end in the last closed month or later)."""
    months = billed_months.closed_months_past_end(contract, ends_at, now)
    if not months:
        return []
    return [str(m) for m in invoices.charged(contract.mobile_contract_id, contract.contract_id, months)]


def _signal_charged_past_end(
    contract: Contract, ends_at: datetime, reason: EndReason, months: list[str]
) -> None:
    """An end recorded late fell before months already charged: the charges stand (R13: never
    reduced, credited or refunded); ``ChargedPastEnd`` counts the months (alarmed), the log names
    them with the ids, and the contract's timeline has the ``CHARGED_PAST_END`` entry."""
    metrics.count("ChargedPastEnd", len(months))
    logger.warning(
        "an end recorded late falls before months already charged: the charges stand (R13)",
        extra={
            "contractId": contract.contract_id,
            "mobileContractId": contract.mobile_contract_id,
            "endedAt": iso(ends_at),
            "endReason": reason.value,
            "months": months,
        },
    )


def _left_behind(contract: Contract, changes: Mapping[str, Any]) -> Contract:
    """The contract a write of ``changes`` (stored names, as the store writes them) would leave
    behind, parsed as the store would read it back: ``InvariantViolation`` when inconsistent."""
    return Contract.from_item({**contract.to_item(), **changes})


def _end_now(
    contract: Contract,
    ended_at: datetime,
    reason: EndReason,
    violation: str | None = None,
    audits: Sequence[dict[str, Any]] = (),
    recorded_at: datetime | None = None,
    *,
    now: datetime,
    **fields: Any,
) -> bool:
    """End a not-yet-ended contract at ``ended_at`` and free its slot, with its ``audits``
    entries, once the contract it leaves behind is checked. False when it has ended already.

    Every end comes here (R9 and R11 carried out by the month-end run or at once, R10), and
    every end stops the contract's commands still in flight: each becomes ``CANCELLED`` at
    ``now`` (``cancelReason`` ``CONTRACT_ENDED``, audited ``COMMAND_CANCELLED`` with that reason)
    in the end's own transaction — there are at most three, see anshin.store.contracts.end.

    ``recorded_at``: an end carried out late (R9, R11), recorded at that instant: if billing has
    already charged the contract for closed months after the end's month, those charges stand
    (R13) and are signalled, with a ``CHARGED_PAST_END`` entry in the end's own transaction."""
    ended = ContractStatus.ENDED.value
    _left_behind(contract, {"status": ended, "endedAt": iso(ended_at), "endReason": reason.value, **fields})
    charged = [] if recorded_at is None else _charged_past(contract, ended_at, recorded_at)
    if recorded_at is not None and charged:
        past = _entry(
            contract,
            recorded_at,
            CHARGED_PAST_END,
            endedAt=iso(ended_at),
            reason=reason.value,
            months=charged,
        )
        audits = [*audits, past]
    done = contracts.end(
        contract,
        ended_at,
        reason,
        fields,
        violation=violation,
        audits=audits,
        cancel_commands=command_rules.cancelled_by_end(now),
    )
    if done and charged:
        _signal_charged_past_end(contract, ended_at, reason, charged)
    return done


def _schedule_end(
    contract: Contract,
    ends_at: datetime,
    reason: EndReason,
    now: datetime,
    audits: Sequence[dict[str, Any]] = (),
    **fields: str,
) -> bool:
    """ACTIVE (or pending with a later end) -> CANCELLATION_PENDING ending at ``ends_at``.

    An end that has already passed (a notice recorded late, an account event delivered late)
    is carried out at once, at that instant: the month-end job of a month already closed would
    never see it. If billing has already charged the contract for months after that end, those
    charges stand (R13) and are signalled (``CHARGED_PAST_END``, in the end's transaction). The
    contract it would leave behind is checked first (the ``Contract`` entity). Returns whether the
    contract's end moved."""
    earlier = contract.ends_at is not None and contract.ends_at <= ends_at
    if contract.status is ContractStatus.CANCELLATION_PENDING and earlier:
        return False  # an earlier end stands
    if ends_at <= now:
        return _end_now(
            contract,
            ends_at,
            reason,
            audits=[*audits, _ended_entry(contract, ends_at, reason)],
            recorded_at=now,
            now=now,
            **fields,
        )
    pending = ContractStatus.CANCELLATION_PENDING.value
    _left_behind(contract, {"status": pending, "endsAt": iso(ends_at), "endReason": reason.value, **fields})
    return contracts.schedule_end(contract.contract_id, ends_at, reason, fields, audits)


def cancel(
    contract_id: str,
    notice_received_at: datetime,
    now: datetime | None = None,
    staff: StaffMember | None = None,
    by: dict[str, str] | None = None,
    shown_ends_at: str | None = None,
) -> dict[str, Any]:
    """R9: the subscriber's notice ends the contract at the end of the notice's billing month.
    A second notice changes nothing; a notice before the contract formed is refused
    (``NOTICE_BEFORE_FORMATION``). The notice is audited (``CANCELLATION_RECEIVED``, by
    ``staff``, by id and name, or by the subscriber's own channel: the entry's fields ``by``) with the change
    it makes. ``shown_ends_at``: the end the subscriber confirmed (the preview's); when this
    notice gives another, nothing is recorded (``END_CHANGED``, with the end it gives)."""
    at = now or clock.now()
    contract = contracts.require_live(contract_id, at)
    outcome = contract_rules.notice_outcome(contract, notice_received_at)
    if shown_ends_at is not None and iso(outcome.ends_at) != shown_ends_at:
        raise EndChanged(endsAt=iso(outcome.ends_at))
    if outcome.moves:
        by = dict(by or {}) or (recorded(staff) if staff else {})
        noticed = _entry(
            contract,
            at,
            "CANCELLATION_RECEIVED",
            receivedAt=iso(notice_received_at),
            endsAt=iso(outcome.ends_at),
            **by,
        )
        _schedule_end(
            contract,
            outcome.ends_at,
            EndReason.SUBSCRIBER_CANCELLATION,
            at,
            [noticed],
            cancellationReceivedAt=iso(notice_received_at),
        )
    return view(contracts.require(contract_id))


def preview_notice(contract_id: str) -> dict[str, Any]:
    """R9 as a notice received now would apply it, writing nothing: the end it would give and the
    last month charged (R12). The notice decides by the same rule (``notice_outcome``), so what
    this says is what the notice does; for a contract already pending its end, the existing end
    stands (``existingEndStands``). ``ContractNotFound`` / ``ContractEnded``."""
    received_at = clock.now()
    contract = contracts.require_live(contract_id, received_at)
    outcome = contract_rules.notice_outcome(contract, received_at)
    last = billing_rules.last_charged_month(contract, outcome.ends_at)
    return {
        "contractId": contract_id,
        "status": contract.status,
        "receivedAt": iso(received_at),
        "endsAt": iso(outcome.ends_at),
        "existingEndStands": not outcome.moves,
        "firstBillableMonth": contract.first_billable_month,
        "lastBilledMonth": None if last is None else str(last),
    }


def receive_notice(contract_id: str, notice: CancellationNotice, staff: StaffMember) -> dict[str, Any]:
    """R9 as staff record it: a notice received now, or at a stated time that is not ahead of the
    server's clock (``NOTICE_IN_THE_FUTURE``)."""
    now = clock.now()
    received_at: datetime = notice.receivedAt or now
    if received_at > now + CLOCK_SKEW:
        raise NoticeInTheFuture()
    answer = cancel(contract_id, received_at, now, staff)
    logger.info(
        "cancellation noticed",
        extra={"contractId": contract_id, "staff": staff.id, "endsAt": answer.get("endsAt")},
    )
    return answer


def terminate(contract_id: str, at: datetime, reason: str, staff: StaffMember) -> dict[str, Any]:
    """R10: the company ends the contract now, with a reason; the subscriber is marked for R6.3(3).
    Who decided it is stored by id and name (``terminatedBy``/``terminatedByName``, the entry's
    ``staffId``/``staffName``)."""
    contract = contracts.require_live(contract_id, at)
    # Never before formation, whatever two servers' clocks say (R10 is "now", and now is later).
    at = max(at, contract.formed_at)
    ended = _end_now(
        contract,
        at,
        EndReason.COMPANY_TERMINATION,
        violation=reason,
        audits=[_entry(contract, at, "TERMINATED", **recorded(staff), reason=reason)],
        now=at,
        terminationReason=reason,
        terminatedBy=staff.id,
        terminatedByName=staff.name,
    )
    if not ended:
        raise ContractEnded(contract_id)
    return view(contracts.require(contract_id))


def terminate_now(contract_id: str, termination: Termination, staff: StaffMember) -> dict[str, Any]:
    """R10 as staff decide it: the contract ends now."""
    answer = terminate(contract_id, clock.now(), termination.reason, staff)
    logger.info("contract terminated by the company", extra={"contractId": contract_id, "staff": staff.id})
    return answer


def refuse_change(change: object) -> NoReturn:
    """R8: a contract never changes hands (``NON_TRANSFERABLE``), and nothing else of it is
    modifiable by a request (``NOT_MODIFIABLE``)."""
    if isinstance(change, dict) and ("holder" in change or "subscriber" in change):
        raise NonTransferable()
    raise NotModifiable()


def account_lost(mobile_contract_id: str, event_at: datetime, now: datetime | None = None) -> list[str]:
    """R11: every contract of the account that has not ended ends at the end of the event's month
    (or earlier, if it was already to end earlier; never before it formed). Returns the
    contracts whose end moved."""
    moved: list[str] = []
    refused: list[str] = []
    for contract in contracts.of_account(mobile_contract_id):
        if contract.status == ContractStatus.ENDED.value:
            continue
        try:
            ends_at = contract_rules.end_on_account_loss(contract.formed_at, event_at)
            if _schedule_end(contract, ends_at, EndReason.ACCOUNT_LOSS, now or clock.now()):
                moved.append(contract.contract_id)
        except InvariantViolation:
            refused.append(contract.contract_id)  # the others still end
    if refused:
        # The event fails after ending all it could: retried, then dead-lettered for an operator.
        raise InvariantViolation("ACCOUNT_LOSS_NOT_APPLIED", f"contracts not ended: {', '.join(refused)}")
    return moved


def apply_account_event(
    detail_type: str, detail: dict[str, Any], event_at: datetime, now: datetime | None = None
) -> dict[str, Any]:
    """The upstream mobile system's account changes (EventBridge), mirrored, then R11."""
    mobile_contract_id = str(detail["mobileContractId"])
    if detail_type == "MobileContractEnded":
        mirrored = accounts.mirror_change(mobile_contract_id, ended=True)
        lost = True
    elif detail_type == "RateLinesChanged":
        lines = int(detail["normalRateLines"])
        mirrored = accounts.mirror_change(mobile_contract_id, normal_rate_lines=lines)
        lost = lines == 0
    else:
        raise ValueError(f"unknown account event {detail_type}")
    if not mirrored:
        raise AccountNotFound(mobile_contract_id)
    moved = account_lost(mobile_contract_id, event_at, now) if lost else []
    return {"mobileContractId": mobile_contract_id, "accountLost": lost, "contractsEnding": moved}


def _scheduled_end(contract: Contract) -> datetime | None:
    """The end of a contract found in the month-end index: None when it has ended meanwhile;
    :class:`InvariantViolation` when it is not pending an end."""
    if contract.status is ContractStatus.ENDED:
        return None
    if contract.status is not ContractStatus.CANCELLATION_PENDING:
        raise InvariantViolation("CORRUPT_CONTRACT", "in the month-end index but not pending an end")
    return contract.ends_at


def end_due_contracts(
    month: BillingMonth, shard: int, now: datetime, cursor: dict[str, Any] | None = None, limit: int = 200
) -> dict[str, Any]:
    """Month-end termination, one shard: every contract whose end falls in ``month`` and has
    passed becomes ENDED at that end and frees its slot. Resumable by ``cursor``; re-running is
    harmless (an ended contract has left the ENDS index).

    A contract that cannot be ended (inconsistent data, a field it lacks) is returned under
    ``quarantined`` and left as it is; the others are ended all the same."""
    items, next_cursor = contracts.ending_in(month, shard, cursor, limit)
    ended: list[dict[str, Any]] = []
    quarantined: list[QuarantineEntry] = []
    for item in items:
        try:
            contract = contracts.get(str(item["contractId"]))
            ends_at = None if contract is None else _scheduled_end(contract)
            if contract is None or ends_at is None or ends_at > now or contract.end_reason is None:
                continue  # ended meanwhile, or not yet: a run before the month is over ends nothing
            reason = contract.end_reason
            if _end_now(contract, ends_at, reason, audits=[_ended_entry(contract, ends_at, reason)], now=now):
                ended.append(
                    {
                        "contractId": contract.contract_id,
                        "mobileContractId": contract.mobile_contract_id,
                        "endedAt": iso(ends_at),
                        "endReason": contract.end_reason,
                    }
                )
        except Exception as error:
            if job_runs.is_transient(error):
                raise  # the infrastructure's failure, not the record's: the step is retried
            quarantined.append(jobs.unprocessable(item, error))
    return {"ended": ended, "quarantined": quarantined, "cursor": next_cursor}


def due_contracts(
    month: BillingMonth, shard: int, now: datetime, cursor: dict[str, Any] | None = None, limit: int = 200
) -> dict[str, Any]:
    """What :func:`end_due_contracts` would end (a dry run), and what it would set aside, without
    writing."""
    items, next_cursor = contracts.ending_in(month, shard, cursor, limit)
    due: list[dict[str, Any]] = []
    quarantined: list[QuarantineEntry] = []
    for item in items:
        try:
            ended = item.get("status") == ContractStatus.ENDED.value  # ended meanwhile: not read
            ends_at = None if ended else _scheduled_end(Contract.from_item(item))
        except InvariantViolation as error:
            quarantined.append(jobs.unprocessable(item, error))
            continue
        if ends_at is not None and ends_at <= now:
            due.append({k: item[k] for k in ("contractId", "mobileContractId", "endsAt")})
    return {
        "wouldEnd": due,
        "contractsDue": len(due),
        "wouldQuarantine": quarantined,
        "cursor": next_cursor,
    }


def month_end_page(
    month: BillingMonth, shard: int, run_id: str, cursor: dict[str, Any] | None, dry_run: bool
) -> dict[str, Any]:
    """One page of a month-end run's shard: end what is due, tell the rest of the system
    (EventBridge ``ContractEnded``), count it, and set aside what could not be ended."""
    if dry_run:
        return due_contracts(month, shard, clock.now(), cursor)
    result = end_due_contracts(month, shard, clock.now(), cursor)
    events.publish("ContractEnded", result["ended"])
    for ended in result["ended"]:
        metrics.count("ContractsEnded", dimensions={"Reason": str(ended["endReason"])})
    # The ended contracts travel as ContractEnded events, not in the workflow's state (256 KB).
    return {
        "contractsEnded": len(result["ended"]),
        "contractsQuarantined": jobs.set_aside("MONTH_END", str(month), run_id, result["quarantined"]),
        "cursor": result["cursor"],
    }


def run_month_end_shard(event: dict[str, Any], remaining_ms: Callable[[], int]) -> dict[str, Any]:
    """The month-end job's shard step (R9, R11): pages until the shard is done or time runs low."""
    month = BillingMonth.parse(event["month"])
    return jobs.run_shard(
        lambda cursor: month_end_page(
            month, int(event["shard"]), event["runId"], cursor, bool(event.get("dryRun"))
        ),
        event,
        remaining_ms,
    )
