"""Retention (docs/retention.md): the daily job that erases personal data whose time is up —
refused and failed applications' applicants, ended contracts' device data (settings backups,
every version; located positions; the push channel) and holder contact data.

An EventBridge rule runs it every day at 03:15 Japan time (18:15 UTC: Japan keeps no summer
time), after the month jobs of the 1st (00:05, 00:30) and outside the support centre's hours. A
failed run needs no dead-letter queue: the job reads everything due whatever runs were missed, so
the next day's run is its retry; its errors are alarmed like every function's.

Least privilege: the contracts table without any index (the work lists are key ranges of the
table), and on the backup bucket only listing its versions and deleting versions under
``backups/`` — never reading a backup.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from infra.constructs.devices import BACKUPS_FINDING, backups
from infra.constructs.parts import Parts
from infra.nag import acknowledge
from infra.stacks.stateful import StatefulStack

#: 03:15 JST every day, as UTC (EventBridge rules' cron is UTC; JST is UTC+9 all year).
DAILY_0315_JST = events.Schedule.cron(minute="15", hour="18")


class Retention:
    def __init__(self, parts: Parts, *, data: StatefulStack) -> None:
        stack, functions, _, _ = parts.unpack()
        settings = functions.settings
        self.function: lambda_.Function = functions.of_contracts(
            "retention",
            "Erases personal data whose retention is over (docs/retention.md), daily",
            timeout=Duration.minutes(15),
            environment={
                "BACKUP_BUCKET": data.backup_bucket.bucket_name,
                "REFUSED_APPLICATION_RETENTION_DAYS": str(settings.refused_application_retention_days),
                "PERSONAL_DATA_RETENTION_DAYS": str(settings.personal_data_retention_days),
                "BACKUP_RETENTION_DAYS_AFTER_END": str(settings.backup_retention_days_after_end),
            },
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:ListBucketVersions"], resources=[data.backup_bucket_arn])
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:DeleteObjectVersion"], resources=[backups(data)])
        )
        acknowledge(self.function, BACKUPS_FINDING, "Backups are erased per contract, under backups/.")
        self.rule = events.Rule(
            stack,
            "RetentionSchedule",
            description="Erase personal data whose retention is over (docs/retention.md)",
            schedule=DAILY_0315_JST,
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
