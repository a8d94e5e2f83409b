"""A contract's timeline (issue 16), pure: what staff see happened to a contract, newest first.

Its events come from the contract's audit entries (``AUDIT#<contractId>``, time-first keys:
``VERIFY``, ``CMD``, ``DEVICE``, ``SESSION``, ``CONTRACT``) and from three kinds of items that are
not audited: the application (``APPLICATION``: received, and the staff's decision on a deferred
one), the contract's formation (``CONTRACT`` ``FORMED``) and its invoice lines (``INVOICE``: one
per charged month). Each event has a sort key in the audit's format, ``<at>#<kind>#<unique>``, so
the two merge into one order and a page's cursor is the sort key of its last event.

What an event shows: who, for an event staff made (``by``: the staff member's id, kept for older
readers; ``byName``: their username as stored with the entry at the time of the action, or null
for an entry recorded before names were, anshin.domain.staff), and the entry's own fields; never
a passphrase, a code or a token (audit entries hold none), no holder's personal data, and for
``VERIFY`` the outcome only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from anshin.domain.clock import iso
from anshin.domain.entities import Application, Contract, InvoiceLine
from anshin.domain.staff import STAFF_ID, name_field, name_of
from anshin.domain.terms import BillingMonth, billing_month_of

#: An event with its sort key.
Keyed = tuple[str, dict[str, Any]]

#: ``VERIFY`` outcomes as the timeline names them (outcome only): anything else keeps its name.
VERIFY_EVENTS = {
    "VERIFIED": "VERIFIED",
    "FAILED": "FAILED",
    "FAILED_AND_LOCKED": "LOCKED_OUT",
    "LOCKED": "LOCKED_OUT",
}
#: What an audit entry's item holds that is not one of the event's details.
_NOT_DETAILS = frozenset(
    {"pk", "sk", "type", "kind", "contractId", "at", "outcome", STAFF_ID, name_field(STAFF_ID), "ttl"}
)


def sort_key(at: str, kind: str, unique: str) -> str:
    """The audit's sort-key format (anshin.store.keys.audit), for events that are not audited."""
    return f"{at}#{kind}#{unique}"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _event(
    at: str,
    kind: str,
    event: str,
    by: str | None,
    details: Mapping[str, Any],
    by_name: str | None = None,
) -> dict[str, Any]:
    """An event; one staff made has ``by`` (their id) and ``byName`` (their stored name, None
    when the entry has none)."""
    answer: dict[str, Any] = {"at": at, "kind": kind, "event": event}
    if by:
        answer["by"] = by
        answer["byName"] = by_name
    answer["details"] = _plain(dict(details))
    return answer


def from_audit(entry: Mapping[str, Any]) -> Keyed:
    """An audit entry as a timeline event."""
    sk = str(entry["sk"])
    kind = str(entry.get("kind") or sk.split("#")[1])
    outcome = str(entry["outcome"])
    details = {k: v for k, v in entry.items() if k not in _NOT_DETAILS and not k.startswith("gsi")}
    event = outcome
    if kind == "VERIFY":
        event = VERIFY_EVENTS.get(outcome, outcome)
        details = {"outcome": outcome} if event != outcome else {}
    by = entry.get(STAFF_ID)
    return sk, _event(str(entry["at"]), kind, event, str(by) if by else None, details, name_of(entry))


def from_application(application: Application, contract: Contract) -> list[Keyed]:
    """The application: received; decided by staff (a deferred one, R6.2), placed at the
    contract's formation (the decision's own instant is not stored; it came before)."""
    application_id = str(application["applicationId"])
    received = str(application["receivedAt"])
    events = [
        (
            sort_key(received, "APPLICATION", f"{application_id}#RECEIVED"),
            _event(received, "APPLICATION", "RECEIVED", None, {"applicationId": application_id}),
        )
    ]
    if application.get("staffDecision"):
        fields: Mapping[str, Any] = application
        at = str(fields.get("decidedAt") or iso(contract.formed_at))
        events.append(
            (
                sort_key(at, "APPLICATION", f"{application_id}#DECIDED"),
                _event(
                    at,
                    "APPLICATION",
                    "DECIDED",
                    str(application.get("decidedBy") or "") or None,
                    {"applicationId": application_id, "decision": application["staffDecision"]},
                    name_of(application, "decidedBy"),
                ),
            )
        )
    return events


def from_contract(contract: Contract) -> list[Keyed]:
    """The contract's formation (R6.4); its ends are audited (``CONTRACT`` entries)."""
    formed = iso(contract.formed_at)
    details = {
        "firstBillableMonth": contract.first_billable_month,
        "firstUnderAccount": contract.first_under_account,
    }
    return [
        (
            sort_key(formed, "CONTRACT", f"{contract.contract_id}#FORMED"),
            _event(formed, "CONTRACT", "FORMED", None, details),
        )
    ]


def from_invoice_lines(lines: Iterable[InvoiceLine]) -> list[Keyed]:
    """Each month charged for the contract (R12), when it was charged."""
    return [
        (
            sort_key(str(line["chargedAt"]), "INVOICE", str(line["month"])),
            _event(
                str(line["chargedAt"]),
                "INVOICE",
                "CHARGED",
                None,
                {"month": line["month"], "amount": line["amount"]},
            ),
        )
        for line in lines
    ]


def billed_months(contract: Contract, now: datetime) -> list[BillingMonth]:
    """The months whose invoice may hold a line of the contract (R12): from its first billable
    month to the last month that is over, and not past the month it ended in."""
    first = BillingMonth.parse(contract.first_billable_month)
    last = billing_month_of(now) - 1
    if contract.end is not None:
        last = min(last, billing_month_of(contract.end))
    return first.through(last)


def page(
    audited: Iterable[Mapping[str, Any]],
    others: Iterable[Keyed],
    *,
    before: str | None,
    limit: int,
    more_audited: bool,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page, newest first: the audit entries read (older than ``before``, at most ``limit``,
    ``more_audited`` when the audit has more) merged with the other events older than
    ``before``; answers the events and the sort key to continue before (None: the last page)."""
    candidates = [from_audit(entry) for entry in audited]
    candidates += [(key, event) for key, event in others if before is None or key < before]
    candidates.sort(key=lambda keyed: keyed[0], reverse=True)
    shown = candidates[:limit]
    more = more_audited or len(candidates) > limit
    return [event for _, event in shown], (shown[-1][0] if more and shown else None)
