"""The scheduled month jobs: month-end termination (R9, R11) and billing (R12, R13), each one
workflow from the same sharded-month-job definition (``statemachines/sharded_month_job.asl.json``),
started by an EventBridge Scheduler schedule in Japan time, with the function recording runs; and
the charge file billing exports when it finishes a month (``statemachines/charge_export.asl.json``)."""

from __future__ import annotations

import json

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn

from infra import grants
from infra.constructs.parts import Parts
from infra.nag import acknowledge

#: The definition both jobs run; ``${JobName}``, ``${ShardFunctionArn}`` and ``${Comment}`` make it
#: one of them.
DEFINITION = "sharded_month_job"
#: The charge bucket's ARN, exported by the data stack under a fixed name.
CHARGES_BUCKET_ARN_EXPORT = "AnshinData-ChargesBucketArn"


class MonthlyJobs:
    month_end: sfn.StateMachine
    billing: sfn.StateMachine

    def __init__(self, parts: Parts, *, key: kms.IKey, charges: s3.IBucket) -> None:
        stack, functions, workflows, dead_letters = parts.unpack()
        self.stack = stack
        self.dead_letters = dead_letters
        self.key = key
        #: A test deployment's schedule expression instead of the cron ones (never in AWS).
        self.schedule_override = functions.settings.schedule_override
        self.charge_export = self._charge_export(parts, key, charges)
        job_run = functions.of_contracts("job_run", "Starts and finishes the record of a scheduled job's run")
        billing_shard = functions.of_contracts(
            "billing_shard",
            "Bills one shard of a month (R12, R13)",
            timeout=Duration.minutes(5),
            indexes=("gsi3", "gsi4"),  # ended in or since the month; not ended
            appends_charges=True,
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
                    # Reached by billing only (a Choice on the job): month end is granted nothing on it.
                    "ChargeExportStateMachineArn": self.charge_export.state_machine_arn,
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
        self._let_billing_run_export()
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
            schedule_expression=self.schedule_override or expression,
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

    def _charge_export(self, parts: Parts, key: kms.IKey, bucket: s3.IBucket) -> sfn.StateMachine:
        """The charge file workflow and its three functions, each granted only its part of the
        bucket: the shards read the ledger and write parts under staging/, the assembler reads
        them and writes the file and then its manifest under charges/, the announcer only
        publishes."""
        stack, functions, workflows, _ = parts.unpack()
        environment = {"CHARGES_BUCKET": bucket.bucket_name}
        data = functions.data
        shard = functions.function(
            "export_charges_shard",
            "Writes one account shard of the month's charge file as CSV parts (R12, R13)",
            environment=environment,
            timeout=Duration.minutes(5),
        )
        grants.ledger(shard, data.ledger_table, key, append=False, indexes=("gsi1",))
        assemble = functions.function(
            "export_charges_assemble",
            "Assembles the month's charge file from its parts and makes it a version (R12, R13)",
            environment=environment,
            timeout=Duration.minutes(15),
        )
        announce = functions.function(
            "export_charges_announce", "Announces the month's charge file (ChargesExported)"
        )
        # The bucket's ARN under a fixed export name, so the grants (and their findings) read plainly.
        bucket_arn = Stack.of(bucket).export_value(bucket.bucket_arn, name=CHARGES_BUCKET_ARN_EXPORT)
        staging, files = f"{bucket_arn}/staging/*", f"{bucket_arn}/charges/*"
        shard.add_to_role_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[staging]))
        assemble.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                resources=[staging],
            )
        )
        assemble.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=[files])
        )
        assemble.add_to_role_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket_arn]))
        for fn in (shard, assemble):
            grants.key_use(fn, key)
            acknowledge(
                fn,
                f"IAM5[Resource::{CHARGES_BUCKET_ARN_EXPORT}/staging/*]",
                "A run's parts are keyed per month, run, shard and page under staging/.",
            )
        acknowledge(
            assemble,
            f"IAM5[Resource::{CHARGES_BUCKET_ARN_EXPORT}/charges/*]",
            "The charge files are keyed per month and version under charges/.",
        )
        announce.add_to_role_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[stack.format_arn(service="events", resource="event-bus", resource_name="default")],
            )
        )
        machine = workflows.of_tasks("ChargeExport", "charge_export", [shard, assemble, announce])
        CfnOutput(stack, "ChargesBucketName", value=bucket.bucket_name)
        CfnOutput(stack, "ChargeExportStateMachineArn", value=machine.state_machine_arn)
        return machine

    def _let_billing_run_export(self) -> None:
        """startExecution.sync:2 on the charge export: start it, follow it, stop it (billing only)."""
        export, billing, stack = self.charge_export, self.billing, self.stack
        export.grant_start_execution(billing)
        export.grant_read(billing)
        export.grant_execution(billing, "states:StopExecution")
        export_ref = stack.resolve(export.state_machine_arn)["Ref"]
        acknowledge(
            billing,
            "IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{export_ref}"}}]}}]}}:*]',
            "Executions of the charge export are named per billing run; the wildcard is limited to "
            "that one state machine's executions (DescribeExecution/StopExecution).",
        )
        billing.add_to_role_policy(
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    stack.format_arn(
                        service="events",
                        resource="rule",
                        resource_name="StepFunctionsGetEventsForStepFunctionsExecutionRule",
                    )
                ],
            )
        )
