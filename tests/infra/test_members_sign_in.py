"""Members sign in as the holder of their account (issue 23): the members user pool, its clients,
the optional federation to the carrier's identity provider, one authorizer for both pools, and
the member routes behind it. What the emulator does not check (who may write an attribute, the
provider's mapping) is checked here against the synthesized templates."""

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import assertions

from infra.app import build_app
from infra.web_config import MEMBER_PAGES
from local.service import LOCAL_CONTEXT
from tests.infra.test_staff_sign_in import clients

ACCOUNT = "custom:mobileContractId"
FEDERATED = {
    "anshin:membersOidcIssuer": "https://id.carrier.example.jp",
    "anshin:membersOidcClientId": "anshin-members",
    "anshin:membersOidcClientSecretName": "anshin/members-oidc",
    "anshin:membersAccountClaim": "qt_member_contract",
}


def pool_of(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    [pool] = [
        r
        for n, r in template["Resources"].items()
        if n.startswith(prefix) and r["Type"] == "AWS::Cognito::UserPool"
    ]
    return pool


def member_clients(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: c for n, c in clients(template).items() if "MembersPool" in json.dumps(c["UserPoolId"])}


@pytest.fixture(scope="module")
def federated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    outdir = tmp_path_factory.mktemp("federated")
    app = build_app(outdir=str(outdir), context=FEDERATED)
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(name).template for name in ("AnshinData", "AnshinWeb")}


def test_the_members_pool_admits_no_self_sign_up_and_names_the_account(
    data_template: assertions.Template,
) -> None:
    pool = pool_of(data_template.to_json(), "MembersPool")["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    [account] = [a for a in pool["Schema"] if a["Name"] == "mobileContractId"]
    assert account["AttributeDataType"] == "String" and account["Mutable"] is True  # mapped from the carrier
    assert pool_of(data_template.to_json(), "MembersPool")["DeletionPolicy"] == "Retain"
    outputs = data_template.find_outputs("*")
    assert {"MembersUserPoolId", "MembersSignInDomain"} <= set(outputs)
    # AWS has no password client for members, and no local page client.
    assert member_clients(data_template.to_json()) == {}


def test_the_pages_client_is_code_flow_to_the_member_pages_and_cannot_write_the_account(
    web_template: assertions.Template,
) -> None:
    [pages] = member_clients(web_template.to_json()).values()
    assert pages["AllowedOAuthFlows"] == ["code"] and pages["GenerateSecret"] is False
    assert pages["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
    # No aws.cognito.signin.user.admin: a member's tokens cannot call UpdateUserAttributes.
    assert sorted(pages["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert ACCOUNT in pages["ReadAttributes"]
    assert ACCOUNT not in pages["WriteAttributes"] and pages["WriteAttributes"]  # [] would mean all
    assert pages["SupportedIdentityProviders"] == ["COGNITO"]
    suffixes = [url["Fn::Join"][1][2] for url in pages["CallbackURLs"]]
    assert suffixes == [f"/{page}" for page in MEMBER_PAGES] and pages["LogoutURLs"] == pages["CallbackURLs"]


def test_the_csp_admits_both_sign_in_domains(web_template: assertions.Template) -> None:
    [policy] = web_template.find_resources("AWS::CloudFront::ResponseHeadersPolicy").values()
    csp = json.dumps(
        policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    )
    assert "MembersPool" in csp and "StaffPool" in csp  # both sign-in domains in connect-src


def test_federation_maps_the_carriers_claim_and_offers_only_the_carrier(
    federated: dict[str, dict[str, Any]],
) -> None:
    data, web = federated["AnshinData"], federated["AnshinWeb"]
    [provider] = [
        r["Properties"]
        for r in data["Resources"].values()
        if r["Type"] == "AWS::Cognito::UserPoolIdentityProvider"
    ]
    assert provider["ProviderType"] == "OIDC" and provider["ProviderName"] == "Carrier"
    assert provider["AttributeMapping"] == {ACCOUNT: "qt_member_contract"}
    details = provider["ProviderDetails"]
    assert details["oidc_issuer"] == "https://id.carrier.example.jp"
    assert details["client_id"] == "anshin-members"
    # The secret is a dynamic reference resolved at deploy: never its value in the template.
    assert details["client_secret"].startswith("{{resolve:secretsmanager:anshin/members-oidc")
    assert "openid" in details["authorize_scopes"].split()
    [pages] = member_clients(web).values()
    assert pages["SupportedIdentityProviders"] == ["Carrier"]
    # Cognito writes a mapped attribute at each sign-in through the app client: it must be writable
    # there (AWS refuses the sign-in otherwise), and no user.admin scope lets the member write it.
    assert ACCOUNT in pages["WriteAttributes"]
    assert "aws.cognito.signin.user.admin" not in pages["AllowedOAuthScopes"]


def test_federation_without_its_client_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="membersOidcClientSecretName"):
        build_app(
            outdir=str(tmp_path), context={"anshin:membersOidcIssuer": "https://id.carrier.example.jp"}
        ).synth()


def test_a_local_deployment_gets_the_page_and_tools_clients(tmp_path: Path) -> None:
    site = "http://127.0.0.1:4580"
    app = build_app(outdir=str(tmp_path), context={**LOCAL_CONTEXT, "anshin:localConsoleUrl": site})
    data = app.synth().get_stack_by_name("AnshinData").template
    found = member_clients(data)
    [pages] = [c for n, c in found.items() if n.startswith("LocalMemberPages")]
    assert pages["CallbackURLs"] == [f"{site}/{page}" for page in MEMBER_PAGES]
    [tools] = [c for n, c in found.items() if n.startswith("MembersPoolMembersTools")]
    assert tools["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert ACCOUNT not in tools["WriteAttributes"]
    assert {"MembersPagesClientId", "MembersToolsClientId"} <= set(data["Outputs"])


def test_one_authorizer_admits_both_pools_and_guards_every_member_route(
    service_template: assertions.Template,
) -> None:
    template = service_template.to_json()
    [authorizer] = [
        r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Authorizer"
    ]
    pools = json.dumps(authorizer["ProviderARNs"])
    assert "StaffPool" in pools and "MembersPool" in pools
    resources = {n: r for n, r in template["Resources"].items() if r["Type"] == "AWS::ApiGateway::Resource"}
    methods = [
        r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Method"
    ]

    def path_of(ref: Any) -> str:
        if isinstance(ref, dict) and "Ref" in ref and ref["Ref"] in resources:
            props = resources[ref["Ref"]]["Properties"]
            return path_of(props["ParentId"]) + "/" + props["PathPart"]
        return ""

    guarded = {
        (m["HttpMethod"], path_of(m["ResourceId"]))
        for m in methods
        if m["AuthorizationType"] == "COGNITO_USER_POOLS"
    }
    for route in (
        ("POST", "/applications"),
        ("GET", "/applications/{applicationId}"),
        ("GET", "/me"),
        ("GET", "/me/invoices"),
        ("GET", "/me/invoices/{month}"),
        ("PATCH", "/me/contracts/{contractId}"),
        ("POST", "/me/contracts/{contractId}/cancellation"),
        ("GET", "/me/contracts/{contractId}/cancellation/preview"),
    ):
        assert route in guarded, route


def test_every_function_knows_both_issuers(service_template: assertions.Template) -> None:
    for function in service_template.find_resources("AWS::Lambda::Function").values():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        if "CONTRACTS_TABLE" in variables:
            assert {"STAFF_ISSUER", "MEMBERS_ISSUER"} <= set(variables)
