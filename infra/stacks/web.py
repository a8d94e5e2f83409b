"""The subscriber pages (issue 15): a private bucket behind CloudFront, the API at the same origin.

- The bucket is private (BlockPublicAccess, TLS only, versioned, SSE-S3); CloudFront reads it
  through origin access control. SSE-S3 rather than the data key: the pages are public content
  with no personal data, and CloudFront reading SSE-KMS objects would need the data key's policy
  (AnshinData) to name this stack's distribution, a reference back from the data stack to this one.
- ``/v1/*`` goes to the REST API's stage ``v1`` on the same origin, so the page needs no CORS: no
  caching, every method, every viewer header but ``Host`` and the query string forwarded, with
  the CloudFront headers (``CloudFront-Viewer-Address``: the viewer's address, which the
  per-source limits count, anshin.runtime.http.caller_address) and the origin secret
  (``x-origin-verify``, a Secrets Manager dynamic reference), without which the stage's web ACL
  refuses the request (issue 24).
- The distribution's web ACL (scope CLOUDFRONT, per-viewer rate limits) is AnshinEdge's, in
  us-east-1 (infra.stacks.edge), or the one ``anshin:webAclArn`` names.
- Every answer, the API's too, carries the security headers of ``web/security-headers.json``, the
  file the local server (local/web.py) reads as well.
- The page's settings (``/config.json``) are written at deploy time with the pages, never baked in.
- Access logs of the bucket and of the distribution go to a second, S3-managed bucket.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.constructs import buckets, members_sign_in, staff_sign_in
from infra.constructs.functions import _retention
from infra.constructs.operations import ORIGIN_HEADER
from infra.constructs.rest_api import STAGE
from infra.nag import acknowledge
from infra.settings import Settings
from infra.stacks.edge import EDGE_REGION
from infra.web_config import SECURITY_HEADERS_FILE, console_url, content_security_policy, page_config
from infra.web_config import member_sign_in as member_sign_in_config
from infra.web_config import staff_sign_in as sign_in_config


def response_headers(
    scope: Construct,
    construct_id: str,
    path: Path = SECURITY_HEADERS_FILE,
    *,
    sign_in_domain: str = "",
    member_sign_in_domain: str = "",
) -> cloudfront.ResponseHeadersPolicy:
    """CloudFront's response headers policy from ``web/security-headers.json`` (its CSP also
    admitting the staff sign-in's ``sign_in_domain`` and the members' ``member_sign_in_domain``,
    if given). A header the file names that this function does not place is an error: the file
    and CloudFront never drift."""
    headers: dict[str, str] = dict(json.loads(path.read_text()))
    csp = headers.pop("Content-Security-Policy")
    domains = [d for d in (sign_in_domain, member_sign_in_domain) if d]
    if domains:
        csp = content_security_policy(csp, *domains)
    if headers.pop("X-Content-Type-Options") != "nosniff":
        raise ValueError(f"{path}: X-Content-Type-Options must be nosniff")
    hsts = headers.pop("Strict-Transport-Security")
    max_age = re.fullmatch(r"max-age=(\d+)((?:; *includeSubDomains)?)((?:; *preload)?)", hsts)
    if max_age is None:
        raise ValueError(f"{path}: unexpected Strict-Transport-Security {hsts!r}")
    security = cloudfront.ResponseSecurityHeadersBehavior(
        content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
            content_security_policy=csp, override=True
        ),
        content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
        frame_options=cloudfront.ResponseHeadersFrameOptions(
            frame_option=cloudfront.HeadersFrameOption(headers.pop("X-Frame-Options")), override=True
        ),
        referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
            referrer_policy=cloudfront.HeadersReferrerPolicy(
                headers.pop("Referrer-Policy").upper().replace("-", "_")
            ),
            override=True,
        ),
        strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
            access_control_max_age=Duration.seconds(int(max_age.group(1))),
            include_subdomains=bool(max_age.group(2)),
            preload=bool(max_age.group(3)),
            override=True,
        ),
    )
    # What CloudFront has no security-header field for (Permissions-Policy) is a custom header.
    custom = [
        cloudfront.ResponseCustomHeader(header=name, value=value, override=True)
        for name, value in headers.items()
    ]
    return cloudfront.ResponseHeadersPolicy(
        scope,
        construct_id,
        comment="anshin pages: CSP, HSTS, nosniff, no referrer, no framing (web/security-headers.json)",
        security_headers_behavior=security,
        custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(custom_headers=custom)
        if custom
        else None,
    )


class WebStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: apigw.RestApi,
        key: kms.IKey,
        staff_pool: cognito.UserPool,
        staff_domain: cognito.UserPoolDomain,
        members_pool: cognito.UserPool,
        members_domain: cognito.UserPoolDomain,
        members_provider: cognito.IUserPoolIdentityProvider | None,
        settings: Settings,
        edge_web_acl_parameter: str | None = None,
        origin_secret: secretsmanager.ISecret | None = None,
        **kwargs: object,
    ) -> None:
        """``edge_web_acl_parameter``: the SSM parameter in us-east-1 holding the ARN of the
        distribution's CLOUDFRONT web ACL (AnshinEdge's), else ``settings.web_acl_arn``;
        ``origin_secret``: the secret the API stage's web ACL expects in ``x-origin-verify``
        (AnshinService's, when its WAF is on)."""
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        web_acl_arn = settings.web_acl_arn or None
        if edge_web_acl_parameter is not None:
            web_acl_arn = self._edge_web_acl(edge_web_acl_parameter)
        site_dir = Path(settings.web_dir)
        if not (site_dir / "index.html").is_file():
            raise FileNotFoundError(
                f"{site_dir}/index.html is missing: assemble the pages with `make web` first"
            )
        # The stage's name, not its token: the page's config and the path pattern read plainly.
        api_base = f"/{STAGE}"

        logs_bucket = buckets.access_logs(self, "AccessLogs")
        self.bucket = buckets.private(self, "Pages", logs=logs_bucket, logs_prefix="pages/")

        sign_in_domain = staff_domain.base_url()
        member_sign_in_domain = members_domain.base_url()
        headers = response_headers(
            self,
            "SecurityHeaders",
            sign_in_domain=sign_in_domain,
            member_sign_in_domain=member_sign_in_domain,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="anshin: subscriber pages and /v1 API",
            default_root_object="index.html",
            # Price class 200 has the edge locations in Japan, where the subscribers are.
            price_class=cloudfront.PriceClass.PRICE_CLASS_200,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=logs_bucket,
            log_file_prefix="cloudfront/",
            web_acl_id=web_acl_arn,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
            ),
            additional_behaviors={
                f"{api_base}/*": cloudfront.BehaviorOptions(
                    # The stage's own path: /v1/applications reaches stage v1's /applications.
                    origin=origins.RestApiOrigin(
                        api,
                        origin_path="/",
                        custom_headers={ORIGIN_HEADER: origin_secret.secret_value.unsafe_unwrap()}
                        if origin_secret is not None
                        else None,
                    ),
                    # A POST redirected to https would come back a GET: plain http is refused.
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    # Every viewer header but Host (the API's host name is the origin's), Authorization
                    # included (forwarded only with all viewer headers), and CloudFront's own
                    # headers, CloudFront-Viewer-Address among them.
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=headers,
                    compress=True,
                ),
            },
        )
        acknowledge(
            self.distribution,
            "CFR1",
            "No geo restriction: subscribers apply from abroad too (roaming), and the API behind "
            "the /v1 behaviour is reachable at its own address anyway.",
        )
        if web_acl_arn is None:
            acknowledge(
                self.distribution,
                "CFR2",
                "No web ACL: this synthesis knew no region (anshin:region or the CDK CLI's), so it "
                "could not reference AnshinEdge's us-east-1 web ACL; a deployment by the CDK CLI has "
                "one. The API stage keeps its regional WAF and the functions' per-address limits.",
            )
        acknowledge(
            self.distribution,
            "CFR4",
            "The distribution uses its *.cloudfront.net certificate, whose TLS floor CloudFront sets; "
            "a custom domain with an ACM certificate and TLSv1.2_2021 is a deployment's addition.",
        )

        # The staff console (console.html) signs in with the pool's managed login and comes back
        # here; its client is this stack's, since only this stack knows the console's address.
        site = f"https://{self.distribution.distribution_domain_name}"
        console = staff_sign_in.console_client(self, "StaffConsoleSignIn", staff_pool, site)
        sign_in = sign_in_config(
            sign_in_domain, f"https://{staff_pool.user_pool_provider_url}", console.user_pool_client_id
        )
        # The member pages (sign-up, status, my page: issue 23) sign in with the members pool.
        pages = members_sign_in.pages_client(self, "MemberPagesSignIn", members_pool, site, members_provider)
        member_sign_in = member_sign_in_config(
            member_sign_in_domain, f"https://{members_pool.user_pool_provider_url}", pages.user_pool_client_id
        )

        deployment_logs = logs.LogGroup(
            self,
            "PagesDeploymentLogs",
            encryption_key=key,
            retention=_retention(settings.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.deployment = s3deploy.BucketDeployment(
            self,
            "DeployPages",
            destination_bucket=self.bucket,
            sources=[
                s3deploy.Source.asset(str(site_dir)),
                s3deploy.Source.json_data("config.json", page_config(api_base, sign_in, member_sign_in)),
            ],
            # Browsers revalidate every file (no hashed names: no build step); CloudFront keeps
            # them a day, and this deployment invalidates them all.
            cache_control=[
                s3deploy.CacheControl.max_age(Duration.seconds(0)),
                s3deploy.CacheControl.s_max_age(Duration.days(1)),
            ],
            distribution=self.distribution,
            distribution_paths=["/*"],
            log_group=deployment_logs,
            memory_limit=256,
        )
        # CDK's own function behind BucketDeployment (one per stack): its grants are CDK's.
        deployer = next(c for c in self.node.children if c.node.id.startswith("Custom::CDKBucketDeployment"))
        acknowledge(
            deployer,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's BucketDeployment function writes its logs with AWSLambdaBasicExecutionRole.",
        )
        acknowledge(
            deployer,
            "L1",
            "CDK's BucketDeployment function pins its runtime to its AWS CLI layer; it runs only "
            "while a deployment copies the pages.",
        )
        copies = "CDK's BucketDeployment grant: it copies the asset's objects into the pages' bucket"
        for finding in (
            "Action::s3:GetObject*",
            "Action::s3:GetBucket*",
            "Action::s3:List*",
            "Action::s3:DeleteObject*",
            "Action::s3:Abort*",
            f"Resource::<{self.get_logical_id(self.bucket.node.default_child)}.Arn>/*",  # type: ignore[arg-type]
            "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
        ):
            acknowledge(
                deployer, f"IAM5[{finding}]", f"{copies} and prunes what the new pages no longer have."
            )
        acknowledge(
            deployer,
            "IAM5[Resource::*]",
            "cloudfront:CreateInvalidation/GetInvalidation, for the distribution this deployment "
            "invalidates, as CDK's BucketDeployment grants them.",
        )

        for name, value in {
            "WebUrl": f"https://{self.distribution.distribution_domain_name}/",
            "WebDistributionDomainName": self.distribution.distribution_domain_name,
            "WebDistributionId": self.distribution.distribution_id,
            "WebBucketName": self.bucket.bucket_name,
            "ConsoleUrl": console_url(site),
            "StaffConsoleClientId": console.user_pool_client_id,
        }.items():
            CfnOutput(self, name, value=value)

    def _edge_web_acl(self, parameter: str) -> str:
        """The ARN AnshinEdge published in us-east-1, read at deploy time (SSM GetParameter in that
        region, by CDK's AwsCustomResource: no reference across regions, so every stack keeps its
        environment-agnostic template). Read when the reader is created; an ACL that AnshinEdge
        replaced is picked up by replacing the reader (docs/operations.md)."""
        from aws_cdk import custom_resources as cr

        parameter_arn = Stack.of(self).format_arn(
            service="ssm", region=EDGE_REGION, resource="parameter", resource_name=parameter.lstrip("/")
        )
        call = cr.AwsSdkCall(
            service="SSM",
            action="getParameter",
            parameters={"Name": parameter},
            region=EDGE_REGION,
            physical_resource_id=cr.PhysicalResourceId.of(f"{parameter}@{EDGE_REGION}"),
        )
        reader = cr.AwsCustomResource(
            self,
            "EdgeWebAcl",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[parameter_arn])]
            ),
            install_latest_aws_sdk=False,
        )
        provider = next(
            c for c in self.node.children if c.node.id.startswith("AWS679f53fac002430cb0da5b7982bd2287")
        )
        acknowledge(
            provider,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK's AwsCustomResource function writes its logs with AWSLambdaBasicExecutionRole; it "
            "runs only while this stack deploys, to read the edge web ACL's ARN.",
        )
        return reader.get_response_field("Parameter.Value")
