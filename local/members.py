"""Members of the mobile service on the local stack (issue 23): one member per account of the
mirror, holder of that account, in the deployed members user pool, and their ID tokens
(``make member-token ACCOUNT=…``).

In AWS the carrier creates members (or they sign in through the carrier's identity provider);
here, as there, a member is an ``AdminCreateUser`` with ``custom:mobileContractId``, never a
self sign-up. The password is the same for every local member so a person can sign in as any
account's holder by hand (``make run`` prints it).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from anshin.store import db, keys

from infra.web_config import member_sign_in
from local.deploy import client
from local.emulator import REGION

#: Every local member's password (the pool asks for 12 characters, all four kinds).
DEMO_PASSWORD = "Anshin-Member-2026!"  # noqa: S105 - a local demo credential
#: The custom attribute that names the account (infra.constructs.members_sign_in).
ACCOUNT_ATTRIBUTE = "custom:mobileContractId"


class UnknownAccount(LookupError):
    """The account is not in the mirror: nobody holds it."""


@dataclass(frozen=True)
class MemberAccount:
    username: str
    password: str
    mobile_contract_id: str


def username_of(mobile_contract_id: str) -> str:
    """The local member's username: the account id in lower case (``MC-DEMO`` -> ``mc-demo``)."""
    return mobile_contract_id.lower()


def ensure(endpoint: str, pool_id: str, mobile_contract_id: str) -> MemberAccount:
    """The holder of ``mobile_contract_id``, created once with the demo password."""
    cognito = client("cognito-idp", endpoint)
    username = username_of(mobile_contract_id)
    with contextlib.suppress(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": ACCOUNT_ATTRIBUTE, "Value": mobile_contract_id}],
        )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=DEMO_PASSWORD, Permanent=True
    )
    return MemberAccount(username, DEMO_PASSWORD, mobile_contract_id)


def in_mirror(endpoint: str, table: str, mobile_contract_id: str) -> bool:
    """Whether the mirror knows the account."""
    key = db.serializer().key(keys.account(mobile_contract_id))
    return "Item" in client("dynamodb", endpoint).get_item(TableName=table, Key=key)


def token(endpoint: str, client_id: str, mobile_contract_id: str) -> str:
    """An ID token of the holder of ``mobile_contract_id`` (what the pages send as
    ``Authorization``), signed in through the local tools client."""
    answer = client("cognito-idp", endpoint).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username_of(mobile_contract_id), "PASSWORD": DEMO_PASSWORD},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def token_for(endpoint: str, outputs: dict[str, str], mobile_contract_id: str) -> str:
    """``make member-token``: the holder's ID token, creating the member when missing; an account
    the mirror does not know is ``UnknownAccount``."""
    if not in_mirror(endpoint, outputs["ContractsTableName"], mobile_contract_id):
        raise UnknownAccount(mobile_contract_id)
    ensure(endpoint, outputs["MembersUserPoolId"], mobile_contract_id)
    return token(endpoint, outputs["MembersToolsClientId"], mobile_contract_id)


def page_sign_in(endpoint: str, pool_id: str, client_id: str) -> dict[str, str]:
    """The member pages' sign-in settings on the local stack: the emulator serves the members
    pool's managed login at its own address (as for the console, local.staff.console_sign_in);
    it has no ``/oauth2/revoke``."""
    issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    settings = member_sign_in(endpoint, issuer, client_id)
    del settings["revocationEndpoint"]
    return settings
