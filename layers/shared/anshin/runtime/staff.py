"""Who may use the staff routes: callers whose verified token carries the support-staff group.

API Gateway's Cognito authorizer verifies the token and passes its claims in
``requestContext.authorizer.claims``; the handlers check them again (defence in depth), so a
route whose authorizer is missing or not enforced still refuses anonymous callers.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from anshin.domain import errors
from anshin.runtime.http import proxy_error, status_of
from anshin.settings import STAFF_GROUP


def staff_id(event: dict[str, Any]) -> str:
    """The calling staff member's id, or ``NotSignedIn`` (401) / ``NotStaff`` (403)."""
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    subject = claims.get("sub") or claims.get("cognito:username")
    if not subject:
        raise errors.NotSignedIn()
    groups = claims.get("cognito:groups", "")
    if isinstance(groups, str):
        groups = [g.strip(" []") for g in groups.replace(",", " ").split()]
    if STAFF_GROUP not in groups:
        raise errors.NotStaff()
    return str(subject)


def refusal(event: dict[str, Any], staff_resources: frozenset[str] | None = None) -> dict[str, Any] | None:
    """The 401/403 proxy response for a caller who is not verified staff on a staff route
    (``staff_resources``: the API resources that are staff-only; None: every one), or None.

    Checked before the request is parsed, so someone who is not staff learns nothing about a
    route's input from its validation errors."""
    if staff_resources is not None and event.get("resource") not in staff_resources:
        return None
    try:
        staff_id(event)
    except (errors.NotSignedIn, errors.NotStaff) as refused:
        return proxy_error(status_of(refused), refused.code, refused.message)
    return None


def caller(app: APIGatewayRestResolver) -> str:
    """The staff member calling the current route (:func:`staff_id` of its event)."""
    return staff_id(app.current_event.raw_event)
