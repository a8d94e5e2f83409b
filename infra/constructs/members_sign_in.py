"""Members of the mobile service sign in as the holder of their account (issue 23, Art. 5).

The members user pool holds one user per member with the account they hold in the custom
attribute ``custom:mobileContractId``, which the member routes take from the verified ID token
(anshin.runtime.members). Two ways to be a member:

* **Federated** (``anshin:membersOidcIssuer`` set): the pool trusts the carrier's own OpenID
  Connect identity provider; the account id arrives as a claim of the carrier's token
  (``anshin:membersAccountClaim``) and Cognito maps it onto ``custom:mobileContractId`` at every
  sign-in. Cognito requires a mapped attribute to be mutable and writable by the app client that
  signs the member in; what keeps the member from writing it is that the client grants no
  ``aws.cognito.signin.user.admin`` scope, so a member's tokens cannot call
  ``UpdateUserAttributes``, and the managed login offers only the carrier's provider.
* **Created by the carrier's system** (no provider configured): ``AdminCreateUser`` with the
  attribute; no self sign-up, and no client may write the attribute.

The pages sign in with the authorization code flow and PKCE at the pool's managed-login domain
(a public client: a browser keeps no secret). Its callbacks are the pages that need a member.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, Fn, RemovalPolicy, SecretValue
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.constructs.sign_in import PASSWORD_POLICY, code_flow_client
from infra.nag import acknowledge
from infra.settings import Settings
from infra.web_config import member_pages

#: The custom attribute that names the member's mobile account (``custom:`` + this in tokens).
ACCOUNT_ATTRIBUTE = "mobileContractId"
#: The identity provider's name in the pool (the managed login's button, ``identity_provider=``).
PROVIDER_NAME = "Carrier"


def pool(scope: Construct, settings: Settings) -> cognito.UserPool:
    """The members user pool: no self sign-up, the account attribute, retained."""
    members = cognito.UserPool(
        scope,
        "MembersPool",
        self_sign_up_enabled=False,
        sign_in_aliases=cognito.SignInAliases(username=True),
        custom_attributes={
            # Mutable only because a federated sign-in rewrites it from the carrier's claim;
            # the clients below decide who may write it (nobody but Cognito and the carrier).
            ACCOUNT_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True),
        },
        password_policy=PASSWORD_POLICY,
        mfa=cognito.Mfa.OPTIONAL,
        mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
        account_recovery=cognito.AccountRecovery.NONE,
        feature_plan=cognito.FeaturePlan.PLUS,
        standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
        deletion_protection=True,
        removal_policy=RemovalPolicy.RETAIN,
    )
    acknowledge(
        members,
        "COG2",
        "Members prove the account with the carrier's own sign-in (federation) or credentials the "
        "carrier's system issues; MFA is the carrier's to require there. The pool offers TOTP.",
    )
    return members


def provider(
    scope: Construct, members: cognito.UserPool, settings: Settings
) -> cognito.IUserPoolIdentityProvider | None:
    """The carrier's OpenID Connect identity provider, when ``anshin:membersOidcIssuer`` names it:
    its client secret from Secrets Manager (``anshin:membersOidcClientSecretName``, a dynamic
    reference resolved at deploy, never in the template), its account claim mapped onto
    ``custom:mobileContractId``."""
    if not settings.members_oidc_issuer:
        return None
    if not settings.members_oidc_client_id or not settings.members_oidc_client_secret_name:
        raise ValueError(
            "anshin:membersOidcIssuer needs anshin:membersOidcClientId and "
            "anshin:membersOidcClientSecretName (a Secrets Manager secret holding the client secret)"
        )
    secret = SecretValue.secrets_manager(settings.members_oidc_client_secret_name)
    return cognito.UserPoolIdentityProviderOidc(
        scope,
        "CarrierIdentityProvider",
        user_pool=members,
        name=PROVIDER_NAME,
        issuer_url=settings.members_oidc_issuer,
        client_id=settings.members_oidc_client_id,
        client_secret=secret.unsafe_unwrap(),  # a {{resolve:secretsmanager:…}} reference
        scopes=["openid", *settings.members_oidc_scopes],
        attribute_request_method=cognito.OidcAttributeRequestMethod.GET,
        attribute_mapping=cognito.AttributeMapping(
            custom={
                f"custom:{ACCOUNT_ATTRIBUTE}": cognito.ProviderAttribute.other(settings.members_account_claim)
            },
        ),
    )


def domain(members: cognito.UserPool, prefix: str) -> cognito.UserPoolDomain:
    """The members' managed-login domain; an empty ``prefix`` is ``anshin-members-<account id>``."""
    return members.add_domain(
        "MembersSignIn",
        cognito_domain=cognito.CognitoDomainOptions(
            domain_prefix=prefix or Fn.join("-", ["anshin-members", Aws.ACCOUNT_ID])
        ),
    )


def _writable(federated: bool) -> cognito.ClientAttributes:
    """What a member's sign-in may write: with federation, the mapped account attribute (Cognito
    writes it from the carrier's claim; without the permission the sign-in fails); otherwise
    nothing of the account (a standard attribute only, so the list is not CloudFormation's
    default of every writable attribute)."""
    attributes = cognito.ClientAttributes().with_standard_attributes(locale=True)
    if federated:
        attributes = attributes.with_custom_attributes(ACCOUNT_ATTRIBUTE)
    return attributes


def _readable() -> cognito.ClientAttributes:
    """What the ID token carries: the account attribute (the API needs it) and the username."""
    return (
        cognito.ClientAttributes()
        .with_standard_attributes(email=True, locale=True)
        .with_custom_attributes(ACCOUNT_ATTRIBUTE)
    )


def pages_client(
    scope: Construct,
    construct_id: str,
    members: cognito.IUserPool,
    site: str,
    identity_provider: cognito.IUserPoolIdentityProvider | None,
) -> cognito.UserPoolClient:
    """The pages' client for the site at ``site``: code flow + PKCE only, back to the page that
    asked (the sign-up page, the status page, my page); openid/email/profile only (no
    ``aws.cognito.signin.user.admin``: a member's tokens cannot change their attributes); with a
    provider, only that provider."""
    pages = member_pages(site)
    providers = (
        [cognito.UserPoolClientIdentityProvider.custom(PROVIDER_NAME)]
        if identity_provider is not None
        else [cognito.UserPoolClientIdentityProvider.COGNITO]
    )
    client = code_flow_client(
        scope,
        construct_id,
        members,
        pages,
        providers=providers,
        read_attributes=_readable(),
        write_attributes=_writable(identity_provider is not None),
    )
    if identity_provider is not None:
        client.node.add_dependency(identity_provider)
    return client


def tools_client(members: cognito.UserPool) -> cognito.UserPoolClient:
    """Local deployments only: the client ``make member-token`` and the tests sign in with by
    password (no OAuth; never made in AWS, where members sign in only through the pages)."""
    return members.add_client(
        "MembersTools",
        auth_flows=cognito.AuthFlow(user_password=True),
        disable_o_auth=True,
        generate_secret=False,
        read_attributes=_readable(),
        write_attributes=_writable(False),
        prevent_user_existence_errors=True,
        id_token_validity=Duration.hours(1),
        access_token_validity=Duration.hours(1),
        refresh_token_validity=Duration.hours(12),
    )
