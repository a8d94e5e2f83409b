"""The staff console's sign-in: Cognito managed login on the staff user pool's domain, with the
authorization code flow and PKCE (a public client: a browser keeps no secret).

The console (web/js/console/auth.js, oidc-client-ts) sends staff to the domain's sign-in page,
which asks for the password and, in AWS, the TOTP code (the pool's MFA, ``anshin:staffMfa``), and
then exchanges the code for tokens at the domain's token endpoint. The client is made where the
console's address is known: by the web stack for its CloudFront address, by the data stack for a
local deployment's page server (``anshin:localConsoleUrl``).
"""

from __future__ import annotations

from aws_cdk import Aws, Fn
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.constructs.sign_in import code_flow_client
from infra.web_config import console_url


def domain(pool: cognito.UserPool, prefix: str) -> cognito.UserPoolDomain:
    """The pool's managed-login domain ``https://<prefix>.auth.<region>.amazoncognito.com``; an
    empty ``prefix`` is ``anshin-staff-<account id>`` (unique per region across AWS)."""
    return pool.add_domain(
        "StaffSignIn",
        cognito_domain=cognito.CognitoDomainOptions(
            domain_prefix=prefix or Fn.join("-", ["anshin-staff", Aws.ACCOUNT_ID])
        ),
    )


def console_client(
    scope: Construct, construct_id: str, pool: cognito.IUserPool, site: str
) -> cognito.UserPoolClient:
    """The console's client, in ``scope``'s stack, for the site at ``site`` (``https://…`` or
    ``http://127.0.0.1:…``): code flow only, back to the console's page after sign-in and sign-out;
    tokens for an hour, renewed with a refresh token for at most a working day, revocable at
    sign-out."""
    return code_flow_client(scope, construct_id, pool, [console_url(site)])
