"""The CDK app: ``python -m infra.app`` (see cdk.json)."""

from __future__ import annotations

import os

import aws_cdk as cdk

from infra.nag import add_checks
from infra.settings import Settings
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
            description="anshin: the subscriber pages behind CloudFront, with the API at /v1",
        )
        web.add_stack_dependency(service)
    cdk.Tags.of(app).add("service", "anshin")
    add_checks(app)
    return app


if __name__ == "__main__":
    build_app(outdir=os.environ.get("CDK_OUTDIR", "cdk.out")).synth()
