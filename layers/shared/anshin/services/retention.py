"""The daily retention job (docs/retention.md): erase the personal data whose time is up.

Three work lists (anshin.store.retention), each read only where it is due (entries whose event
came before anshin.domain.retention.cutoff, by shard, oldest first):

- ``APPLICATION``: a refused or failed application loses its applicant's data after
  ``REFUSED_APPLICATION_RETENTION_DAYS``;
- ``DEVICE_DATA``: an ended contract's settings backups (every version), the locations its
  LOCATE commands reported and the support app's push channel go
  ``BACKUP_RETENTION_DAYS_AFTER_END`` after the end;
- ``CONTACT``: an ended contract's holder contact data (and its application's applicant, and the
  phone lookup) goes ``PERSONAL_DATA_RETENTION_DAYS`` after the end. Ids, months, amounts,
  statuses and dates stay: invoice lines hold no personal data and stay for the billing records.

Idempotent: each erasure deletes its entry in its own transaction, so a second run finds nothing
due and writes nothing; the S3 and item erasures before it are safe to repeat. One entry that
cannot be erased is set aside (kept for the next run, logged by id and error type) and the others
go on; the run then fails, so the function's error alarm tells the on-call. A run that reaches its
time budget stops between entries and says ``more`` (the next run, or an operator's, goes on).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from anshin.adapters import backups, metrics
from anshin.domain import clock
from anshin.domain import retention as rules
from anshin.domain.clock import iso
from anshin.domain.contract_rules import ContractStatus
from anshin.domain.entities import Contract
from anshin.settings import settings
from anshin.store import applications, contracts, keys
from anshin.store import retention as stored

logger = Logger()

#: Entries read per query.
PAGE = 100
#: How long one run works before it stops between entries (the function's timeout is 15 minutes).
BUDGET_SECONDS = 12 * 60


class RetentionIncomplete(RuntimeError):
    """Some due entries could not be erased this run (they stay for the next)."""


def periods() -> dict[rules.Stage, int]:
    """Each work list's retention in days, from the settings."""
    return {
        rules.Stage.APPLICATION: settings.refused_application_retention_days,
        rules.Stage.DEVICE_DATA: settings.backup_retention_days_after_end,
        rules.Stage.CONTACT: settings.personal_data_retention_days,
    }


def _ended_contract(entry: dict[str, Any]) -> Contract | None:
    """The ended contract an entry names; None when it is gone (the entry is dropped)."""
    contract = contracts.get(str(entry["subjectId"]))
    if contract is not None and contract.status != ContractStatus.ENDED.value:
        raise LookupError("the contract of a retention entry has not ended")
    return contract


def erase_application(entry: dict[str, Any], at: datetime) -> str:
    if stored.erase_application(entry, at):
        return "applicationsErased"
    stored.drop(entry)  # erased before, or the application is gone
    return "nothingToErase"


def erase_device_data(entry: dict[str, Any], at: datetime) -> str:
    contract = _ended_contract(entry)
    if contract is None:
        stored.drop(entry)
        return "nothingToErase"
    contract_id = contract.contract_id
    device_id = contract.device_id
    versions = backups.delete_all_versions(keys.backup_prefix(contract_id))
    located = sum(stored.erase_location(c, at) for c in stored.command_ids(contract_id, device_id))
    channel = stored.erase_device(device_id, contract_id, at)
    erased = stored.finish_device_data(
        entry, at, backupVersions=versions, locations=located, pushChannel=int(channel)
    )
    return "deviceDataErased" if erased else "nothingToErase"


def erase_contact(entry: dict[str, Any], at: datetime) -> str:
    contract = _ended_contract(entry)
    if contract is None:
        stored.drop(entry)
        return "nothingToErase"
    application = applications.get(contract.application_id)
    if stored.erase_contact(entry, contract, application, at):
        return "contractsErased"
    return "nothingToErase"  # erased before: the entry is gone


ERASERS: dict[rules.Stage, Callable[[dict[str, Any], datetime], str]] = {
    rules.Stage.APPLICATION: erase_application,
    rules.Stage.DEVICE_DATA: erase_device_data,
    rules.Stage.CONTACT: erase_contact,
}


def run(now: datetime | None = None, budget_seconds: float = BUDGET_SECONDS) -> dict[str, Any]:
    """Erase everything due at ``now`` (the clock unless told): the run's totals by outcome,
    ``more`` when the budget ran out first. ``RetentionIncomplete`` after the rest is done when
    an entry could not be erased."""
    at = now or clock.now()
    started = time.monotonic()
    totals: Counter[str] = Counter()
    set_aside: list[dict[str, str]] = []
    more = False
    for stage, days in periods().items():
        before = rules.cutoff(at, days)
        for shard in range(keys.SHARDS):
            start: dict[str, Any] | None = None
            while not more:
                entries, start = stored.due_page(stage, shard, before, start, PAGE)
                for entry in entries:
                    if time.monotonic() - started >= budget_seconds:
                        more = True
                        break
                    try:
                        totals[ERASERS[stage](entry, at)] += 1
                    except Exception as error:  # one entry never stops the others
                        set_aside.append(
                            {
                                "stage": stage.value,
                                "subjectId": str(entry["subjectId"]),
                                "errorType": type(error).__name__,
                            }
                        )
                if start is None:
                    break
    for outcome in ("applicationsErased", "deviceDataErased", "contractsErased"):
        if totals[outcome]:
            metrics.count("PersonalDataErased", totals[outcome], dimensions={"Outcome": outcome})
    answer = {
        "at": iso(at),
        **{
            outcome: totals[outcome]
            for outcome in ("applicationsErased", "deviceDataErased", "contractsErased", "nothingToErase")
        },
        "setAside": len(set_aside),
        "more": more,
    }
    logger.info("retention run", extra={"result": answer})
    if set_aside:
        logger.warning("retention entries set aside", extra={"entries": set_aside[:100]})
        raise RetentionIncomplete(f"{len(set_aside)} entries could not be erased; they stay for the next run")
    return answer
