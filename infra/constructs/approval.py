"""Application approval (R4, R6) and the notification that forms the contract (R6.4): the two
workflows, their task functions, and the applications API that starts one and answers the
staff's decision on a deferred application (R6.2)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn

from infra import grants
from infra.constructs.functions import Functions
from infra.constructs.workflows import Workflows
from infra.nag import acknowledge
from infra.settings import Settings
from infra.stacks.stateful import StatefulStack


class Approval:
    notification: sfn.StateMachine
    approval: sfn.StateMachine
    applications_api: lambda_.Function

    def __init__(
        self,
        stack: Stack,
        functions: Functions,
        workflows: Workflows,
        *,
        data: StatefulStack,
        settings: Settings,
    ) -> None:
        task = functions.of_contracts
        record_failure = task("record_failure", "Ends an application that could not complete (R6.4)")
        issue_credentials = task(
            "issue_credentials",
            "Issues the member confirmation code (R6.4)",
            environment={
                "CODE_MAC_KEY_ID": data.code_key.key_arn,
                # The number told to every new subscriber (R6.4); issuing stores it on the application.
                "SUPPORT_PHONE_NUMBER": settings.support_phone_number,
            },
        )
        grants.code_mac(issue_credentials, data.code_key)
        send_notification = task(
            "send_notification",
            "Sends the notification that forms the contract (R6.4)",
            environment={
                "CUSTOMER_NOTIFICATION_TOPIC_ARN": data.customer_notification_topic.topic_arn,
                # The member code is derived again under the code key for the message, never
                # stored (issue 24, anshin.adapters.mac.member_code).
                "CODE_MAC_KEY_ID": data.code_key.key_arn,
            },
        )
        grants.publish(send_notification, data.customer_notification_topic, data.key)
        grants.code_mac(send_notification, data.code_key)
        grants.table(send_notification, data.idempotency_table, data.key, write=True)
        record_contract = task(
            "record_contract",
            "Records the contract formed at notification (R6.4, R12)",
            appends_charges=True,  # recorded late, or a claim displaced: lines of months over
        )
        self.notification = workflows.of_tasks(
            "ContractNotification",
            "contract_notification",
            [issue_credentials, send_notification, record_contract, record_failure],
        )

        screen = task("screen_application", "Screens an application under R6.3 and R6.2")
        defer = task("defer_application", "Parks a deferred application for staff (R6.2)")
        reserve = task("reserve_slot", "Holds an account slot in receive order (R4, R6.1)")
        reject = task("reject_application", "Records the staff's refusal of a deferred application")
        self.approval = workflows.of_tasks(
            "ApplicationApproval",
            "application_approval",
            [screen, defer, reserve, reject, record_failure],
            ContractNotificationStateMachineArn=self.notification.state_machine_arn,
        )
        self._let_approval_run_notification(stack)

        self.applications_api = functions.function(
            "applications_api",
            "REST API of applications",
            environment={
                "APPROVAL_STATE_MACHINE_ARN": self.approval.state_machine_arn,
                "APPLICATIONS_PER_DAY": str(settings.applications_per_day),
            },
        )
        grants.table(self.applications_api, data.contracts_table, data.key, write=True)
        # The day's applications per member and per account (issue 23) are counted there.
        grants.table(self.applications_api, data.sessions_table, data.key, write=True)
        grants.table(self.applications_api, data.idempotency_table, data.key, write=True)
        self.approval.grant_start_execution(self.applications_api)
        # A staff decision answers the deferred application's task token (R6.2). IAM authorises
        # SendTaskSuccess/Failure on "*" only: a statement naming the state machine matches
        # nothing (the permission check, tests/permissions, found CDK's grant_task_response so).
        self.applications_api.add_to_role_policy(
            iam.PolicyStatement(actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=["*"])
        )
        acknowledge(
            self.applications_api,
            "IAM5[Resource::*]",
            "states:SendTaskSuccess/SendTaskFailure support no resource-level permission; the task "
            "token itself is the capability, and only the approval workflow issues tokens.",
        )

    def _let_approval_run_notification(self, stack: Stack) -> None:
        """startExecution.sync:2 on the notification workflow: start it, follow it, stop it."""
        self.notification.grant_start_execution(self.approval)
        self.notification.grant_read(self.approval)
        self.notification.grant_execution(self.approval, "states:StopExecution")
        notification_ref = stack.resolve(self.notification.state_machine_arn)["Ref"]
        acknowledge(
            self.approval,
            "IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{notification_ref}"}}]}}]}}:*]',
            "Executions of the notification workflow are named per application; the wildcard is "
            "limited to that one state machine's executions (DescribeExecution/StopExecution).",
        )
        # .sync runs are followed through an EventBridge rule Step Functions manages.
        self.approval.add_to_role_policy(
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
