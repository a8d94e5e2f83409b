"""The scheduled month jobs: month-end termination (R9, R11) and billing (R12, R13), each one
workflow from the same sharded-month-job definition (``statemachines/sharded_month_job.asl.json``),
started by an EventBridge Scheduler schedule in Japan time, with the function recording runs."""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn

from infra import grants
from infra.constructs.parts import Parts

#: The definition both jobs run; ``${JobName}``, ``${ShardFunctionArn}`` and ``${Comment}`` make it
#: one of them.
DEFINITION = "sharded_month_job"


class MonthlyJobs:
    month_end: sfn.StateMachine
    billing: sfn.StateMachine

    def __init__(self, parts: Parts, *, key: kms.IKey) -> None:
        stack, functions, workflows, dead_letters = parts.unpack()
        self.stack = stack
        self.dead_letters = dead_letters
        self.key = key
        job_run = functions.of_contracts("job_run", "Starts and finishes the record of a scheduled job's run")
        billing_shard = functions.of_contracts(
            "billing_shard",
            "Bills one shard of a month (R12, R13)",
            timeout=Duration.minutes(5),
            indexes=("gsi3", "gsi4"),  # ended in or since the month; not ended
        )
        month_end_shard = functions.of_contracts(
            "month_end_shard",
            "Ends one shard's contracts at month end (R9, R11)",
            timeout=Duration.minutes(5),
            indexes=("gsi3",),  # due to end in the month
        )
        month_end_shard.add_to_role_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[stack.format_arn(service="events", resource="event-bus", resource_name="default")],
            )
        )

        def job(construct_id: str, name: str, shard: lambda_.Function, comment: str) -> sfn.StateMachine:
            return workflows.state_machine(
                construct_id,
                DEFINITION,
                substitutions={
                    # Substituted inside a JSON string of the definition: escaped as one.
                    "Comment": json.dumps(comment)[1:-1],
                    "JobName": name,
                    "JobRunFunctionArn": job_run.function_arn,
                    "ShardFunctionArn": shard.function_arn,
                },
                invokes=[job_run, shard],
            )

        self.month_end = job(
            "MonthEnd",
            "MONTH_END",
            month_end_shard,
            "Month-end termination (R9, R11, R4) for the month the schedule closes: contracts whose "
            "end falls in it become ENDED and free their slots.",
        )
        self.billing = job(
            "Billing",
            "BILLING",
            billing_shard,
            "Billing (R12, R13, fees) for the month the schedule closes: every shard writes its "
            "contracts' invoice lines exactly once.",
        )
        # Both jobs close the month before the 1st they run on, in Japan time; they take that
        # month from <aws.scheduler.scheduled-time>, never from the clock.
        self.schedule("MonthEndSchedule", self.month_end, "cron(5 0 1 * ? *)", "Month-end termination")
        self.schedule(
            "BillingSchedule", self.billing, "cron(30 0 1 * ? *)", "Billing of the month just closed"
        )

    def schedule(
        self, construct_id: str, machine: sfn.StateMachine, expression: str, description: str
    ) -> None:
        """An EventBridge Scheduler schedule in Japan time that starts ``machine``."""
        role = iam.Role(
            self.stack, f"{construct_id}Role", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com")
        )
        machine.grant_start_execution(role)
        dlq = self.dead_letters.queue(f"{construct_id}Dlq", f"job:{machine.state_machine_arn}")
        role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dlq.queue_arn]))
        grants.key_use(role, self.key)
        scheduler.CfnSchedule(
            self.stack,
            construct_id,
            description=description,
            schedule_expression=expression,
            schedule_expression_timezone="Asia/Tokyo",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            target=scheduler.CfnSchedule.TargetProperty(
                arn=machine.state_machine_arn,
                role_arn=role.role_arn,
                input=json.dumps({"scheduledTime": "<aws.scheduler.scheduled-time>", "dryRun": False}),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_event_age_in_seconds=86400, maximum_retry_attempts=10
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(arn=dlq.queue_arn),
            ),
        )
