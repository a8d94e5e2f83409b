"""Who may use the staff routes: callers whose verified token carries the support-staff group.

API Gateway's Cognito authorizer verifies the token and passes its claims in
``requestContext.authorizer.claims``; the handlers check them again (defence in depth), so a
route whose authorizer is missing or not enforced still refuses anonymous callers.
"""

from __future__ import annotations

from typing import Any

from anshin.runtime.http import ApiError, proxy_error

STAFF_GROUP = "support-staff"


def staff_id(event: dict[str, Any]) -> str:
    """The calling staff member's id, or ApiError 401 (no verified identity) / 403 (not staff)."""
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    subject = claims.get("sub") or claims.get("cognito:username")
    if not subject:
        raise ApiError(401, "UNAUTHENTICATED", "Sign in as support staff.")
    groups = claims.get("cognito:groups", "")
    if isinstance(groups, str):
        groups = [g.strip(" []") for g in groups.replace(",", " ").split()]
    if STAFF_GROUP not in groups:
        raise ApiError(403, "FORBIDDEN", "Only support staff may do this.")
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
    except ApiError as refused:
        return proxy_error(refused.status, refused.code, refused.message)
    return None
