"""The staff console's sign-in (issue 16): Cognito managed login on the staff pool's domain, a
public client with the authorization code flow (PKCE) made where the console's address is known:
the web stack for its CloudFront address, a local deployment's data stack for 127.0.0.1."""

import json
from pathlib import Path
from typing import Any

from aws_cdk import assertions

from infra.app import build_app
from infra.web_config import MEMBER_PAGES
from local.service import LOCAL_CONTEXT


def clients(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Cognito::UserPoolClient"
    }


def test_the_staff_pool_has_a_managed_login_domain_and_requires_mfa(
    data_template: assertions.Template,
) -> None:
    domains = data_template.find_resources("AWS::Cognito::UserPoolDomain")
    domain = next(d for d in domains.values() if d["Properties"]["UserPoolId"]["Ref"].startswith("StaffPool"))
    # anshin-staff-<account id> unless anshin:staffDomainPrefix names one.
    assert domain["Properties"]["Domain"] == {"Fn::Join": ["-", ["anshin-staff", {"Ref": "AWS::AccountId"}]]}
    data_template.has_resource_properties("AWS::Cognito::UserPool", {"MfaConfiguration": "ON"})
    assert "StaffSignInDomain" in data_template.find_outputs("*")


def test_the_tools_client_has_no_oauth_and_aws_has_no_local_console_client(
    data_template: assertions.Template,
) -> None:
    """The password client (make staff-token, the tests) must not become an OAuth client once the
    pool has a domain: CDK's default would allow the implicit flow to https://example.com."""
    [tools] = clients(data_template.to_json()).values()
    assert not tools.get("AllowedOAuthFlowsUserPoolClient")
    assert "CallbackURLs" not in tools and "AllowedOAuthFlows" not in tools


def test_the_console_client_is_public_code_flow_only_back_to_the_console(
    web_template: assertions.Template,
) -> None:
    [console] = [c for name, c in clients(web_template.to_json()).items() if name.startswith("StaffConsole")]
    assert console["AllowedOAuthFlows"] == ["code"]  # no implicit flow: tokens never in a URL
    assert console["AllowedOAuthFlowsUserPoolClient"] is True
    assert console["GenerateSecret"] is False  # a browser keeps no secret: PKCE instead
    assert console["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]  # no password reaches it
    assert console["SupportedIdentityProviders"] == ["COGNITO"]
    assert sorted(console["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert console["EnableTokenRevocation"] is True
    assert console["PreventUserExistenceErrors"] == "ENABLED"
    for urls in (console["CallbackURLs"], console["LogoutURLs"]):
        [url] = urls
        assert url["Fn::Join"][1][0] == "https://" and url["Fn::Join"][1][2] == "/console.html"
        assert url["Fn::Join"][1][1]["Fn::GetAtt"][1] == "DomainName"
    # Tokens for an hour, renewed for at most a working day (minutes).
    assert (console["IdTokenValidity"], console["RefreshTokenValidity"]) == (60, 720)
    outputs = web_template.find_outputs("*")
    assert "ConsoleUrl" in outputs and "StaffConsoleClientId" in outputs


def test_a_local_deployment_gets_a_console_client_for_its_page_server(tmp_path: Path) -> None:
    site = "http://127.0.0.1:4580"
    app = build_app(outdir=str(tmp_path), context={**LOCAL_CONTEXT, "anshin:localConsoleUrl": site})
    data = app.synth().get_stack_by_name("AnshinData").template
    local = {k: v for k, v in clients(data).items() if k.startswith("LocalConsole")}
    [console] = local.values()
    assert console["CallbackURLs"] == console["LogoutURLs"] == [f"{site}/console.html"]
    assert console["AllowedOAuthFlows"] == ["code"]
    assert "StaffConsoleClientId" in data["Outputs"]
    # The console's two URLs and the member pages' (infra.web_config.MEMBER_PAGES), nothing else.
    assert json.dumps(data).count("127.0.0.1") == 2 + 2 * len(MEMBER_PAGES)


def test_aws_data_stack_names_no_loopback_address(data_template: assertions.Template) -> None:
    assert "127.0.0.1" not in json.dumps(data_template.to_json())
