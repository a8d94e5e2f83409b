"""A contract's timeline for the staff console (issue 16): everything that happened to it, newest
first, one page at a time (anshin.domain.timeline says what each event shows).

What is read for a page: one Query of the contract's audit partition (``AUDIT#<contractId>``,
newest first, at most ``limit`` entries older than the cursor: verifications, commands, device
registrations and token changes, support sessions, the contract's cancellation notice,
termination and end), the contract item (its formation), its application item (received, the
staff's decision) and its invoice lines (BatchGetItem by key, anshin.store.timeline). The cursor
is the last event's sort key in the audit partition's format; a page merges the events older
than it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from anshin.domain import paging
from anshin.domain import timeline as rules
from anshin.store import applications, audit, contracts, keys
from anshin.store import timeline as sources


def timeline(contract_id: str, cursor: str | None, limit: int, now: datetime) -> dict[str, Any]:
    """One page of the contract's timeline: ``{"items": [TimelineEvent], "nextCursor"}``."""
    contract = contracts.require(contract_id)
    partition = keys.audit_pk(contract_id)
    before = paging.decode_cursor(cursor, ("pk", "sk"), pk=partition)["sk"] if cursor is not None else None
    entries, last = audit.newest_first(contract_id, before, limit)
    others = rules.from_contract(contract)
    application = applications.get(contract.application_id)
    if application is not None:
        others += rules.from_application(application, contract)
    lines = sources.invoice_lines(
        contract.mobile_contract_id, contract_id, rules.billed_months(contract, now)
    )
    others += rules.from_invoice_lines(lines)
    events, after = rules.page(entries, others, before=before, limit=limit, more_audited=last is not None)
    next_cursor = paging.encode_cursor({"pk": partition, "sk": after}) if after else None
    return {"items": events, "nextCursor": next_cursor}
