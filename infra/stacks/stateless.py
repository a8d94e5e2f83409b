"""The code: the shared layer, the functions, the workflows and the REST API."""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import grants
from infra.nag import acknowledge
from infra.settings import Settings
from infra.stacks.operations import Operations
from infra.stacks.stateful import StatefulStack

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "anshin"


class StatelessStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: StatefulStack,
        settings: Settings,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.data = data
        self.settings = settings

        self.layer = lambda_.LayerVersion(
            self,
            "SharedLayer",
            code=lambda_.Code.from_asset(str(ROOT / settings.layer_dir)),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_11],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description="anshin domain package and its dependencies (powertools, pydantic)",
        )
        self.functions: dict[str, lambda_.Function] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.dead_letter_kinds: list[dict[str, str]] = []
        self.state_machines: dict[str, sfn.StateMachine] = {}

        # --- Application approval (R4, R6) and the notification that forms the contract (R6.4) ---
        def task(
            name: str,
            description: str,
            environment: dict[str, str] | None = None,
            timeout: Duration | None = None,
            dead_letter_queue: sqs.IQueue | None = None,
            indexes: tuple[str, ...] = (),
        ) -> lambda_.Function:
            """A function of the contracts table, with Query on the ``indexes`` it reads and no
            other (DynamoDB authorises an index query on the index's own ARN)."""
            fn = self.function(
                name,
                description,
                environment=environment,
                timeout=timeout,
                dead_letter_queue=dead_letter_queue,
            )
            grants.table(fn, data.contracts_table, data.key, write=True, indexes=indexes)
            return fn

        record_failure = task("record_failure", "Ends an application that could not complete (R6.4)")
        issue_credentials = task(
            "issue_credentials",
            "Issues the member confirmation code (R6.4)",
            environment={"CODE_MAC_KEY_ID": data.code_key.key_arn},
        )
        grants.code_mac(issue_credentials, data.code_key)
        send_notification = task(
            "send_notification",
            "Sends the notification that forms the contract (R6.4)",
            environment={
                "CUSTOMER_NOTIFICATION_TOPIC_ARN": data.customer_notification_topic.topic_arn,
                "SUPPORT_PHONE_NUMBER": settings.support_phone_number,
            },
        )
        grants.publish(send_notification, data.customer_notification_topic, data.key)
        grants.table(send_notification, data.idempotency_table, data.key, write=True)
        record_contract = task("record_contract", "Records the contract formed at notification (R6.4, R12)")
        self.notification = self.state_machine(
            "ContractNotification",
            "contract_notification",
            substitutions={
                "IssueCredentialsFunctionArn": issue_credentials.function_arn,
                "SendNotificationFunctionArn": send_notification.function_arn,
                "RecordContractFunctionArn": record_contract.function_arn,
                "RecordFailureFunctionArn": record_failure.function_arn,
            },
            invokes=[issue_credentials, send_notification, record_contract, record_failure],
        )

        screen = task("screen_application", "Screens an application under R6.3 and R6.2")
        defer = task("defer_application", "Parks a deferred application for staff (R6.2)")
        reserve = task("reserve_slot", "Holds an account slot in receive order (R4, R6.1)")
        reject = task("reject_application", "Records the staff's refusal of a deferred application")
        self.approval = self.state_machine(
            "ApplicationApproval",
            "application_approval",
            substitutions={
                "ScreenApplicationFunctionArn": screen.function_arn,
                "DeferApplicationFunctionArn": defer.function_arn,
                "ReserveSlotFunctionArn": reserve.function_arn,
                "RejectApplicationFunctionArn": reject.function_arn,
                "RecordFailureFunctionArn": record_failure.function_arn,
                "ContractNotificationStateMachineArn": self.notification.state_machine_arn,
            },
            invokes=[screen, defer, reserve, reject, record_failure],
        )
        # startExecution.sync:2 on the notification workflow: start it, follow it, stop it.
        self.notification.grant_start_execution(self.approval)
        self.notification.grant_read(self.approval)
        self.notification.grant_execution(self.approval, "states:StopExecution")
        notification_ref = self.resolve(self.notification.state_machine_arn)["Ref"]
        acknowledge(
            self.approval,
            "IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
            f'{{"Fn::Select":[6,{{"Fn::Split":[":",{{"Ref":"{notification_ref}"}}]}}]}}:*]',
            "Executions of the notification workflow are named per application; the wildcard is "
            "limited to that one state machine's executions (DescribeExecution/StopExecution).",
        )
        self.approval.add_to_role_policy(
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    self.format_arn(
                        service="events",
                        resource="rule",
                        resource_name="StepFunctionsGetEventsForStepFunctionsExecutionRule",
                    )
                ],
            )
        )

        applications_api = self.function(
            "applications_api",
            "REST API of applications",
            environment={"APPROVAL_STATE_MACHINE_ARN": self.approval.state_machine_arn},
        )
        grants.table(applications_api, data.contracts_table, data.key, write=True)
        grants.table(applications_api, data.idempotency_table, data.key, write=True)
        self.approval.grant_start_execution(applications_api)
        # A staff decision answers the deferred application's task token (R6.2). IAM authorises
        # SendTaskSuccess/Failure on "*" only: a statement naming the state machine matches
        # nothing (the permission check, tests/permissions, found CDK's grant_task_response so).
        applications_api.add_to_role_policy(
            iam.PolicyStatement(actions=["states:SendTaskSuccess", "states:SendTaskFailure"], resources=["*"])
        )
        acknowledge(
            applications_api,
            "IAM5[Resource::*]",
            "states:SendTaskSuccess/SendTaskFailure support no resource-level permission; the task "
            "token itself is the capability, and only the approval workflow issues tokens.",
        )

        # --- Contract ends (R8-R11), month-end termination and billing (R12, R13) ------------
        contracts_api = task("contracts_api", "REST API of contracts and invoices (staff)")
        account_events_dlq = self.dead_letter_queue("AccountEventsDlq", "account-events")
        account_events = task(
            "account_events",
            "Applies upstream mobile-account changes (R11)",
            dead_letter_queue=account_events_dlq,
            indexes=("gsi1",),  # the account's contracts
        )
        events.Rule(
            self,
            "MobileAccountEvents",
            description="Mobile-account changes from the upstream mobile system (R11)",
            event_pattern=events.EventPattern(
                source=["qt.mobile"], detail_type=["MobileContractEnded", "RateLinesChanged"]
            ),
            targets=[
                targets.LambdaFunction(
                    account_events,
                    retry_attempts=8,
                    dead_letter_queue=account_events_dlq,
                )
            ],
        )
        job_run = task("job_run", "Starts and finishes the record of a scheduled job's run")
        billing_shard = task(
            "billing_shard",
            "Bills one shard of a month (R12, R13)",
            timeout=Duration.minutes(5),
            indexes=("gsi3", "gsi4"),  # ended in or since the month; not ended
        )
        month_end_shard = task(
            "month_end_shard",
            "Ends one shard's contracts at month end (R9, R11)",
            timeout=Duration.minutes(5),
            indexes=("gsi3",),  # due to end in the month
        )
        month_end_shard.add_to_role_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"],
                resources=[self.format_arn(service="events", resource="event-bus", resource_name="default")],
            )
        )
        self.month_end = self.state_machine(
            "MonthEnd",
            "month_end",
            substitutions={
                "JobRunFunctionArn": job_run.function_arn,
                "MonthEndShardFunctionArn": month_end_shard.function_arn,
            },
            invokes=[job_run, month_end_shard],
        )
        self.billing = self.state_machine(
            "Billing",
            "billing",
            substitutions={
                "JobRunFunctionArn": job_run.function_arn,
                "BillingShardFunctionArn": billing_shard.function_arn,
            },
            invokes=[job_run, billing_shard],
        )
        # Both jobs close the month before the 1st they run on, in Japan time; they take that
        # month from <aws.scheduler.scheduled-time>, never from the clock.
        self.schedule("MonthEndSchedule", self.month_end, "cron(5 0 1 * ? *)", "Month-end termination")
        self.schedule(
            "BillingSchedule", self.billing, "cron(30 0 1 * ? *)", "Billing of the month just closed"
        )

        # --- Devices, identity verification and support sessions (R7, R14, R16, Appendix) ---
        push_application = self.format_arn(
            service="sns",
            resource="app",
            resource_name=settings.push_platform_application,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        push_endpoints = self.format_arn(
            service="sns",
            resource="endpoint",
            resource_name=f"{settings.push_platform_application}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        backups = f"{data.backup_bucket_arn}/backups/*"
        backups_finding = f"IAM5[Resource::{StatefulStack.BACKUP_BUCKET_ARN_EXPORT}/backups/*]"
        push_endpoints_finding = (
            "IAM5[Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:endpoint/"
            f"{settings.push_platform_application}/*]"
        )
        retry_settings = {
            "COMMAND_RETRY_BASE_SECONDS": str(settings.command_retry_base_seconds),
            "COMMAND_RETRY_MAX_SECONDS": str(settings.command_retry_max_seconds),
        }
        devices_api = task(
            "devices_api",
            "REST API of the support app on a device (R16)",
            environment={
                "PUSH_PLATFORM_APPLICATION_ARN": push_application,
                "BACKUP_BUCKET": data.backup_bucket.bucket_name,
                "CODE_MAC_KEY_ID": data.code_key.key_arn,
                "CUSTOMER_NOTIFICATION_TOPIC_ARN": data.customer_notification_topic.topic_arn,
                "DEVICE_TOKEN_DAYS": str(settings.device_token_days),
                "CREDENTIAL_COOLDOWN_HOURS": str(settings.credential_cooldown_hours),
                "REGISTRATION_ATTEMPTS_PER_SOURCE": str(settings.registration_attempts_per_source),
            },
            indexes=("gsi2",),  # member-code MACs
        )
        grants.code_mac(devices_api, data.code_key)
        # Registration attempts are counted in the sessions table (anshin.limits).
        grants.table(devices_api, data.sessions_table, data.key, write=True)
        # Re-registration and passphrase changes are told to the subscriber.
        grants.publish(devices_api, data.customer_notification_topic, data.key)
        # SNS's mobile-push calls support no resource-level permission: IAM authorises them on
        # "*" only, and a statement naming the application or its endpoints matches nothing
        # (found by the permission check, tests/permissions). Publishing to an endpoint does.
        devices_api.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "sns:CreatePlatformEndpoint",
                    "sns:GetEndpointAttributes",
                    "sns:SetEndpointAttributes",
                ],
                resources=["*"],
            )
        )
        # HeadObject of the device's uploaded backup needs s3:GetObject.
        devices_api.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[backups]))
        acknowledge(
            devices_api,
            "IAM5[Resource::*]",
            "sns:CreatePlatformEndpoint/Get-/SetEndpointAttributes support no resource-level "
            "permission; the endpoints the function creates belong to the support app's application.",
        )
        acknowledge(
            devices_api,
            backups_finding,
            "Backups are keyed per contract and command under backups/.",
        )

        support_api = task(
            "support_api",
            "REST API of the support centre: verification, device commands, sessions",
            environment={
                "DEVICE_COMMAND_TOPIC_ARN": data.device_command_topic.topic_arn,
                "COMMAND_EXPIRY_SECONDS": str(settings.command_expiry_seconds),
            },
        )
        grants.table(support_api, data.sessions_table, data.key, write=True)
        grants.publish(support_api, data.device_command_topic, data.key)

        # --- Device commands relayed over SNS, re-sent until they expire (Appendix) ----------
        follow_up = task(
            "command_follow_up",
            "Ends, expires or re-sends a device command after a wait (Appendix)",
            environment={"DEVICE_COMMAND_TOPIC_ARN": data.device_command_topic.topic_arn, **retry_settings},
        )
        grants.publish(follow_up, data.device_command_topic, data.key)
        self.command_delivery = self.state_machine(
            "CommandDelivery",
            "command_delivery",
            substitutions={"CommandFollowUpFunctionArn": follow_up.function_arn},
            invokes=[follow_up],
        )
        relay_dlq = self.dead_letter_queue("CommandRelayDlq", "command-relay")
        relay = task(
            "command_relay",
            "Relays device commands to the device's push channel",
            dead_letter_queue=relay_dlq,
            environment={
                "COMMAND_DELIVERY_STATE_MACHINE_ARN": self.command_delivery.state_machine_arn,
                "BACKUP_BUCKET": data.backup_bucket.bucket_name,
                **retry_settings,
            },
        )
        self.command_delivery.grant_start_execution(relay)
        relay.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[push_endpoints]))
        # The presigned upload URL carries the relay's permission to put the backup; the data-key
        # use for SSE-KMS comes with the relay's table grant (same key).
        relay.add_to_role_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[backups]))
        acknowledge(
            relay,
            push_endpoints_finding,
            "Pushes go to the device's own platform endpoint, one per device, all under the support "
            "app's platform application.",
        )
        acknowledge(
            relay,
            backups_finding,
            "Backups are keyed per contract and command under backups/.",
        )
        data.device_command_topic.add_subscription(
            subscriptions.LambdaSubscription(relay, dead_letter_queue=relay_dlq)
        )

        # --- REST API --------------------------------------------------------------------------
        self.api = self.rest_api()
        self.staff_authorizer = apigw.CognitoUserPoolsAuthorizer(
            self,
            "StaffAuthorizer",
            cognito_user_pools=[data.staff_pool],
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=Duration.minutes(5),
        )
        applications = self.api.root.add_resource("applications")
        api_integration = apigw.LambdaIntegration(applications_api)
        self.public_method(applications, "POST", api_integration, "web signup: anyone may apply (R6)")
        application = applications.add_resource("{applicationId}")
        self.public_method(
            application, "GET", api_integration, "the applicant follows the application by its unguessable id"
        )
        self.staff_method(application.add_resource("decision"), "POST", api_integration)

        contracts_integration = apigw.LambdaIntegration(contracts_api)
        contract = self.api.root.add_resource("contracts").add_resource("{contractId}")
        self.staff_method(contract, "GET", contracts_integration)
        self.staff_method(contract, "PATCH", contracts_integration)
        self.staff_method(contract.add_resource("cancellation"), "POST", contracts_integration)
        self.staff_method(contract.add_resource("termination"), "POST", contracts_integration)
        self.staff_method(contract.add_resource("holder"), "PUT", contracts_integration)
        self.staff_method(
            contract.add_resource("verifications"), "POST", apigw.LambdaIntegration(support_api)
        )
        support_integration = apigw.LambdaIntegration(support_api)
        sessions = self.api.root.add_resource("support-sessions")
        self.staff_method(sessions, "POST", support_integration)
        self.staff_method(sessions.add_resource("{sessionId}"), "PATCH", support_integration)
        contract_device = contract.add_resource("devices").add_resource("{deviceId}")
        self.staff_method(contract_device.add_resource("commands"), "POST", support_integration)
        self.staff_method(contract_device.add_resource("revocation"), "POST", support_integration)
        self.staff_method(
            self.api.root.add_resource("commands").add_resource("{commandId}"), "GET", support_integration
        )
        devices_integration = apigw.LambdaIntegration(devices_api)
        devices = self.api.root.add_resource("devices")
        self.public_method(
            devices.add_resource("registrations"),
            "POST",
            devices_integration,
            "the support app registers with the member confirmation code it was sent (R6.4)",
        )
        device = devices.add_resource("{deviceId}")
        self.public_method(
            device.add_resource("passphrase"),
            "PUT",
            devices_integration,
            "the device authenticates with its own device token, checked by the handler",
        )
        self.public_method(
            device.add_resource("token"),
            "POST",
            devices_integration,
            "the device rotates its own device token, checked by the handler",
        )
        self.public_method(
            device.add_resource("commands").add_resource("{commandId}").add_resource("result"),
            "POST",
            devices_integration,
            "the device reports a command's result with its own device token, checked by the handler",
        )
        invoices = (
            self.api.root.add_resource("accounts").add_resource("{mobileContractId}").add_resource("invoices")
        )
        self.staff_method(invoices.add_resource("{month}"), "GET", contracts_integration)
        self.public_method(
            self.api.root.add_resource("openapi.json"),
            "GET",
            apigw.LambdaIntegration(self.function("api_docs", "The API's OpenAPI document")),
            "the API's description, for client developers and tests",
        )

        # --- Dead letters: replayed on demand (make redrive), relying on idempotency ---------
        redrive = self.function(
            "redrive",
            "Replays dead letters to their targets (make redrive)",
            environment={
                "DEAD_LETTER_QUEUES": self.to_json_string(self.dead_letter_kinds),
                "DEVICE_COMMAND_TOPIC_ARN": data.device_command_topic.topic_arn,
                "ACCOUNT_EVENTS_FUNCTION": account_events.function_name,
            },
            timeout=Duration.minutes(5),
        )
        for queue in self.dead_letter_queues.values():
            queue.grant_consume_messages(redrive)
        grants.publish(redrive, data.device_command_topic, data.key)
        redrive.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[account_events.function_arn])
        )
        self.month_end.grant_start_execution(redrive)
        self.billing.grant_start_execution(redrive)

        self.operations = Operations(
            self,
            "Operations",
            key=data.key,
            functions=self.functions,
            queues=self.dead_letter_queues,
            machines=self.state_machines,
            api=self.api,
            waf=settings.api_waf,
        )
        CfnOutput(self, "AlarmTopicArn", value=self.operations.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.operations.dashboard.dashboard_name)
        CfnOutput(self, "ApiId", value=self.api.rest_api_id)
        CfnOutput(self, "ApiStage", value=self.api.deployment_stage.stage_name)
        CfnOutput(self, "ApprovalStateMachineArn", value=self.approval.state_machine_arn)
        CfnOutput(self, "NotificationStateMachineArn", value=self.notification.state_machine_arn)
        CfnOutput(self, "MonthEndStateMachineArn", value=self.month_end.state_machine_arn)
        CfnOutput(self, "BillingStateMachineArn", value=self.billing.state_machine_arn)
        CfnOutput(self, "CommandDeliveryStateMachineArn", value=self.command_delivery.state_machine_arn)
        for name, fn in self.functions.items():
            CfnOutput(
                self, "".join(p.title() for p in name.split("_")) + "FunctionName", value=fn.function_name
            )

    # ------------------------------------------------------------------------------------------
    def public_method(
        self, resource: apigw.Resource, verb: str, integration: apigw.Integration, why: str
    ) -> apigw.Method:
        """A route that needs no login; ``why`` says who calls it without one."""
        method = resource.add_method(verb, integration, request_validator=self.request_validator)
        for rule in ("APIG4", "COG4"):
            acknowledge(method, rule, f"Public by design: {why}. Throttled at the stage.")
        return method

    def staff_method(
        self, resource: apigw.Resource, verb: str, integration: apigw.Integration
    ) -> apigw.Method:
        """A support-staff route: the Cognito authorizer admits only tokens of the staff pool
        (401 otherwise), and the handler requires the support-staff group (403), so a route
        whose authorizer were missing would still refuse (anshin.staff)."""
        return resource.add_method(
            verb,
            integration,
            request_validator=self.request_validator,
            authorizer=self.staff_authorizer,
            authorization_type=apigw.AuthorizationType.COGNITO,
        )

    def function(
        self,
        name: str,
        description: str,
        *,
        environment: dict[str, str] | None = None,
        timeout: Duration | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
    ) -> lambda_.Function:
        """One Lambda function from ``functions/<name>/`` with the shared layer (and, for one
        invoked asynchronously, the queue its failed events go to)."""
        construct_id = "".join(part.title() for part in name.split("_"))
        log_group = self.log_group(f"{construct_id}Logs")
        fn = lambda_.Function(
            self,
            construct_id,
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_11,
            architecture=lambda_.Architecture.X86_64,
            handler="anshin.faults.handler" if self.settings.fault_injection else "app.handler",
            code=lambda_.Code.from_asset(str(ROOT / "functions" / name), exclude=["__pycache__", "*.pyc"]),
            layers=[self.layer],
            memory_size=512,
            timeout=timeout or Duration.seconds(30),
            tracing=lambda_.Tracing.ACTIVE,
            dead_letter_queue=dead_letter_queue,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={
                "POWERTOOLS_SERVICE_NAME": SERVICE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "POWERTOOLS_METRICS_NAMESPACE": "Anshin",
                "CONTRACTS_TABLE": self.data.contracts_table.table_name,
                "SESSIONS_TABLE": self.data.sessions_table.table_name,
                "IDEMPOTENCY_TABLE": self.data.idempotency_table.table_name,
                "MONTHLY_FEE_JPY": str(self.settings.monthly_fee_jpy),
                **(environment or {}),
                **self.fault_environment(name),
            },
        )
        if self.settings.fault_injection:
            grants.table(fn, self.data.idempotency_table, self.data.key, write=True)
        acknowledge(
            fn,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "AWSLambdaBasicExecutionRole only lets the function write its own logs.",
        )
        acknowledge(fn, "IAM5[Resource::*]", "X-Ray PutTraceSegments has no resource-level permissions.")
        acknowledge(
            fn,
            "L1",
            "python3.11 on purpose: one layer build serves Lambda and the local stack, whose "
            "workers run this machine's Python 3.11.",
        )
        self.functions[name] = fn
        return fn

    def fault_environment(self, name: str) -> dict[str, str]:
        """Local deployments only (anshin.faults): the switch, the function's name, its handler,
        and where a test run records the function's AWS requests (anshin.call_log)."""
        if not self.settings.fault_injection:
            return {}
        recording = {"ANSHIN_CALL_LOG": self.settings.call_log} if self.settings.call_log else {}
        return {
            "ANSHIN_FAULT_INJECTION": "on",
            "ANSHIN_FUNCTION": name,
            "ANSHIN_HANDLER": "app.handler",
            **recording,
        }

    def state_machine(
        self,
        construct_id: str,
        file_stem: str,
        *,
        substitutions: dict[str, str],
        invokes: list[lambda_.Function],
    ) -> sfn.StateMachine:
        """A Standard workflow from ``statemachines/<file_stem>.asl.json``."""
        path = ROOT / "statemachines" / f"{file_stem}.asl.json"
        json.loads(path.read_text(encoding="utf-8"))  # fail synthesis early on broken JSON
        log_group = self.log_group(f"{construct_id}Logs")
        machine = sfn.StateMachine(
            self,
            construct_id,
            definition_body=sfn.DefinitionBody.from_file(str(path)),
            definition_substitutions=substitutions,
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[fn.function_arn for fn in invokes]
            )
        )
        acknowledge(
            machine,
            "IAM5[Resource::*]",
            "X-Ray tracing and CloudWatch Logs delivery have no resource-level permissions.",
        )
        self.state_machines[construct_id] = machine
        return machine

    def schedule(
        self, construct_id: str, machine: sfn.StateMachine, expression: str, description: str
    ) -> None:
        """An EventBridge Scheduler schedule in Japan time that starts ``machine``."""
        role = iam.Role(
            self, f"{construct_id}Role", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com")
        )
        machine.grant_start_execution(role)
        dlq = self.dead_letter_queue(f"{construct_id}Dlq", f"job:{machine.state_machine_arn}")
        role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dlq.queue_arn]))
        grants.key_use(role, self.data.key)
        scheduler.CfnSchedule(
            self,
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

    def log_group(self, construct_id: str) -> logs.LogGroup:
        """A log group encrypted with the data key, kept for the configured days, retained."""
        return logs.LogGroup(
            self,
            construct_id,
            retention=_retention(self.settings.log_retention_days),
            encryption_key=self.data.key,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def dead_letter_queue(self, construct_id: str, kind: str) -> sqs.Queue:
        """A dead-letter queue; ``kind`` tells the redrive function how to replay its messages
        (anshin.redrive)."""
        queue = sqs.Queue(
            self,
            construct_id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.data.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(queue, "SQS3", "This queue is itself a dead-letter queue.")
        self.dead_letter_queues[construct_id] = queue
        self.dead_letter_kinds.append({"url": queue.queue_url, "kind": kind})
        return queue

    def rest_api(self) -> apigw.RestApi:
        access_logs = self.log_group("ApiAccessLogs")
        api = apigw.RestApi(
            self,
            "Api",
            rest_api_name="anshin",
            description="anshin: applications, contracts, devices and support",
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name="v1",
                throttling_rate_limit=50,
                throttling_burst_limit=100,
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=False,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
            ),
        )
        # Parameters are checked by API Gateway; bodies by the handlers' pydantic models, which
        # answer one machine-readable error per field (API Gateway models cannot).
        self.request_validator = api.add_request_validator(
            "Validator", validate_request_body=False, validate_request_parameters=True
        )
        # Refusals made by API Gateway itself carry the same machine-readable shape as ours, with
        # a code that says what happened. An unknown path or method is MISSING_AUTHENTICATION_TOKEN
        # in a REST API (403 by default): answered 404 ROUTE_NOT_FOUND. A stage that does not exist
        # is refused before any of this applies ({"message": "Forbidden"}; README).
        for construct_id, response_type, status, code, message in (
            (
                "Unauthorized",
                apigw.ResponseType.UNAUTHORIZED,
                None,
                "UNAUTHENTICATED",
                "Sign in as support staff.",
            ),
            ("AccessDenied", apigw.ResponseType.ACCESS_DENIED, None, "FORBIDDEN", "You may not do this."),
            ("Throttled", apigw.ResponseType.THROTTLED, None, "THROTTLED", "Too many requests; retry later."),
            (
                "NoRoute",
                apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
                "404",
                "ROUTE_NOT_FOUND",
                "No such route: check the method and the path (GET /openapi.json lists them).",
            ),
            (
                "WafBlocked",
                apigw.ResponseType.WAF_FILTERED,
                None,
                "REQUEST_BLOCKED",
                "The request was blocked.",
            ),
            (
                "TooLarge",
                apigw.ResponseType.REQUEST_TOO_LARGE,
                None,
                "PAYLOAD_TOO_LARGE",
                "The request is too large.",
            ),
            (
                "MediaType",
                apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE,
                None,
                "UNSUPPORTED_MEDIA_TYPE",
                "Send the body as JSON (Content-Type: application/json).",
            ),
            (
                "BadParameters",
                apigw.ResponseType.BAD_REQUEST_PARAMETERS,
                None,
                "INVALID_PARAMETERS",
                "A path or query parameter is missing or malformed.",
            ),
            (
                "Default4xx",
                apigw.ResponseType.DEFAULT_4_XX,
                None,
                "REQUEST_REFUSED",
                "The request was refused.",
            ),
            (
                "Timeout",
                apigw.ResponseType.INTEGRATION_TIMEOUT,
                None,
                "TIMEOUT",
                "We could not answer in time; please try again.",
            ),
            (
                "Default5xx",
                apigw.ResponseType.DEFAULT_5_XX,
                None,
                "INTERNAL_ERROR",
                "Something went wrong on our side.",
            ),
        ):
            api.add_gateway_response(
                construct_id,
                type=response_type,
                status_code=status,
                templates={"application/json": json.dumps({"code": code, "message": message})},
            )
        acknowledge(api, "APIG2", "Request bodies are validated by each handler's pydantic model.")
        acknowledge(
            api,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the stage's logs.",
        )
        return api


_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
}


def _retention(days: int) -> logs.RetentionDays:
    if days not in _RETENTION:
        raise ValueError(f"log retention must be one of {sorted(_RETENTION)} days, not {days}")
    return _RETENTION[days]
