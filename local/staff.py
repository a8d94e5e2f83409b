"""Support-staff sign-in on the local stack: the demo staff accounts in the deployed Cognito
user pool, and their tokens (``make staff-token``)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from infra.web_config import staff_sign_in
from local.deploy import client
from local.emulator import REGION


@dataclass(frozen=True)
class StaffAccount:
    username: str
    password: str
    groups: tuple[str, ...]


#: A support-staff member, and a signed-in user who is not staff (the staff routes answer 403).
DEMO_STAFF = StaffAccount("demo-staff", "Anshin-Demo-2026!", ("support-staff",))
DEMO_NOT_STAFF = StaffAccount("demo-visitor", "Anshin-Visitor-2026!", ())


def ensure(endpoint: str, pool_id: str, account: StaffAccount) -> None:
    """Create the account (once) with a permanent password and its groups."""
    cognito = client("cognito-idp", endpoint)
    with contextlib.suppress(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(UserPoolId=pool_id, Username=account.username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=account.username, Password=account.password, Permanent=True
    )
    for group in account.groups:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=account.username, GroupName=group)


def token(endpoint: str, client_id: str, account: StaffAccount) -> str:
    """An ID token for ``account`` (what the staff console sends as ``Authorization``)."""
    answer = client("cognito-idp", endpoint).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": account.username, "PASSWORD": account.password},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def console_sign_in(endpoint: str, pool_id: str, client_id: str) -> dict[str, str]:
    """The console's sign-in settings on the local stack: the emulator serves the pool's managed
    login (``/oauth2/authorize``, ``/login``, ``/oauth2/token``, ``/logout``) at its own address,
    where AWS serves it at the pool's domain; the tokens' issuer is the one AWS would write. The
    emulator has no ``/oauth2/revoke`` (docs/emulator-notes.md): the console signs out without
    revoking the refresh token here."""
    issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    settings = staff_sign_in(endpoint, issuer, client_id)
    del settings["revocationEndpoint"]
    return settings
