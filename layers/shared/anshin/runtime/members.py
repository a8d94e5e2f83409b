"""Who may use the member routes (issue 23): the holder of a mobile account, signed in with the
members user pool, whose verified ID token carries the account id (``custom:mobileContractId``).

API Gateway's Cognito authorizer admits tokens of the staff pool and the members pool alike and
passes the verified claims in ``requestContext.authorizer.claims``. A member route requires the
members pool's issuer and the account claim; a staff token there is ``403 MEMBERS_ONLY``, no
token ``401``. The account comes from the claim, never from a request's body: in AWS the carrier
writes it (an admin-created member) or Cognito maps it from the carrier's identity provider at
every sign-in, and no member's token may write it (infra.constructs.members_sign_in).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from anshin.domain import errors
from anshin.domain.members import Member
from anshin.runtime.http import proxy_error, status_of
from anshin.settings import settings

#: The ID token's claim that names the member's mobile account.
ACCOUNT_CLAIM = "custom:mobileContractId"

__all__ = ["ACCOUNT_CLAIM", "Member", "caller", "member_of", "refusal"]


def _claims(event: dict[str, Any]) -> dict[str, Any]:
    return ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}


def member_of(event: dict[str, Any]) -> Member:
    """The calling member, or ``MemberNotSignedIn`` (401) / ``MembersOnly`` (403)."""
    claims = _claims(event)
    subject = claims.get("sub")
    if not subject:
        raise errors.MemberNotSignedIn()
    account = str(claims.get(ACCOUNT_CLAIM) or "")
    if claims.get("iss") != settings.members_issuer or not account:
        raise errors.MembersOnly()
    if claims.get("token_use", "id") != "id":
        # An access token carries no account claim; only the ID token proves the account.
        raise errors.MembersOnly()
    return Member(id=str(subject), mobile_contract_id=account)


def refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """The 401/403 proxy answer for a caller who is not a signed-in member, or None; checked
    before the request is parsed, so nobody else learns a route's input from its errors."""
    try:
        member_of(event)
    except (errors.MemberNotSignedIn, errors.MembersOnly) as refused:
        return proxy_error(status_of(refused), refused.code, refused.message)
    return None


def caller(app: APIGatewayRestResolver) -> Member:
    """The member calling the current route (:func:`member_of` of its event)."""
    return member_of(app.current_event.raw_event)
