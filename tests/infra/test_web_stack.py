"""The web stack (AnshinWeb, issue 15): the pages in a private bucket behind CloudFront with
origin access control, HTTPS only, the security headers of web/security-headers.json, the API at
/v1/* on the same origin, and the page's config document written at deploy time."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from anshin.domain.screening import CURRENT_TERMS_VERSION
from anshin.settings import STAFF_GROUP
from aws_cdk import Stack, assertions
from aws_cdk.assertions import Match

from infra.stacks.web import SECURITY_HEADERS_FILE, response_headers
from infra.web_config import content_security_policy
from local.web import page_config

#: AWS managed policies (their ids are fixed).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def only(template: assertions.Template, kind: str) -> dict[str, Any]:
    [resource] = template.find_resources(kind).values()
    props: dict[str, Any] = resource["Properties"]
    return props


def logical_id(template: assertions.Template, kind: str, prefix: str) -> str:
    [name] = [k for k in template.find_resources(kind) if k.startswith(prefix)]
    return name


def distribution(template: assertions.Template) -> dict[str, Any]:
    config: dict[str, Any] = only(template, "AWS::CloudFront::Distribution")["DistributionConfig"]
    return config


def api_behaviour(template: assertions.Template) -> dict[str, Any]:
    [behaviour] = distribution(template)["CacheBehaviors"]
    result: dict[str, Any] = behaviour
    return result


# --- the bucket ----------------------------------------------------------------------------------
def test_the_pages_bucket_is_private_encrypted_versioned_logged_and_tls_only(
    web_template: assertions.Template,
) -> None:
    pages = logical_id(web_template, "AWS::S3::Bucket", "Pages")
    logs = logical_id(web_template, "AWS::S3::Bucket", "AccessLogs")
    web_template.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "VersioningConfiguration": {"Status": "Enabled"},
                "LoggingConfiguration": {"DestinationBucketName": {"Ref": logs}, "LogFilePrefix": "pages/"},
            },
            "DeletionPolicy": "Retain",
        },
    )
    [policy] = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in web_template.find_resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": pages}
    ]
    denies = [s for s in policy if s["Effect"] == "Deny"]
    assert [s["Condition"] for s in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]
    allows = [s for s in policy if s["Effect"] == "Allow"]
    # Only CloudFront, only this distribution (origin access control), only reading.
    assert len(allows) == 1
    assert allows[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allows[0]["Action"] == "s3:GetObject"
    assert "distribution/" in json.dumps(allows[0]["Condition"]["StringEquals"]["AWS:SourceArn"])


def test_the_access_log_bucket_is_private_and_encrypted(web_template: assertions.Template) -> None:
    logs = web_template.find_resources("AWS::S3::Bucket")[
        logical_id(web_template, "AWS::S3::Bucket", "AccessLogs")
    ]["Properties"]
    assert all(logs["PublicAccessBlockConfiguration"].values())
    sse = logs["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


# --- the distribution ----------------------------------------------------------------------------
def test_cloudfront_reads_the_bucket_through_origin_access_control(web_template: assertions.Template) -> None:
    oac = only(web_template, "AWS::CloudFront::OriginAccessControl")["OriginAccessControlConfig"]
    assert oac["OriginAccessControlOriginType"] == "s3"
    assert (oac["SigningBehavior"], oac["SigningProtocol"]) == ("always", "sigv4")
    pages = logical_id(web_template, "AWS::S3::Bucket", "Pages")
    [s3_origin] = [o for o in distribution(web_template)["Origins"] if "S3OriginConfig" in o]
    assert s3_origin["DomainName"] == {"Fn::GetAtt": [pages, "RegionalDomainName"]}
    assert s3_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    oac_id = logical_id(web_template, "AWS::CloudFront::OriginAccessControl", "Distribution")
    assert s3_origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}


def test_https_only_with_index_html_as_the_root_and_access_logs(web_template: assertions.Template) -> None:
    config = distribution(web_template)
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultCacheBehavior"]["AllowedMethods"] == ["GET", "HEAD"]
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED
    # An API call over http is refused rather than redirected (a redirected POST would turn GET).
    assert api_behaviour(web_template)["ViewerProtocolPolicy"] == "https-only"
    logs = logical_id(web_template, "AWS::S3::Bucket", "AccessLogs")
    assert config["Logging"] == {
        "Bucket": {"Fn::GetAtt": [logs, "RegionalDomainName"]},
        "Prefix": "cloudfront/",
    }
    for origin in config["Origins"]:
        if "CustomOriginConfig" in origin:
            assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
            assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]


def test_the_security_headers_are_the_files(web_template: assertions.Template) -> None:
    in_file = json.loads(SECURITY_HEADERS_FILE.read_text())
    config = only(web_template, "AWS::CloudFront::ResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    assert security["ContentSecurityPolicy"]["Override"] is True
    # The file's policy, its connect-src also admitting the staff and members sign-ins' domains
    # (the console and the member pages exchange and renew their tokens there): the same policy
    # with the domains' tokens in place.
    pieces = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Join"][1]
    placed = "".join(p if isinstance(p, str) else "<token>" for p in pieces)
    domain = "https://<token>.auth.<token>.amazoncognito.com"
    assert placed == content_security_policy(in_file["Content-Security-Policy"], domain, domain)
    assert in_file["Content-Security-Policy"].endswith("; upgrade-insecure-requests")
    assert "script-src 'self';" in in_file["Content-Security-Policy"]
    assert "'unsafe-inline'" not in in_file["Content-Security-Policy"]
    assert security["ContentTypeOptions"] == {"Override": True}  # nosniff
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert security["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
    hsts = security["StrictTransportSecurity"]
    assert (
        in_file["Strict-Transport-Security"] == f"max-age={hsts['AccessControlMaxAgeSec']}; includeSubDomains"
    )
    assert hsts["AccessControlMaxAgeSec"] >= 31536000 and hsts["IncludeSubdomains"] is True
    assert config["CustomHeadersConfig"]["Items"] == [
        {"Header": "Permissions-Policy", "Value": in_file["Permissions-Policy"], "Override": True}
    ]
    # Every answer carries them: the pages' and the API's.
    policy = {"Ref": logical_id(web_template, "AWS::CloudFront::ResponseHeadersPolicy", "SecurityHeaders")}
    assert distribution(web_template)["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == policy
    assert api_behaviour(web_template)["ResponseHeadersPolicyId"] == policy


def test_a_header_cloudfront_cannot_place_or_a_weak_value_is_refused(tmp_path: Path) -> None:
    headers = json.loads(SECURITY_HEADERS_FILE.read_text())
    weak = tmp_path / "weak.json"
    weak.write_text(json.dumps({**headers, "X-Content-Type-Options": "sniff"}))
    with pytest.raises(ValueError, match="nosniff"):
        response_headers(Stack(), "Weak", weak)
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({**headers, "Strict-Transport-Security": "max-age=soon"}))
    with pytest.raises(ValueError, match="Strict-Transport-Security"):
        response_headers(Stack(), "Odd", odd)


def test_v1_goes_to_the_api_stage_uncached_with_every_method_and_the_viewers_headers(
    web_template: assertions.Template,
) -> None:
    behaviour = api_behaviour(web_template)
    assert behaviour["PathPattern"] == "/v1/*"
    assert behaviour["CachePolicyId"] == CACHING_DISABLED
    assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER  # and the query string
    assert sorted(behaviour["AllowedMethods"]) == sorted(
        ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
    )
    [origin] = [o for o in distribution(web_template)["Origins"] if o["Id"] == behaviour["TargetOriginId"]]
    # No origin path: /v1/applications reaches https://<api>.execute-api.<region>.amazonaws.com/v1/applications.
    assert origin.get("OriginPath", "") == ""
    domain = json.dumps(origin["DomainName"])
    assert ".execute-api." in domain and "AnshinService:ExportsOutputRefApi" in domain


# --- the pages and their config ------------------------------------------------------------------
def test_the_pages_and_the_config_document_are_deployed_and_the_cache_invalidated(
    web_template: assertions.Template, assembly_dir: Path
) -> None:
    deployment = only(web_template, "Custom::CDKBucketDeployment")
    assert deployment["DestinationBucketName"] == {
        "Ref": logical_id(web_template, "AWS::S3::Bucket", "Pages")
    }
    assert deployment["DistributionPaths"] == ["/*"]
    assert deployment["Prune"] is True
    assert deployment["SystemMetadata"] == {"cache-control": "max-age=0, s-maxage=86400"}
    # Resolved at deploy time: the staff and member sign-ins' pools, clients and domains (the
    # rest is plain).
    markers = deployment["SourceMarkers"][1]
    assert deployment["SourceMarkers"][0] == {} and len(markers) == 12
    keys = [k.removesuffix(".zip") for k in deployment["SourceObjectKeys"]]
    sources = json.loads((assembly_dir / "AnshinWeb.assets.json").read_text())["files"]
    site, config = (assembly_dir / sources[k]["source"]["path"] for k in keys)
    assert (site / "index.html").is_file() and (site / "vendor" / "preact-htm.js").is_file()
    assert (site / "terms" / "smartphone-support-terms.ja.txt").is_file()
    assert [p.name for p in config.iterdir()] == ["config.json"]
    # A deploy-time value stands in the file as its marker, which the deployment replaces with
    # the quoted value (quotes included): quoted here, the file reads as JSON.
    raw = (config / "config.json").read_text()
    document = json.loads(re.sub(r"(<<marker:0xbaba:\d+>>)", r'"\1"', raw))
    sign_in = document.pop("staffSignIn")
    member_sign_in = document.pop("memberSignIn")
    assert document == {
        "apiBase": "/v1",
        "termsVersion": CURRENT_TERMS_VERSION,
        "termsDocument": "terms/smartphone-support-terms.ja.txt",
    }
    assert document == page_config()  # the local server's, the same
    # The console's sign-in: every value is a deploy-time marker except the group.
    assert sign_in.pop("staffGroup") == STAFF_GROUP
    assert sorted(sign_in) == sorted(
        [
            "issuer",
            "clientId",
            "authorizationEndpoint",
            "tokenEndpoint",
            "revocationEndpoint",
            "logoutEndpoint",
        ]
    )
    assert all(value in markers for value in sign_in.values())
    assert "StaffConsoleSignIn" in json.dumps(markers[sign_in["clientId"]])
    assert json.dumps(markers[sign_in["tokenEndpoint"]]).endswith('.amazoncognito.com/oauth2/token\\""]]}')
    # The member pages' sign-in (issue 23): the members pool, its pages client, no group.
    assert sorted(member_sign_in) == sorted(sign_in)
    assert all(value in markers for value in member_sign_in.values())
    assert "MemberPagesSignIn" in json.dumps(markers[member_sign_in["clientId"]])
    assert "MembersPool" in json.dumps(markers[member_sign_in["issuer"]])


def test_the_page_url_is_an_output(web_template: assertions.Template) -> None:
    distribution_id = logical_id(web_template, "AWS::CloudFront::Distribution", "Distribution")
    web_template.has_output(
        "WebUrl",
        {"Value": {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}, "/"]]}},
    )
    web_template.has_output("WebDistributionDomainName", Match.object_like({}))


def test_the_deployment_function_logs_to_an_encrypted_group(web_template: assertions.Template) -> None:
    group = only(web_template, "AWS::Logs::LogGroup")
    assert "Fn::ImportValue" in json.dumps(group["KmsKeyId"])  # the data key
    assert group["RetentionInDays"] == 30


def test_the_web_stacks_nag_findings_are_the_acknowledged_ones(assembly_dir: Path) -> None:
    report = json.loads((assembly_dir / "validation-report.json").read_text())
    [nag] = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    assert nag["violations"] == []
    web = {
        v["ruleName"].split("[")[0]
        for v in nag["suppressedViolations"]
        if any(c["constructPath"].startswith("AnshinWeb/") for c in v["violatingConstructs"])
    }
    # CFR1 geo restriction, CFR4 the default certificate's TLS floor, and CDK's BucketDeployment
    # and AwsCustomResource functions (IAM4, IAM5, L1). The access-log bucket is known as one (no
    # S1). The web ACL is AnshinEdge's (no CFR2).
    assert web == {
        "AwsSolutions-CFR1",
        "AwsSolutions-CFR4",
        "AwsSolutions-IAM4",
        "AwsSolutions-IAM5",
        "AwsSolutions-L1",
    }


def test_a_cloudfront_web_acl_is_attached_when_given() -> None:
    from aws_cdk import App
    from aws_cdk import aws_apigateway as apigw
    from aws_cdk import aws_cognito as cognito
    from aws_cdk import aws_kms as kms

    from infra.settings import Settings
    from infra.stacks.web import WebStack

    app = App()
    api_stack = Stack(app, "Api")
    api = apigw.RestApi(api_stack, "Api", deploy_options=apigw.StageOptions(stage_name="v1"))
    api.root.add_method("GET", apigw.MockIntegration())
    acl = "arn:aws:wafv2:us-east-1:111122223333:global/webacl/anshin-web/abc"
    pool = cognito.UserPool(api_stack, "Pool")
    web = WebStack(
        app,
        "Web",
        api=api,
        key=kms.Key(api_stack, "Key"),
        staff_pool=pool,
        staff_domain=pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix="x")
        ),
        members_pool=pool,
        members_domain=pool.add_domain(
            "MembersDomain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix="y")
        ),
        members_provider=None,
        settings=Settings(web_acl_arn=acl),
    )
    assert distribution(assertions.Template.from_stack(web))["WebACLId"] == acl
