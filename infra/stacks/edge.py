"""AnshinEdge (issue 24): the web ACL of the site's CloudFront distribution, scope CLOUDFRONT, which
AWS WAF keeps in us-east-1 only; so this stack is always deployed there, whatever the others' region.

At the edge WAF sees the viewer's own address (not CloudFront's origin-facing ones, which is all
the API's regional web ACL and ``sourceIp`` see), so the per-address rate limits live here:

- ``RatePerAddress``: any one address, every path (pages and API) together.
- ``CodeRoutesPerAddress``: the routes proved by a code someone could try to guess (device
  registration with the member code, online cancellation with the member code and a one-time
  code), much tighter; ``anshin.store.limits`` counts the same address per route as well.

The web stack reads the ACL's ARN from this stack's SSM parameter ``EDGE_WEB_ACL_PARAMETER`` in
us-east-1 when it deploys (a cross-region reference would need every stack to name its region;
they are environment-agnostic). The local stack has no web stack, so no edge stack either
(docs/emulator-notes.md).
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.constructs.rest_api import STAGE

#: Requests one viewer address may send in five minutes, pages and API together, before WAF
#: blocks it for a while (a page view is about ten requests; an application a few more).
RATE_LIMIT_PER_5_MIN = 300
#: Requests one viewer address may send in five minutes to the code-proved routes (registration,
#: online cancellation): a real app registers once, a subscriber cancels once; a guesser needs
#: thousands. (anshin.store.limits allows 20 per 15 minutes per route on top.)
CODE_ROUTES_PER_5_MIN = 50
#: The paths of the code-proved routes, as the viewer asks for them (the ``/v1`` behaviour).
CODE_ROUTES = (f"/{STAGE}/devices/registrations", f"/{STAGE}/cancellation-requests")
#: WAF keeps CLOUDFRONT-scope web ACLs in this region only.
EDGE_REGION = "us-east-1"
#: Where (in us-east-1) the web ACL's ARN is published for the web stack.
EDGE_WEB_ACL_PARAMETER = "/anshin/edge/web-acl-arn"


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


class EdgeStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        starts_with = [
            wafv2.CfnWebACL.StatementProperty(
                byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                    positional_constraint="STARTS_WITH",
                    search_string=path,
                    # /v1/devices/%72egistrations is the same route to API Gateway.
                    text_transformations=[
                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="URL_DECODE")
                    ],
                )
            )
            for path in CODE_ROUTES
        ]
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="CLOUDFRONT",
            description="anshin per-viewer rate limits at the CloudFront distribution of the site",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("anshin-edge"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="CodeRoutesPerAddress",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=CODE_ROUTES_PER_5_MIN,
                            aggregate_key_type="IP",
                            scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                                or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=starts_with)
                            ),
                        )
                    ),
                    visibility_config=_visibility("CodeRoutesPerAddress"),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="RatePerAddress",
                    priority=1,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=RATE_LIMIT_PER_5_MIN, aggregate_key_type="IP"
                        )
                    ),
                    visibility_config=_visibility("RatePerAddress"),
                ),
            ],
        )
        ssm.StringParameter(
            self,
            "WebAclArnParameter",
            parameter_name=EDGE_WEB_ACL_PARAMETER,
            string_value=self.web_acl.attr_arn,
            description="anshin: the CLOUDFRONT web ACL of the site's distribution (read by AnshinWeb)",
        )
        CfnOutput(self, "WebAclArn", value=self.web_acl.attr_arn)
