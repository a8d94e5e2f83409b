"""Who acted among support staff (issue 23), pure: the signed-in staff member by their id (the
verified token's ``sub``: what the rules compare, e.g. only a verification's opener may use it)
and by their name (the token's ``cognito:username``: what people read on the timeline, the
command history and the audit; never the ``sub``).

Where an item or an audit entry records who acted, the name is stored beside the id, in the same
write, at the time of the action (a later rename changes no record). The scheme: the id keeps the
field it always had, the name is that field's name with ``Name`` (``staffId`` → ``staffName``, as
the one exception; ``requestedBy`` → ``requestedByName``, ``cancelledBy`` → ``cancelledByName``,
``decidedBy`` → ``decidedByName``, ``terminatedBy``, ``revokedBy``, ``closedBy`` and
``verifiedBy`` likewise). An entry recorded before names were has the id only: its name reads as
None, and the console shows a neutral label for it, never the id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The verified claims a staff member's name is taken from, in order of preference.
NAME_CLAIMS = ("cognito:username", "email")
#: The name of a staff member whose token carries none of :data:`NAME_CLAIMS`.
UNKNOWN_NAME = "unknown"
#: The id field of an audit entry (whose name field is ``staffName``).
STAFF_ID = "staffId"


@dataclass(frozen=True)
class StaffMember:
    """A signed-in support-staff member: their token's subject and their username."""

    id: str
    name: str


def name_from_claims(claims: Mapping[str, Any]) -> str:
    """The staff member's name in verified token claims: ``cognito:username``, else ``email``,
    else :data:`UNKNOWN_NAME`; never the subject (a pool whose usernames are generated makes the
    username the ``sub``: then the email is the name)."""
    subject = str(claims.get("sub") or "")
    for claim in NAME_CLAIMS:
        value = str(claims.get(claim) or "").strip()
        if value and value != subject:
            return value
    return UNKNOWN_NAME


def name_field(id_field: str) -> str:
    """Where the name of who acted is stored beside ``id_field`` (the scheme above)."""
    return "staffName" if id_field == STAFF_ID else f"{id_field}Name"


def recorded(staff: StaffMember, id_field: str = STAFF_ID) -> dict[str, str]:
    """Who acted as an item's or entry's fields: the id under ``id_field``, the name beside it."""
    return {id_field: staff.id, name_field(id_field): staff.name}


def name_of(item: Mapping[str, Any], id_field: str = STAFF_ID) -> str | None:
    """The name stored beside ``id_field`` in ``item``; None when it has none (recorded before
    names were, or nobody's)."""
    name = item.get(name_field(id_field))
    return str(name) if name else None


def entry_fields(item: Mapping[str, Any], id_field: str = STAFF_ID) -> dict[str, str]:
    """Who acted as ``item`` records them under ``id_field``, as an audit entry's fields
    (``staffId``, and ``staffName`` when ``item`` has the name)."""
    name = name_of(item, id_field)
    return {STAFF_ID: str(item[id_field]), **({name_field(STAFF_ID): name} if name else {})}
