"""The CDK app: ``python -m infra.app`` (see cdk.json)."""

from __future__ import annotations

import os

import aws_cdk as cdk

from infra.nag import add_checks
from infra.settings import Settings
from infra.stacks.edge import EDGE_REGION, EDGE_WEB_ACL_PARAMETER, EdgeStack
from infra.stacks.stateful import StatefulStack
from infra.stacks.stateless import StatelessStack
from infra.stacks.web import WebStack


def build_app(context: dict[str, object] | None = None, outdir: str | None = None) -> cdk.App:
    app = cdk.App(context=context or {}, outdir=outdir)
    settings = Settings.from_context(app)
    data = StatefulStack(
        app,
        "AnshinData",
        settings=settings,
        description="anshin: tables, topics, backups, staff sign-in and the data key",
    )
    service = StatelessStack(
        app,
        "AnshinService",
        data=data,
        settings=settings,
        description="anshin: functions, workflows and the REST API",
    )
    service.add_stack_dependency(data)
    if settings.web_stack:
        # The distribution's CLOUDFRONT web ACL lives in us-east-1 (WAF keeps that scope there only),
        # whatever the region of the other stacks, which stay environment-agnostic: the web stack
        # reads the ACL's ARN from AnshinEdge's SSM parameter there at deploy time (no cross-region
        # reference, which CDK makes only between stacks of explicit regions). Not when
        # anshin:webAclArn names an ACL of the deployment's own; never locally (no web stack).
        edge_stack = None
        if not settings.web_acl_arn:
            edge_stack = EdgeStack(
                app,
                "AnshinEdge",
                env=cdk.Environment(region=EDGE_REGION),
                description="anshin: the CloudFront distribution's web ACL (per-viewer rate limits)",
            )
        web = WebStack(
            app,
            "AnshinWeb",
            api=service.api,
            key=data.key,
            staff_pool=data.staff_pool,
            members_pool=data.members_pool,
            members_domain=data.members_domain,
            members_provider=data.members_provider,
            staff_domain=data.staff_domain,
            settings=settings,
            edge_web_acl_parameter=EDGE_WEB_ACL_PARAMETER if edge_stack is not None else None,
            origin_secret=service.operations.origin_secret,
            description="anshin: the subscriber pages behind CloudFront, with the API at /v1",
        )
        web.add_stack_dependency(service)
        if edge_stack is not None:
            web.add_stack_dependency(edge_stack)
    cdk.Tags.of(app).add("service", "anshin")
    add_checks(app)
    return app


if __name__ == "__main__":
    build_app(outdir=os.environ.get("CDK_OUTDIR", "cdk.out")).synth()
