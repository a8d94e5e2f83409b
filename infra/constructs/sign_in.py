"""What the staff console's sign-in and the member pages' have in common (issues 16 and 23): a
public Cognito app client for a browser page (authorization code flow with PKCE, no secret, no
password reaching the page), and the password policy of a pool whose users sign in with one."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from constructs import Construct

#: Twelve characters of all four kinds; a temporary password (an admin-created user's) lasts 3 days.
PASSWORD_POLICY = cognito.PasswordPolicy(
    min_length=12,
    require_digits=True,
    require_lowercase=True,
    require_uppercase=True,
    require_symbols=True,
    temp_password_validity=Duration.days(3),
)


def code_flow_client(
    scope: Construct,
    construct_id: str,
    pool: cognito.IUserPool,
    pages: Sequence[str],
    *,
    providers: Sequence[cognito.UserPoolClientIdentityProvider] = (
        cognito.UserPoolClientIdentityProvider.COGNITO,
    ),
    read_attributes: cognito.ClientAttributes | None = None,
    write_attributes: cognito.ClientAttributes | None = None,
) -> cognito.UserPoolClient:
    """A page's client: code flow only (tokens never in a URL), back to one of ``pages`` after
    sign-in and sign-out; openid/email/profile (no ``aws.cognito.signin.user.admin``); tokens for
    an hour, renewed with a refresh token for at most a working day, revocable at sign-out."""
    return cognito.UserPoolClient(
        scope,
        construct_id,
        user_pool=pool,
        generate_secret=False,
        # No password reaches the page: the managed login page takes it.
        auth_flows=cognito.AuthFlow(user_srp=False, user_password=False, custom=False),
        o_auth=cognito.OAuthSettings(
            flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
            scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
            callback_urls=list(pages),
            logout_urls=list(pages),
        ),
        supported_identity_providers=list(providers),
        read_attributes=read_attributes,
        write_attributes=write_attributes,
        prevent_user_existence_errors=True,
        enable_token_revocation=True,
        id_token_validity=Duration.hours(1),
        access_token_validity=Duration.hours(1),
        refresh_token_validity=Duration.hours(12),
        auth_session_validity=Duration.minutes(5),
    )
