"""The code: the shared layer, the functions, the workflows and the REST API.

A composition of the capabilities in ``infra.constructs``, in the order the stack has always
made them (the dashboard's alarm list and the redrive function's queue list follow it). Each
creates its resources on this stack's scope, so every logical id is the one the local stack,
the e2e tests and the alarms know.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra import grants
from infra.constructs.approval import Approval
from infra.constructs.cancellations import Cancellations
from infra.constructs.contract_ends import ContractEnds
from infra.constructs.dead_letters import DeadLetters
from infra.constructs.device_commands import DeviceCommands
from infra.constructs.devices import Devices
from infra.constructs.functions import Functions
from infra.constructs.monthly_jobs import MonthlyJobs
from infra.constructs.operations import Operations
from infra.constructs.parts import Parts
from infra.constructs.reconciler import Reconciler
from infra.constructs.rest_api import RestApi
from infra.constructs.retention import Retention
from infra.constructs.workflows import Workflows
from infra.settings import Settings
from infra.stacks.stateful import StatefulStack


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
        self.functions = Functions(self, data=data, settings=settings)
        self.workflows = Workflows(self, self.functions)
        self.dead_letters = DeadLetters(self, data.key)

        approval = Approval(self, self.functions, self.workflows, data=data, settings=settings)
        contract_ends = ContractEnds(self, self.functions, self.dead_letters)
        parts = Parts(self, self.functions, self.workflows, self.dead_letters)
        jobs = MonthlyJobs(parts, key=data.key, charges=data.charges_bucket)
        devices = Devices(self, self.functions, data=data, settings=settings)
        commands = DeviceCommands(parts, data=data, settings=settings)
        Reconciler(parts)  # R6.4: formed contracts whose recording failed, every 5 minutes
        Retention(parts, data=data)  # personal data whose time is up, daily (docs/retention.md)
        cancellations = Cancellations(self, self.functions, data=data, settings=settings)  # routes: RestApi
        # The subscriber's own page (issue 23): the member's contracts (gsi1), invoices, notice
        # (R9, whose confirmation goes to the contact on file) and location opt-out.
        members_api = self.functions.of_contracts(
            "members_api",
            "REST API of the subscriber's own page (signed-in members)",
            indexes=("gsi1",),
            environment={"CUSTOMER_NOTIFICATION_TOPIC_ARN": data.customer_notification_topic.topic_arn},
        )
        grants.publish(members_api, data.customer_notification_topic, data.key)
        self.api = RestApi(
            self,
            self.functions,
            staff_pool=data.staff_pool,
            members_pool=data.members_pool,
            members_api=members_api,
            applications_api=approval.applications_api,
            contracts_api=contract_ends.contracts_api,
            support_api=devices.support_api,
            devices_api=devices.devices_api,
        ).api
        # Dead letters are replayed on demand (make redrive), relying on idempotency.
        self.dead_letters.add_redrive(
            self.functions,
            device_command_topic=data.device_command_topic,
            account_events=contract_ends.account_events,
            jobs=[jobs.month_end, jobs.billing],
        )

        self.operations = Operations(
            self,
            "Operations",
            key=data.key,
            functions=self.functions.by_name,
            # Every dead-letter queue is alarmed; the cancellation codes' is not replayed (its
            # codes would have expired: infra.constructs.cancellations).
            queues={**self.dead_letters.queues, "CancellationCodeDlq": cancellations.dead_letter_queue},
            machines=self.workflows.by_id,
            api=self.api,
            waf=settings.api_waf,
        )
        cancellations.watch(self.operations)  # its code queue's alarm
        outputs = {
            "AlarmTopicArn": self.operations.topic.topic_arn,
            "DashboardName": self.operations.dashboard.dashboard_name,
            "ApiId": self.api.rest_api_id,
            "ApiStage": self.api.deployment_stage.stage_name,
            "ApprovalStateMachineArn": approval.approval.state_machine_arn,
            "NotificationStateMachineArn": approval.notification.state_machine_arn,
            "MonthEndStateMachineArn": jobs.month_end.state_machine_arn,
            "BillingStateMachineArn": jobs.billing.state_machine_arn,
            "CommandDeliveryStateMachineArn": commands.delivery.state_machine_arn,
        }
        for name, fn in self.functions.by_name.items():
            outputs["".join(p.title() for p in name.split("_")) + "FunctionName"] = fn.function_name
        for output_id, value in outputs.items():
            CfnOutput(self, output_id, value=value)
