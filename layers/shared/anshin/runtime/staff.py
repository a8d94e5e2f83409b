"""Who may use the staff routes: callers whose verified token carries the support-staff group.

API Gateway's Cognito authorizer verifies the token and passes its claims in
``requestContext.authorizer.claims``; the handlers check them again (defence in depth), so a
route whose authorizer is missing or not enforced still refuses anonymous callers.

The caller is a :class:`~anshin.domain.staff.StaffMember`: the token's ``sub`` as the id, and its
``cognito:username`` (else ``email``, else "unknown"; never the ``sub``) as the name that is
stored with every record of what they did (anshin.domain.staff).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from anshin.domain import errors
from anshin.domain.staff import StaffMember, name_from_claims
from anshin.runtime.http import proxy_error, status_of
from anshin.settings import STAFF_GROUP, settings


def staff_member(event: dict[str, Any]) -> StaffMember:
    """The calling staff member, or ``NotSignedIn`` (401) / ``NotStaff`` (403)."""
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    subject = claims.get("sub") or claims.get("cognito:username")
    if not subject:
        raise errors.NotSignedIn()
    # The authorizer admits members' tokens too (issue 23): only the staff pool's are staff,
    # whatever groups another pool's token claims.
    if claims.get("iss") != settings.staff_issuer:
        raise errors.NotStaff()
    groups = claims.get("cognito:groups", "")
    if isinstance(groups, str):
        groups = [g.strip(" []") for g in groups.replace(",", " ").split()]
    if STAFF_GROUP not in groups:
        raise errors.NotStaff()
    return StaffMember(id=str(subject), name=name_from_claims(claims))


def refusal(event: dict[str, Any], staff_resources: frozenset[str] | None = None) -> dict[str, Any] | None:
    """The 401/403 proxy response for a caller who is not verified staff on a staff route
    (``staff_resources``: the API resources that are staff-only; None: every one), or None.

    Checked before the request is parsed, so someone who is not staff learns nothing about a
    route's input from its validation errors."""
    if staff_resources is not None and event.get("resource") not in staff_resources:
        return None
    try:
        staff_member(event)
    except (errors.NotSignedIn, errors.NotStaff) as refused:
        return proxy_error(status_of(refused), refused.code, refused.message)
    return None


def caller(app: APIGatewayRestResolver) -> StaffMember:
    """The staff member calling the current route (:func:`staff_member` of its event)."""
    return staff_member(app.current_event.raw_event)
